"""Private means private: no module uses another module's underscore names.

The rule, checked on the source of every module of the package (the test
modules and ``conftest.py`` excepted, as they may spy on internals):

1. A module never imports a name with one leading underscore from another
   module of the package (``from .x import _name``, ``from ..x.y import
   _name``), nor reads one through a module it imported (``x._name``,
   ``imphot_astropy.x._name``). Dunder names (``__all__``) are public.
2. What several modules share but users should not see lives in a private
   module (``_x.py``) under plain names. A private module is imported only
   by the modules of its own subpackage (its siblings and the subpackage's
   ``__init__``), never from another subpackage.

Underscore attributes of objects (``self._x``) are not module names and are
not checked here.
"""

import ast
from pathlib import Path

import imphot_astropy

PACKAGE = Path(imphot_astropy.__file__).parent
ROOT = PACKAGE.name


def _is_private(name):
    return name.startswith("_") and not name.startswith("__")


def _module_name(relative):
    """The dotted module name of a file, from its path inside the package."""
    parts = [ROOT] + list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_modules():
    """{module name: path} of every module of the package but the tests."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if "tests" in relative.parts or relative.name == "conftest.py":
            continue
        modules[_module_name(relative)] = path
    return modules


def _parent(name):
    return name.rpartition(".")[0]


def _private_module_owner(name):
    """The subpackage allowed to import module ``name``, or None if it is public.

    The owner of ``a.b._c`` (or of ``a.b._c.d``) is ``a.b``.
    """
    parts = name.split(".")
    for index, part in enumerate(parts):
        if _is_private(part):
            return ".".join(parts[:index])
    return None


class _Checker:
    """Finds the breaches of the rule in one module's syntax tree."""

    def __init__(self, module, is_package, modules):
        self.module = module
        # The package that relative imports start from.
        self.package = module if is_package else _parent(module)
        self.modules = modules
        self.bound = {}           # local name -> module of the package it stands for
        self.breaches = []

    def _absolute(self, node):
        if not node.level:
            return node.module or ""
        base = self.package.split(".")
        base = base[:len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def _use_module(self, line, target):
        owner = _private_module_owner(target)
        if owner is not None and self.module != owner and _parent(self.module) != owner \
                and not self.module.startswith(owner + "._"):
            self.breaches.append((line, f"imports private module {target} from outside {owner}"))

    def visit_import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] != ROOT:
                continue
            self._use_module(node.lineno, alias.name)
            if alias.asname:
                self.bound[alias.asname] = alias.name
            else:
                self.bound[ROOT] = ROOT

    def visit_import_from(self, node):
        target = self._absolute(node)
        if target.split(".")[0] != ROOT:
            return
        self._use_module(node.lineno, target)
        for alias in node.names:
            full = f"{target}.{alias.name}"
            if full in self.modules:          # a submodule, not a name
                self._use_module(node.lineno, full)
                self.bound[alias.asname or alias.name] = full
            elif _is_private(alias.name) and target != self.module:
                self.breaches.append((node.lineno, f"imports {alias.name} from {target}"))

    def visit_attribute(self, node):
        """``m._x`` where ``m`` (or ``m.sub``) is a module of the package."""
        chain = []
        value = node
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if not isinstance(value, ast.Name) or value.id not in self.bound:
            return
        owner = self.bound[value.id]
        *path, last = reversed(chain)
        for part in path:
            if f"{owner}.{part}" not in self.modules:
                return                         # an attribute of an object, not a module
            owner = f"{owner}.{part}"
        if _is_private(last) and owner != self.module:
            self.breaches.append((node.lineno, f"reads {owner}.{last}"))

    def check(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self.visit_import(node)
            elif isinstance(node, ast.ImportFrom):
                self.visit_import_from(node)
        for node in ast.walk(tree):
            # Only the outermost attribute of a chain: m.sub._x, not m.sub.
            if isinstance(node, ast.Attribute):
                self.visit_attribute(node)
        return sorted(set(self.breaches))


def _breaches(source, module, is_package=False, modules=None):
    checker = _Checker(module, is_package, modules if modules is not None
                       else _package_modules())
    return [line for line, _ in checker.check(ast.parse(source))]


def test_the_checker_sees_each_kind_of_breach():
    modules = {f"{ROOT}.a", f"{ROOT}.a.b", f"{ROOT}.a.c", f"{ROOT}.a._p",
               f"{ROOT}.d", f"{ROOT}.d.e"}
    source = f'''
from .c import _helper
from ..d.e import _CONSTANT
from {ROOT}.a.c import _helper
import {ROOT}.d.e
{ROOT}.d.e._helper()
from ..d import e
e._helper
from ..d import e as other
other._x.y
from {ROOT}.d import _q
from . import c, _p
from ._p import plain
from .c import helper, __all__ as _c_all
c.helper()
e.name._private
'''
    # Lines 2-4, 6, 8, 10 and 11 breach rule 1; 12-13 import a private module
    # of their own subpackage, and the others use public names: allowed.
    assert _breaches(source, f"{ROOT}.a.b", modules=modules) == [2, 3, 4, 6, 8, 10, 11]
    # The same private module, imported from another subpackage (rule 2).
    outside = f"from {ROOT}.a._p import plain\nfrom {ROOT}.a import _p\n"
    assert _breaches(outside, f"{ROOT}.d.e", modules=modules) == [1, 2]
    assert _breaches(outside, f"{ROOT}.a", is_package=True, modules=modules) == []


def test_no_module_uses_another_modules_private_names():
    modules = _package_modules()
    breaches = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        checker = _Checker(module, path.name == "__init__.py", modules)
        relative = path.relative_to(PACKAGE.parent)
        breaches += [f"{relative}:{line}: {what}" for line, what in checker.check(tree)]
    assert breaches == [], "private names used across modules:\n" + "\n".join(breaches)
