"""Preparing HST references and MUSE images for the fitters."""

from .filters import *  # noqa: F401,F403
from .rescale import *  # noqa: F401,F403
from .regrid import *  # noqa: F401,F403
from .filter_curves import *  # noqa: F401,F403

from .filters import __all__ as _filters_all
from .rescale import __all__ as _rescale_all
from .regrid import __all__ as _regrid_all
from .filter_curves import __all__ as _curves_all

__all__ = (list(_filters_all) + list(_rescale_all) + list(_regrid_all)
           + list(_curves_all))
