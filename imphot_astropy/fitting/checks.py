"""Checks of the fitters' inputs and outputs: no information, no result.

A fit always returns numbers; these checks refuse the inputs on which those
numbers would mean nothing (images swapped, an image without variation, a
variance that is not positive, a star larger than the image), and flag the
fits that ended with a free parameter at a bound. Each fitter calls them
with one line each.
"""

import warnings

import numpy as np
from astropy.utils.exceptions import AstropyUserWarning

from ..core.transfer import REGRID_FILTER_KEYWORD
from ..exceptions import UserError
from ..masking import parse_star

__all__ = ["check_not_swapped", "check_informative", "check_star_size",
           "warn_at_bound"]

#: INSTRUME values of HST cameras, as in the headers of their products.
HST_INSTRUMENTS = ("ACS", "WFC3", "WFPC2", "NICMOS", "STIS", "WFPC")


def _instrument(image):
    value = image.keywords("INSTRUME").get("INSTRUME", "")
    return str(value).strip().upper()


def _is_hst_instrument(name):
    return name.split("/")[0] in HST_INSTRUMENTS


def check_not_swapped(hst_image, muse_image):
    """Refuse an HST and a MUSE image given the wrong way round.

    The files' own markers say what they are: a MUSE image names the MUSE
    instrument or carries a variance (STAT) extension, which HST images on
    the MUSE grid do not have unless regridded by this package (which marks
    them with the ``IMPFILT`` keyword); an HST image names an HST camera or
    carries ``IMPFILT``.

    Parameters
    ----------
    hst_image, muse_image : `~imphot_astropy.io.ImageData`

    Raises
    ------
    UserError
        Naming the argument whose file looks like the other kind.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> from imphot_astropy.io import read_image
    >>> hst, muse, truth = make_synthetic_pair(shape=(32, 32), seed=1)
    >>> check_not_swapped(read_image(hst), read_image(muse))
    >>> check_not_swapped(read_image(muse), read_image(hst))
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: muse: ... is an HST image ...
    """
    muse_instrument = _instrument(muse_image)
    muse_regridded = REGRID_FILTER_KEYWORD in muse_image.keywords(REGRID_FILTER_KEYWORD)
    if muse_regridded or _is_hst_instrument(muse_instrument):
        why = (f"its header has the {REGRID_FILTER_KEYWORD} keyword of an HST image "
               "regridded onto a MUSE grid" if muse_regridded
               else f"its header names the HST camera {muse_instrument}")
        raise UserError(f"muse: {muse_image.name} is an HST image ({why}); were the HST "
                        "and MUSE images given the wrong way round? (the HST image "
                        "comes first)")
    hst_instrument = _instrument(hst_image)
    hst_marked = (REGRID_FILTER_KEYWORD in hst_image.keywords(REGRID_FILTER_KEYWORD)
                  or _is_hst_instrument(hst_instrument))
    if hst_instrument == "MUSE" or (hst_image.variance is not None and not hst_marked):
        why = ("its header names the MUSE instrument" if hst_instrument == "MUSE"
               else "it has a variance (STAT) extension, as MUSE images do, and no "
                    "mark of an HST image")
        raise UserError(f"hst: {hst_image.name} looks like a MUSE image ({why}); the "
                        "reference must be an HST image regridded onto the MUSE grid "
                        "(see regrid_hst_to_muse)")


def check_informative(image, argname):
    """Refuse an image that holds no information to fit.

    Parameters
    ----------
    image : `~imphot_astropy.io.ImageData`
    argname : str
        "hst" or "muse", for the message.

    Raises
    ------
    UserError
        If every usable pixel has the same value (an all-zero image, say),
        or the variance is negative, zero or NaN on usable pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.wcs import WCS
    >>> from imphot_astropy.io import ImageData
    >>> flat = ImageData(np.zeros((4, 4)), np.zeros((4, 4), bool), None, None,
    ...                  WCS(naxis=2), name="flat")
    >>> check_informative(flat, "muse")
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: muse: flat has no usable variation: every usable pixel is 0
    """
    usable = ~image.mask & np.isfinite(image.data)
    values = image.data[usable]
    if values.size and values.min() == values.max():
        raise UserError(f"{argname}: {image.name} has no usable variation: every usable "
                        f"pixel is {values[0]:g}")
    if image.variance is None or not values.size:
        return
    variance = image.variance[usable]
    bad = ~(variance > 0)  # negative, zero or NaN
    if bad.any():
        raise UserError(f"{argname}: the variance (STAT) of {image.name} is not positive "
                        f"at {int(bad.sum())} of {variance.size} usable pixels (minimum "
                        f"{np.nanmin(variance) if np.isfinite(variance).any() else np.nan:g})"
                        "; a variance must be > 0")


def check_star_size(star, image, argname="star"):
    """Refuse a star circle larger than the whole image.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.wcs import WCS
    >>> from imphot_astropy.io import ImageData
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> im = ImageData(np.zeros((50, 50)), np.zeros((50, 50), bool), None, None, w,
    ...                name="m")
    >>> check_star_size((0.0, 0.0, 1e6), im)
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: star: the radius 1e+06" is larger than the whole MUSE image m (14.1" across)
    """
    _, _, radius = parse_star(star, argname)
    ny, nx = image.shape
    across = float(np.hypot(nx * image.pixel_scales[0], ny * image.pixel_scales[1]))
    if radius > across:
        raise UserError(f"{argname}: the radius {radius:g}\" is larger than the whole MUSE "
                        f"image {image.name} ({across:.3g}\" across)")


# -- at_bound: the fit ended with a free parameter at a bound (issue 13) ---
# Kept minimal and separate so that it can join the quality flags of the
# results (issue 16) when those land.
def warn_at_bound(names, image_name, method):
    """Warn that a fit ended with free parameters at a bound; return them.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_bound(["fwhm"], "muse", "image")
    ('fwhm',)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    muse: the image fit ended with fwhm at a bound ...
    """
    names = tuple(names)
    if names:
        warnings.warn(f"{image_name}: the {method} fit ended with {', '.join(names)} at a "
                      "bound of the allowed range: the value is a limit, not a measurement "
                      "(are the images the right way round, and do they overlap?)",
                      AstropyUserWarning)
    return names
