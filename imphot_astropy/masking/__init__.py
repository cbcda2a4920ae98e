"""Masks for the fitters: ds9 regions and the star circle."""

from .regions import *  # noqa: F401,F403
from .inputs import *  # noqa: F401,F403
from .regions import __all__ as _regions_all
from .inputs import __all__ as _inputs_all

__all__ = list(_regions_all) + [n for n in _inputs_all if n not in _regions_all]
