"""Figures of fits: what the astronomer looks at to trust a fit.

Figures only draw: every number they show (model, residual, Fourier
amplitudes, profiles, fitted values) comes from the fitting layer
(`imphot_astropy.fitting`, which never imports this subpackage). This
subpackage depends on numpy, astropy, the fitting layer and (imported only
when a figure is drawn) matplotlib; the public fit functions of
`imphot_astropy.photometry` call it for ``display``, ``hardcopy``, ``fig``
and ``title``.
"""

from .figures import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .image_fit import *  # noqa: F401,F403
from .star_fit import *  # noqa: F401,F403
from .survey import *  # noqa: F401,F403
from .pixtable_star import *  # noqa: F401,F403
from .layout import *  # noqa: F401,F403

from .figures import __all__ as _figures_all
from .text import __all__ as _text_all
from .image_fit import __all__ as _image_fit_all
from .star_fit import __all__ as _star_fit_all
from .survey import __all__ as _survey_all
from .pixtable_star import __all__ as _pixtable_star_all
from .layout import __all__ as _layout_all

__all__ = (list(_figures_all) + list(_text_all) + list(_image_fit_all)
           + list(_star_fit_all) + list(_survey_all) + list(_pixtable_star_all)
           + list(_layout_all))
