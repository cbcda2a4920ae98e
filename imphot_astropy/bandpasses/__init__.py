"""Throughput curves of HST filters.

A low-level subpackage (it imports only `imphot_astropy.exceptions`), so that
both `imphot_astropy.preparation` (`HstFilterInfo.bandpass`) and
`imphot_astropy.wideband` (HST filter names as filter curves) use it without
importing each other.
"""

from .hst_curves import *  # noqa: F401,F403
from .hst_curves import __all__ as _hst_curves_all

__all__ = list(_hst_curves_all)
