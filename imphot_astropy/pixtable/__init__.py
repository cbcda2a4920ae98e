"""MUSE pixel tables: reading, selecting, decoding and writing.

A pixel table holds the un-resampled pixels of MUSE exposures, one row per
CCD pixel, with its sky position, wavelength, value, variance, flags and
origin on the detector (see `PixTable`). This subpackage reads both on-disk
formats lazily, selects rows in chunks so that full exposures (3e8 rows)
can be cut with little memory, decodes the origin column, and rebuilds
detector images. It shares only I/O helpers with the rest of the package.
"""

from .slicer import *  # noqa: F401,F403
from .origin import *  # noqa: F401,F403
from .sky import *  # noqa: F401,F403
from .pixtable import *  # noqa: F401,F403
from .datasets import *  # noqa: F401,F403
from .mask import *  # noqa: F401,F403
from .moffat_samples import *  # noqa: F401,F403
from .starfit import *  # noqa: F401,F403
from .autocal import *  # noqa: F401,F403

from .slicer import __all__ as _slicer_all
from .origin import __all__ as _origin_all
from .sky import __all__ as _sky_all
from .pixtable import __all__ as _pixtable_all
from .datasets import __all__ as _datasets_all
from .mask import __all__ as _mask_all
from .moffat_samples import __all__ as _moffat_samples_all
from .starfit import __all__ as _starfit_all
from .autocal import __all__ as _autocal_all

__all__ = (list(_pixtable_all) + list(_slicer_all) + list(_origin_all)
           + list(_sky_all) + list(_datasets_all) + list(_mask_all)
           + list(_moffat_samples_all) + list(_starfit_all)
           + list(_autocal_all))
