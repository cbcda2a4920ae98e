"""Reading images into one internal form, and writing FITS files safely.

This is the lowest layer of the package: it knows about files, HDUs and
NDData objects, and hands plain arrays, a mask, a unit and a celestial WCS to
the layers above it.
"""

from .images import *  # noqa: F401,F403
from .atomic import *  # noqa: F401,F403
from .units import *  # noqa: F401,F403
from .grids import *  # noqa: F401,F403
from .masks import *  # noqa: F401,F403
from .hdus import *  # noqa: F401,F403
from .ccd import *  # noqa: F401,F403
from .muse_image import *  # noqa: F401,F403
from .mpdaf_objects import *  # noqa: F401,F403

from .images import __all__ as _images_all
from .atomic import __all__ as _atomic_all
from .units import __all__ as _units_all
from .grids import __all__ as _grids_all
from .masks import __all__ as _masks_all
from .hdus import __all__ as _hdus_all
from .ccd import __all__ as _ccd_all
from .muse_image import __all__ as _muse_image_all
from .mpdaf_objects import __all__ as _mpdaf_all

__all__ = (_images_all + _atomic_all + _units_all + _grids_all + _masks_all
           + _hdus_all + _ccd_all + _muse_image_all + _mpdaf_all)
