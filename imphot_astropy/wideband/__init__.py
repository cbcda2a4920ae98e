"""Wide-band images from spectral cubes, with a filter's spectral response.

`bandpass_image` extracts from a MUSE cube (or an NDData, SpectralCube or
specutils cube) the image seen through a filter such as an HST one, reading
only the planes the filter reaches; `~imphot_astropy.io.write_muse_image`
writes it as a MUSE-style FITS image.
"""

from .curves import *  # noqa: F401,F403
from .weights import *  # noqa: F401,F403
from .planesums import *  # noqa: F401,F403
from .cubes import *  # noqa: F401,F403
from .bandpass import *  # noqa: F401,F403
from .output import *  # noqa: F401,F403
from .multiband import *  # noqa: F401,F403

from .curves import __all__ as _curves_all
from .weights import __all__ as _weights_all
from .planesums import __all__ as _planesums_all
from .cubes import __all__ as _cubes_all
from .bandpass import __all__ as _bandpass_all
from .output import __all__ as _output_all
from .multiband import __all__ as _multiband_all

__all__ = (list(_curves_all) + list(_weights_all) + list(_planesums_all)
           + list(_cubes_all) + list(_bandpass_all) + list(_output_all)
           + list(_multiband_all))
