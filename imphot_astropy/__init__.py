"""imphot_astropy: MUSE image photometry against HST, on astropy.

Compare a MUSE image with an HST image of the same sky to measure the MUSE
PSF (Moffat FWHM and beta), the flux scale and zero offset, and the pointing
offset. The public names and keywords are those of the MPDAF-based
``imphot``, re-expressed on astropy objects.
"""

__version__ = "0.1.dev0"

from .exceptions import UserError, WorkerError
from .io import image_grids_aligned
from .preparation import (HstFilterInfo, rescale_hst_like_muse, regrid_hst_like_muse,
                          write_regridded_hst, hst_filter_bandpass)
from .fitting import (FittedValue, FittedPhotometry, FittedImagePhotometry,
                      FittedStarPhotometry, photometry_table)
from .photometry import (fit_image_photometry, fit_star_photometry,
                         fit_image_and_star_photometry)
from .corrections import apply_corrections
from .wideband import bandpass_image, FilterTruncationWarning, write_muse_image
from .batch import (FitPhotometryMP, FitImagePhotometryMP, FitStarPhotometryMP,
                    FitImageAndStarPhotometryMP, write_photometry_table)
from .scripts.arguments import (ImphotArgumentParser, extract_function_args,
                                FIT_IMAGE, FIT_STAR, FIT_BOTH)
from .scripts.fit_photometry import fit_photometry_main
from . import pixtable, plotting
from .pixtable import PixTable, Slicer

__all__ = ["UserError", "WorkerError", "image_grids_aligned",
           "HstFilterInfo", "rescale_hst_like_muse", "regrid_hst_like_muse",
           "write_regridded_hst", "hst_filter_bandpass",
           "FittedValue", "FittedPhotometry", "FittedImagePhotometry",
           "FittedStarPhotometry", "photometry_table", "fit_image_photometry",
           "fit_star_photometry", "fit_image_and_star_photometry",
           "apply_corrections", "bandpass_image", "FilterTruncationWarning",
           "write_muse_image", "FitPhotometryMP", "FitImagePhotometryMP",
           "FitStarPhotometryMP", "FitImageAndStarPhotometryMP", "write_photometry_table",
           "ImphotArgumentParser", "extract_function_args", "FIT_IMAGE", "FIT_STAR",
           "FIT_BOTH", "fit_photometry_main", "pixtable", "plotting", "PixTable", "Slicer"]
