"""A fast start: the package root and the commands' --help import no heavy package.

Each check runs in a fresh interpreter, since this one has long imported
everything.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

import imphot_astropy

# The packages that dominate the start-up time and that neither `import
# imphot_astropy` nor a command's --help needs.
HEAVY = ("scipy", "matplotlib", "regions", "reproject")

# The directory holding the imphot_astropy under test, first on the path of
# the child interpreter (an installed copy elsewhere must not be measured).
SOURCE_ROOT = str(pathlib.Path(imphot_astropy.__file__).resolve().parents[1])


def _loaded_after(code):
    """The heavy packages in sys.modules after running ``code`` in a fresh python."""
    probe = (f"import sys\n{code}\n"
             f"import json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [SOURCE_ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_probe_sees_a_heavy_import():
    # The check below could not fail if the probe were blind.
    assert _loaded_after("import imphot_astropy.fitting") != []


def test_import_of_the_package_loads_no_heavy_package():
    assert _loaded_after("import imphot_astropy") == []


@pytest.mark.parametrize("command", ["fit_photometry", "regrid_hst_to_muse",
                                     "make_wideband_image", "survey_report"])
def test_help_of_a_command_loads_no_heavy_package(command):
    code = (f"from imphot_astropy.scripts.{command} import main\n"
            "try:\n"
            "    status = main(['--help'])\n"
            "except SystemExit as exc:\n"
            "    status = exc.code\n"
            "assert status in (0, None), status")
    assert _loaded_after("import contextlib, io\n"
                         "with contextlib.redirect_stdout(io.StringIO()):\n"
                         + "\n".join("    " + line for line in code.splitlines())) == []


def test_help_of_the_module_form_loads_no_heavy_package(tmp_path):
    # `python -m imphot_astropy.scripts.fit_photometry --help`, as a user runs it.
    code = ("import runpy, sys\n"
            "sys.argv = ['fit_photometry', '--help']\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            "        runpy.run_module('imphot_astropy.scripts.fit_photometry', "
            "run_name='__main__', alter_sys=True)\n"
            "    except SystemExit as exc:\n"
            "        assert exc.code in (0, None), exc.code")
    assert _loaded_after(code) == []


def test_every_public_name_resolves_from_the_root():
    for name in imphot_astropy.__all__:
        assert getattr(imphot_astropy, name) is not None, name
    assert set(imphot_astropy.__all__) <= set(dir(imphot_astropy))


def test_star_import_gives_every_public_name():
    namespace = {}
    exec("from imphot_astropy import *", namespace)
    assert set(imphot_astropy.__all__) <= set(namespace)
    assert namespace["fit_image_photometry"] is imphot_astropy.fit_image_photometry


def test_subpackages_are_attributes_and_unknown_names_are_not():
    assert imphot_astropy.core.__name__ == "imphot_astropy.core"
    with pytest.raises(AttributeError, match="no_such_name"):
        imphot_astropy.no_such_name
    assert not hasattr(imphot_astropy, "no_such_name")
