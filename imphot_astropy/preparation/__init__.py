"""Preparing HST references and MUSE images for the fitters."""

from .filters import *  # noqa: F401,F403
from .filters import __all__ as _filters_all

__all__ = list(_filters_all)
