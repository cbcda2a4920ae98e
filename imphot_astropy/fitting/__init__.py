"""The fitters and their results: this layer only measures.

`measure_image_photometry`, `measure_star_photometry` and
`measure_image_and_star_photometry` take images (and masks, regions, fit
options) and return results holding the arrays that a figure or a product
needs (`image_fit_images`). They draw, write and correct nothing: the public
fit functions that do, on request, are in `imphot_astropy.photometry`.
`fit_pixtable_star` fits the PSF to a star's unresampled samples in a
`~imphot_astropy.PixTable` and returns a table (drawn by
`imphot_astropy.plotting.plot_pixtable_star`).
"""

from .results import *  # noqa: F401,F403
from .image_fit import (measure_image_photometry, DEFAULT_HST_FWHM,  # noqa: F401
                        DEFAULT_HST_BETA)
from .images import *  # noqa: F401,F403
from .star_models import PixelIntegratedMoffat2D, BandLimitedMoffat2D
from .star_fit import measure_star_photometry, FittedStarPhotometry  # noqa: F401
from .combined import *  # noqa: F401,F403
from .point_sources import find_point_sources
from .psf import MusePixelMoffatPSF
from .pixtable_star import fit_pixtable_star
from ._moffat_samples import StarSamples, fit_moffat_samples, moffat_samples_model
from .results import __all__ as _results_all
from .images import __all__ as _images_all
from .combined import __all__ as _combined_all

__all__ = (list(_results_all)
           + ["measure_image_photometry", "DEFAULT_HST_FWHM", "DEFAULT_HST_BETA"]
           + list(_images_all)
           + ["PixelIntegratedMoffat2D", "BandLimitedMoffat2D",
              "measure_star_photometry", "FittedStarPhotometry", "find_point_sources",
              "MusePixelMoffatPSF", "fit_pixtable_star", "StarSamples", "fit_moffat_samples",
              "moffat_samples_model"]
           + list(_combined_all))
