"""Figures of fits: what the astronomer looks at to trust a fit.

This subpackage depends on numpy, astropy and (imported only when a figure
is drawn) matplotlib, never on the fitters, so that the fitters can hand
their results to it (``display``, ``hardcopy``, ``fig``, ``title``).
"""

from .figures import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .image_fit import *  # noqa: F401,F403
from .star_fit import *  # noqa: F401,F403
from .pixtable_star import *  # noqa: F401,F403

from .figures import __all__ as _figures_all
from .text import __all__ as _text_all
from .image_fit import __all__ as _image_fit_all
from .star_fit import __all__ as _star_fit_all
from .pixtable_star import __all__ as _pixtable_star_all

__all__ = (list(_figures_all) + list(_text_all) + list(_image_fit_all)
           + list(_star_fit_all) + list(_pixtable_star_all))
