"""The fitters and their results."""

from .results import *  # noqa: F401,F403
from .image_fit import *  # noqa: F401,F403
from .star_models import PixelIntegratedMoffat2D, BandLimitedMoffat2D
from .star_fit import *  # noqa: F401,F403
from .combined import *  # noqa: F401,F403
from .results import __all__ as _results_all
from .image_fit import __all__ as _image_fit_all
from .star_fit import __all__ as _star_fit_all
from .combined import __all__ as _combined_all

__all__ = (list(_results_all) + list(_image_fit_all)
           + ["PixelIntegratedMoffat2D", "BandLimitedMoffat2D"] + list(_star_fit_all)
           + list(_combined_all))
