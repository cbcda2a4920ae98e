"""Masks for the fitters: ds9 regions and the star circle."""

from .regions import *  # noqa: F401,F403
from .regions import __all__ as _regions_all

__all__ = list(_regions_all)
