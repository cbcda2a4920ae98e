"""The fitters and their results."""

from .results import *  # noqa: F401,F403
from .image_fit import *  # noqa: F401,F403
from .results import __all__ as _results_all
from .image_fit import __all__ as _image_fit_all

__all__ = list(_results_all) + list(_image_fit_all)
