"""The survey layer: from exposure cubes to what a survey consumes.

`fit_cube_photometry` makes the image of each HST band from one pass over
an exposure cube, fits each band against its HST image, then fits all the
bands at once with one pointing offset and the PSF's FWHM and beta as
polynomials in wavelength; `FSFModel` holds that PSF and writes MPDAF's
FSF header keywords; `write_offset_list` writes the MUSE pipeline's
OFFSET_LIST table.
"""

from .fsf import *  # noqa: F401,F403
from .results import *  # noqa: F401,F403
from .cube_fit import *  # noqa: F401,F403
from .offset_list import *  # noqa: F401,F403
from .fsf import __all__ as _fsf_all
from .results import __all__ as _results_all
from .cube_fit import __all__ as _cube_fit_all
from .offset_list import __all__ as _offset_list_all

__all__ = (list(_fsf_all) + list(_results_all) + list(_cube_fit_all)
           + list(_offset_list_all))
