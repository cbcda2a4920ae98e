"""Correcting MUSE images with fitted pointing and calibration errors."""

from .apply import *  # noqa: F401,F403
from .apply import __all__ as _apply_all
from .cube import *  # noqa: F401,F403
from .cube import __all__ as _cube_all

__all__ = list(_apply_all) + list(_cube_all)
