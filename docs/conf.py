"""Sphinx configuration of the imphot_astropy documentation."""

import os
import sys
from importlib import metadata

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

from sphinx_astropy.conf.v2 import *  # noqa: E402,F401,F403

project = "imphot_astropy"
author = "imphot_astropy developers"
copyright = "2026, " + author
try:
    release = metadata.version("imphot_astropy")
except metadata.PackageNotFoundError:
    release = "0.1.dev0"
version = release

# Each command's page shows its --help, run at build time.
extensions = list(extensions) + ["sphinxcontrib.programoutput"]  # noqa: F405

# The documentation is built where only the package registries are
# reachable, so no remote intersphinx inventory can be fetched.
intersphinx_mapping = {}


html_title = f"{project} {release}"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
automodsumm_inherited_members = False
numpydoc_show_class_members = False
plot_formats = [("png", 100)]
plot_html_show_source_link = False
plot_include_source = True
suppress_warnings = ["config.cache"]
