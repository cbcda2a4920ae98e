"""MUSE pixel tables: reading, selecting, decoding and writing.

A pixel table holds the un-resampled pixels of MUSE exposures, one row per
CCD pixel, with its sky position, wavelength, value, variance, flags and
origin on the detector (see `PixTable`). This subpackage reads both on-disk
formats lazily, selects rows in chunks so that full exposures (3e8 rows)
can be cut with little memory, decodes the origin column, and rebuilds
detector images. It shares only I/O helpers with the rest of the package.
The PSF fit on a star's rows is `imphot_astropy.fitting.fit_pixtable_star`,
and synthetic tables are in `imphot_astropy.datasets`.
"""

from .slicer import *  # noqa: F401,F403
from .origin import *  # noqa: F401,F403
from .sky import *  # noqa: F401,F403
from .pixtable import *  # noqa: F401,F403
from .mask import *  # noqa: F401,F403
from .autocal import *  # noqa: F401,F403

from .slicer import __all__ as _slicer_all
from .origin import __all__ as _origin_all
from .sky import __all__ as _sky_all
from .pixtable import __all__ as _pixtable_all
from .mask import __all__ as _mask_all
from .autocal import __all__ as _autocal_all

__all__ = (list(_pixtable_all) + list(_slicer_all) + list(_origin_all)
           + list(_sky_all) + list(_mask_all) + list(_autocal_all))
