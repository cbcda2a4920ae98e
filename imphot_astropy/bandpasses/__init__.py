"""Throughput curves of HST and JWST filters, and the camera that took an image.

A low-level subpackage (it imports only `imphot_astropy.exceptions`), so that
both `imphot_astropy.preparation` (`HstFilterInfo.bandpass`) and
`imphot_astropy.wideband` (filter names and archive images as filter curves)
use it without importing each other.
"""

from .cameras import *  # noqa: F401,F403
from .hst_curves import *  # noqa: F401,F403
from .cameras import __all__ as _cameras_all
from .hst_curves import __all__ as _hst_curves_all

__all__ = list(_cameras_all) + list(_hst_curves_all)
