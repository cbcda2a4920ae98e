"""Every public function and class has a numpydoc docstring with an example."""

import importlib
import inspect
import pkgutil

import pytest

import imphot_astropy


def public_objects():
    names = ["imphot_astropy"] + [
        info.name for info in pkgutil.walk_packages(imphot_astropy.__path__, "imphot_astropy.")
        if ".tests" not in info.name and not info.name.endswith("conftest")]
    seen = {}
    for module_name in names:
        module = importlib.import_module(module_name)
        assert hasattr(module, "__all__"), f"{module_name} has no __all__"
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return sorted(seen.items())


@pytest.mark.parametrize("name, obj", public_objects(), ids=lambda v: v if isinstance(v, str) else "")
def test_docstring_has_an_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "Examples\n--------" in doc and ">>> " in doc, f"{name} has no Examples section"


def test_top_level_names_exist():
    for name in imphot_astropy.__all__:
        assert hasattr(imphot_astropy, name), name
