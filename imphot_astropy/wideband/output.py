"""The default file names of bandpass images.

The images themselves are written by `~imphot_astropy.io.write_muse_image`,
the one writer of MUSE-style images.
"""

import os
import re

__all__ = ["wideband_image_name"]


def wideband_image_name(filter_name, cube_path, prefix=None):
    """Return the default file name of a bandpass image, as imphot named it.

    The name is ``<prefix>_<cube>``, where ``<prefix>`` defaults to the base
    name of the filter file up to its first dot (or the HST filter name as
    given), and ``<cube>`` is the base name of the cube file with its first
    "datacube" or "cube" (any case) replaced by "IMAGE" when it began with a
    capital, else "image".

    Parameters
    ----------
    filter_name : str
        The filter file or HST filter name given by the user.
    cube_path : str
        The cube's file name.
    prefix : str, optional
        The prefix (the ``--prefix`` option of ``make_wideband_image``); it
        may hold a directory. None or "" for the default.

    Returns
    -------
    name : str
        A file name, without directory unless ``prefix`` has one.

    Examples
    --------
    >>> wideband_image_name("curves/wfc_F606W.dat",
    ...                     "/data/DATACUBE-MUSE.2014-09-21T07:12:55.019.fits")
    'wfc_F606W_IMAGE-MUSE.2014-09-21T07:12:55.019.fits'
    >>> wideband_image_name("F775W", "udf_cube.fits")
    'F775W_udf_image.fits'
    >>> wideband_image_name("F775W", "udf_cube.fits", prefix="out/hst")
    'out/hst_udf_image.fits'
    """
    if not prefix:
        prefix = os.path.basename(str(filter_name)).split(".")[0] or "filter"
    name = os.path.basename(str(cube_path))
    match = re.search(r"(data)?cube", name, re.IGNORECASE)
    if match:
        replacement = "IMAGE" if match.group(0)[0].isupper() else "image"
        name = name[:match.start()] + replacement + name[match.end():]
    return f"{prefix}_{name}"
