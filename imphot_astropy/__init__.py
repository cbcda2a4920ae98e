"""imphot_astropy: MUSE image photometry against HST, on astropy.

Compare a MUSE image with an HST image of the same sky to measure the MUSE
PSF (Moffat FWHM and beta), the flux scale and zero offset, and the pointing
offset.
"""

__version__ = "0.1.dev0"

from .exceptions import *  # noqa: F401,F403
from .io import image_grids_aligned  # noqa: F401
from .preparation import *  # noqa: F401,F403
from .fitting import *  # noqa: F401,F403
from .corrections import apply_corrections  # noqa: F401
from . import pixtable  # noqa: F401
from .pixtable import PixTable, Slicer  # noqa: F401

from .exceptions import __all__ as _exceptions_all
from .preparation import __all__ as _preparation_all
from .fitting import __all__ as _fitting_all

__all__ = (list(_exceptions_all) + ["image_grids_aligned"]
           + list(_preparation_all) + list(_fitting_all) + ["apply_corrections", "PixTable", "Slicer"])
