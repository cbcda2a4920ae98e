"""The public fit functions: measure, then draw, save and correct on request.

`fit_image_photometry`, `fit_star_photometry` and
`fit_image_and_star_photometry` keep the reference tool's signatures and
keywords. Each checks its arguments before fitting, has
`imphot_astropy.fitting` measure, and acts on the result: figures
(`imphot_astropy.plotting`), FITS products (`write_image_fit_products`) and
the corrected MUSE image (`imphot_astropy.corrections`). This layer sits
above those three; none of them imports it.
"""

from .products import *  # noqa: F401,F403
from .image_fit import *  # noqa: F401,F403
from .star_fit import *  # noqa: F401,F403
from .combined import *  # noqa: F401,F403
from .products import __all__ as _products_all
from .image_fit import __all__ as _image_fit_all
from .star_fit import __all__ as _star_fit_all
from .combined import __all__ as _combined_all

__all__ = (list(_image_fit_all) + list(_star_fit_all) + list(_combined_all)
           + list(_products_all))
