"""Read a user's bad-pixel mask that must match an image."""

import numpy as np

from ..exceptions import UserError
from .grids import image_grids_aligned
from .images import ImageData, read_image  # noqa: F401 (ImageData: for the doctest)

__all__ = ["read_mask"]


def read_mask(mask, reference, argname="extramask"):
    """Read a boolean mask (True = bad) that must match a reference image.

    Parameters
    ----------
    mask : `numpy.ndarray`, NDData/CCDData, or str
        A boolean (or 0/1 integer) array of the reference's shape; an NDData
        of integers (non-zero = masked) on the same pixel grid; or a FITS file
        whose DATA extension (or primary HDU) holds such integers.
    reference : `ImageData`
        The image the mask applies to.
    argname : str
        The argument name to quote in error messages.

    Returns
    -------
    mask : `numpy.ndarray` of bool

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> ref = ImageData(np.zeros((2, 2)), np.zeros((2, 2), bool), None, None, w)
    >>> read_mask(np.array([[0, 1], [0, 0]]), ref).sum()
    np.int64(1)
    """
    if isinstance(mask, np.ndarray):
        if mask.shape != reference.shape:
            raise UserError(f"{argname}: the mask has shape {mask.shape}, but "
                            f"the MUSE image has shape {reference.shape}")
        return mask.astype(bool)
    image = read_image(mask, argname)
    if not image_grids_aligned(image, reference):
        raise UserError(f"{argname}: the mask's pixel grid is not aligned with "
                        "the MUSE image")
    values = np.where(np.isfinite(image.data), image.data, 1.0)
    return values != 0
