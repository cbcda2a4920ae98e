"""Fixtures of the figure and product tests: the synthetic fits the figure tests use."""

from imphot_astropy.plotting.tests.conftest import (  # noqa: F401  (pytest fixtures)
    synthetic_pair, synthetic_fit, synthetic_files, _close_pyplot_figures)
