"""Do two images sample the same sky positions?"""

import numpy as np
from astropy.coordinates import SkyCoord

from .images import read_image, ImageData

__all__ = ["image_grids_aligned"]


def _corner_and_centre_pixels(shape):
    ny, nx = shape
    xs = np.array([0, nx - 1, 0, nx - 1, (nx - 1) / 2.0])
    ys = np.array([0, 0, ny - 1, ny - 1, (ny - 1) / 2.0])
    return xs, ys


def image_grids_aligned(im1, im2, tolerance=0.01):
    """Return True if two images sample the same sky positions.

    The images must have the same shape, and the sky positions of their
    four corner pixels and their centre must agree within ``tolerance``.
    Comparing positions, rather than WCS keywords, accepts equivalent WCS
    written in different ways (CD versus PC/CDELT, another reference pixel).

    Parameters
    ----------
    im1, im2 : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The images to compare.
    tolerance : float
        The largest allowed separation, in arcsec.

    Returns
    -------
    aligned : bool

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.crval = [338.23, -60.56]; w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> a = CCDData(np.zeros((30, 40)), unit="adu", wcs=w)
    >>> w2 = w.deepcopy(); w2.wcs.crpix = [1.5, 1.0]
    >>> image_grids_aligned(a, a), image_grids_aligned(a, CCDData(a.data, unit="adu", wcs=w2))
    (True, False)
    """
    if not isinstance(im1, ImageData):
        im1 = read_image(im1, "im1")
    if not isinstance(im2, ImageData):
        im2 = read_image(im2, "im2")
    if im1.shape != im2.shape:
        return False
    xs, ys = _corner_and_centre_pixels(im1.shape)
    # Compare the raw world coordinates, ignoring the frame labels: MUSE
    # headers often omit RADESYS (so astropy assumes ICRS) while regridded
    # HST images say FK5, and the ~20 mas between those frames would
    # otherwise reject grids that are the same.
    lon1, lat1 = im1.wcs.pixel_to_world_values(xs, ys)
    lon2, lat2 = im2.wcs.pixel_to_world_values(xs, ys)
    sky1 = SkyCoord(lon1, lat1, unit="deg")
    sky2 = SkyCoord(lon2, lat2, unit="deg")
    separation = sky1.separation(sky2).arcsec
    return bool(np.all(separation <= tolerance))
