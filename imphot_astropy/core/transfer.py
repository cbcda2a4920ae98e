"""Transfer functions of pixel sampling and of the regridding filters.

The image fitter has to know the spatial-frequency response of everything
that happened to the HST image on its way to the MUSE grid, so that it can
apply the same response to the MUSE image. Regridding code records which
filter it used in the output header (keywords `REGRID_FILTER_KEYWORD` and
`REGRID_CUTOFF_KEYWORD`); the fitter reads them back with
`regrid_filter_from_header`.
"""

import numpy as np

from ..exceptions import UserError

__all__ = ["REGRID_FILTER_KEYWORD", "REGRID_CUTOFF_KEYWORD", "BLACKMAN",
           "blackman_window", "pixel_transfer_function", "RegridFilter",
           "regrid_filter_from_header"]

#: Header keyword naming the anti-aliasing filter used when an image was
#: regridded onto the MUSE grid.
REGRID_FILTER_KEYWORD = "IMPFILT"
#: Header keyword giving that filter's cut-off frequency, in cycles per
#: output pixel (0.5 is the output grid's Nyquist frequency).
REGRID_CUTOFF_KEYWORD = "IMPFCUT"
#: The name of the radial Blackman window, the filter of MPDAF's
#: ``Image.resample``/``align_with_image`` and of our own regridding.
BLACKMAN = "BLACKMAN"


def blackman_window(freq_ratio):
    """The radial Blackman window as a function of frequency / cut-off.

    ``0.42 + 0.5 cos(pi r) + 0.08 cos(2 pi r)`` for ``r < 1``, else 0.

    Parameters
    ----------
    freq_ratio : array_like
        Radial spatial frequency divided by the cut-off frequency.

    Returns
    -------
    window : `numpy.ndarray`

    Examples
    --------
    >>> blackman_window([0.0, 0.5, 1.0, 2.0]).round(3)
    array([1.  , 0.34, 0.  , 0.  ])
    """
    r = np.asarray(freq_ratio, dtype=float)
    window = 0.42 + 0.5 * np.cos(np.pi * r) + 0.08 * np.cos(2 * np.pi * r)
    return np.where(r < 1.0, np.maximum(window, 0.0), 0.0)


def pixel_transfer_function(fx, fy, pixel_x, pixel_y):
    """The Fourier transform of a square pixel's unit box response.

    An image whose pixels integrate the sky over ``pixel_x`` by ``pixel_y``
    has its spectrum multiplied by ``sinc(fx * pixel_x) sinc(fy * pixel_y)``.

    Parameters
    ----------
    fx, fy : array_like
        Spatial frequencies along the x and y pixel axes (cycles/arcsec).
    pixel_x, pixel_y : float
        Pixel sizes along x and y (arcsec).

    Returns
    -------
    transfer : `numpy.ndarray`

    Examples
    --------
    >>> float(pixel_transfer_function(2.5, 0.0, 0.2, 0.2))  # Nyquist
    0.6366197723675814
    """
    return np.sinc(np.asarray(fx) * pixel_x) * np.sinc(np.asarray(fy) * pixel_y)


class RegridFilter:
    """An anti-aliasing filter applied when regridding onto the MUSE grid.

    Parameters
    ----------
    name : str
        The filter's name (only `BLACKMAN` is known).
    cutoff : float
        The cut-off frequency in cycles per output pixel.
    assumed : bool
        True if the header did not say, and the filter was assumed.

    Examples
    --------
    >>> f = RegridFilter(BLACKMAN, 0.5)
    >>> f.transfer(np.array([0.0, 2.5]), np.array([0.0, 0.0]), 0.2, 0.2)
    array([1., 0.])
    """

    def __init__(self, name=BLACKMAN, cutoff=0.5, assumed=False):
        self.name = name
        self.cutoff = cutoff
        self.assumed = assumed

    def transfer(self, fx, fy, pixel_x, pixel_y):
        """The filter's response at frequencies (cycles/arcsec) fx, fy.

        The frequencies are scaled to cycles per output pixel along each
        axis before the radial window is evaluated, as MPDAF does.
        """
        radius = np.hypot(np.asarray(fx) * pixel_x, np.asarray(fy) * pixel_y)
        return blackman_window(radius / self.cutoff)

    def __repr__(self):
        return f"RegridFilter({self.name!r}, cutoff={self.cutoff})"


def regrid_filter_from_header(header, argname="hst"):
    """The regridding filter recorded in a header, or MPDAF's by default.

    Images regridded by MPDAF carry no record of the filter; they used a
    radial Blackman window cut off at the output Nyquist frequency, which is
    what is assumed when the keywords are absent.

    Parameters
    ----------
    header : `~astropy.io.fits.Header` or dict
        The header of the regridded HST image.
    argname : str
        The argument or file name to quote in error messages.

    Returns
    -------
    filter : `RegridFilter`

    Raises
    ------
    UserError
        If the header names a filter that the fitter does not know.

    Examples
    --------
    >>> regrid_filter_from_header({}).assumed
    True
    >>> regrid_filter_from_header({"IMPFILT": "BLACKMAN", "IMPFCUT": 0.5})
    RegridFilter('BLACKMAN', cutoff=0.5)
    """
    name = header.get(REGRID_FILTER_KEYWORD)
    if name is None:
        return RegridFilter(BLACKMAN, 0.5, assumed=True)
    name = str(name).strip().upper()
    if name != BLACKMAN:
        raise UserError(f"{argname}: the image was regridded with an unknown "
                        f"anti-aliasing filter ({REGRID_FILTER_KEYWORD} = '{name}'); "
                        f"the fitter knows only '{BLACKMAN}'")
    try:
        cutoff = float(header.get(REGRID_CUTOFF_KEYWORD, 0.5))
    except (TypeError, ValueError):
        raise UserError(f"{argname}: {REGRID_CUTOFF_KEYWORD} must be a number") from None
    if not 0 < cutoff <= 0.5:
        raise UserError(f"{argname}: {REGRID_CUTOFF_KEYWORD} = {cutoff} is not a "
                        "cut-off frequency in (0, 0.5] cycles per pixel")
    return RegridFilter(BLACKMAN, cutoff)
