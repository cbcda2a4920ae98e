"""The benchmarks import only names the package has.

The scripts in ``benchmarks/`` are not run by the test suite (they take
minutes and measure speed), so a renamed function would only show up the
next time someone runs one: ``bench_cube_photometry.py`` imported
``datasets.synthetic._sky_fft`` for a week after it became
``render_sky_fft``. This test reads each script's imports, including those
inside functions and child-process code kept in strings, and checks that
every imported module and name exists.
"""

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))

pytestmark = pytest.mark.skipif(not BENCHMARKS,
                                reason="not a source checkout (no benchmarks/)")

# Code run in a child process is kept in string constants: import lines
# in them are checked too.
_IMPORT_LINE = re.compile(r"^\s*(from\s+imphot_astropy[\w.]*\s+import\s+[^\n#]+|"
                          r"import\s+imphot_astropy[\w.]*)", re.MULTILINE)


def _package_imports(tree):
    """(module, name or None) of every import of the package in a tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "imphot_astropy"):
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("imphot_astropy"):
                    yield alias.name, None
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for line in _IMPORT_LINE.findall(node.value):
                # Strings may hold format fields ({{ }}); the import lines do not.
                try:
                    yield from _package_imports(ast.parse(line.strip().rstrip("\\")))
                except SyntaxError:
                    continue


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_imports_exist(script):
    tree = ast.parse(script.read_text(), filename=str(script))
    missing = []
    for module_name, name in sorted(set(_package_imports(tree)), key=str):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            missing.append(f"{module_name} ({exc})")
            continue
        if name is not None and not hasattr(module, name):
            try:
                importlib.import_module(f"{module_name}.{name}")
            except ImportError:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"{script.name} imports what the package does not have: {missing}"


def test_the_check_sees_imports_inside_functions_and_strings():
    code = ("def f():\n    from imphot_astropy.datasets.synthetic import _sky_fft\n"
            "CHILD = '''\nfrom imphot_astropy.survey import fit_cube_photometry\n'''\n")
    found = set(_package_imports(ast.parse(code)))
    assert found == {("imphot_astropy.datasets.synthetic", "_sky_fft"),
                     ("imphot_astropy.survey", "fit_cube_photometry")}
