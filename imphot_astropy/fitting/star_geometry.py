"""Where the star is on the MUSE grid, and which of its pixels a star fit uses."""

import numpy as np
from scipy import fft as sp_fft

from ..exceptions import UserError
from ..masking import regions_mask, star_region, parse_star
from .checks import check_star_size

__all__ = ["StarGeometry", "select_star_pixels", "require_enough_pixels"]


class StarGeometry:
    """Where the star is on the MUSE grid, and the circle of pixels to fit.

    Positions are measured in arcsec along the pixel axes from the centre of
    the pixel nearest to the star (the "origin"), so that pixel centres lie
    on a lattice of pixel-size steps, as `BandLimitedMoffat2D` needs.

    Parameters
    ----------
    star : (ra, dec, radius)
        Degrees, degrees and arcsec.
    image : `~imphot_astropy.io.ImageData`
        The MUSE image (its WCS and shape).

    Raises
    ------
    UserError
        If the star lies off the image, or the radius is below a pixel.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> from imphot_astropy.fitting.image_fit import read_aligned_pair
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> hst_image, muse_image = read_aligned_pair(hst, muse)
    >>> geometry = StarGeometry((*truth["star_radec"][0], 1.0), muse_image)
    >>> geometry.origin
    (20, 20)
    """

    def __init__(self, star, image):
        self.ra, self.dec, self.radius = parse_star(star)
        x, y = (float(v) for v in image.wcs.world_to_pixel_values(self.ra, self.dec))
        ny, nx = image.shape
        if not (np.isfinite(x) and np.isfinite(y)
                and -0.5 <= x <= nx - 0.5 and -0.5 <= y <= ny - 0.5):
            raise UserError(f"star: ({self.ra}, {self.dec}) lies outside the MUSE image "
                            f"{image.name} (pixel x={x:.1f}, y={y:.1f}; the image is "
                            f"{nx} x {ny})")
        self.pixel_x, self.pixel_y = (float(v) for v in image.pixel_scales)
        check_star_size(star, image)
        if self.radius < min(self.pixel_x, self.pixel_y):
            raise UserError(f"star: the radius {self.radius}\" is smaller than a pixel "
                            f"({min(self.pixel_x, self.pixel_y):.3g}\")")
        self.x, self.y = x, y
        self.origin = (int(np.floor(x + 0.5)), int(np.floor(y + 0.5)))
        # The star's (ra, dec) relative to the origin, in arcsec.
        self.star_u = (x - self.origin[0]) * self.pixel_x
        self.star_v = (y - self.origin[1]) * self.pixel_y
        # The same circle as fit_image_photometry(regions="star") uses.
        self.circle = ~regions_mask([star_region(star, include=True)], image.wcs,
                                    image.shape)
        self.shape = image.shape

    def offsets(self, pixels):
        """The (u, v) arcsec offsets from the origin of selected pixels."""
        rows, cols = np.nonzero(pixels)
        return ((cols - self.origin[0]) * self.pixel_x,
                (rows - self.origin[1]) * self.pixel_y)

    def crop(self, pixels):
        """Slices of the grid that hold the selected pixels."""
        rows, cols = np.nonzero(pixels)
        return (slice(int(rows.min()), int(rows.max()) + 1),
                slice(int(cols.min()), int(cols.max()) + 1))

    def grid_size(self, pixels):
        """An FFT size that holds the selected pixels and the wings beyond."""
        u_, v_ = self.offsets(pixels)
        reach = max(np.abs(u_).max() / self.pixel_x, np.abs(v_).max() / self.pixel_y)
        # Twice the reach plus room for the wings that the periodic
        # transform wraps around (they then fall 32+ pixels away).
        return sp_fft.next_fast_len(max(64, int(2 * reach) + 32))


def select_star_pixels(geometry, muse_bad, hst_bad):
    """The pixels of the star circle that are unmasked in both images.

    Parameters
    ----------
    geometry : `StarGeometry`
        The star and its circle.
    muse_bad, hst_bad : `numpy.ndarray` of bool
        The masks (True = bad) of the two images.

    Returns
    -------
    pixels : `numpy.ndarray` of bool

    Raises
    ------
    UserError
        If every pixel of the circle is masked in either image, or in one
        or the other.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> from imphot_astropy.fitting.image_fit import read_aligned_pair
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> hst_image, muse_image = read_aligned_pair(hst, muse)
    >>> geometry = StarGeometry((*truth["star_radec"][0], 1.0), muse_image)
    >>> int(select_star_pixels(geometry, muse_image.mask, hst_image.mask).sum())
    80
    """
    where = f"within {geometry.radius}\" of the star at ({geometry.ra}, {geometry.dec})"
    if not (geometry.circle & ~muse_bad).any():
        raise UserError(f"star: every MUSE pixel {where} is masked")
    if not (geometry.circle & ~hst_bad).any():
        raise UserError(f"star: every HST pixel {where} is masked (outside the HST "
                        "image's coverage?)")
    pixels = geometry.circle & ~muse_bad & ~hst_bad
    if not pixels.any():
        raise UserError(f"star: no pixel {where} is unmasked in both images")
    return pixels


def require_enough_pixels(geometry, pixels):
    """Refuse to fit fewer pixels than each star fit has free parameters.

    The HST fit always has 6 (flux, x, y, fwhm, beta, background); one more
    pixel leaves a degree of freedom for the reduced chi-squared.

    Parameters
    ----------
    geometry : `StarGeometry`
        The star (named in the error message).
    pixels : `numpy.ndarray` of bool
        The pixels to fit.

    Raises
    ------
    UserError
        If there are 6 pixels or fewer.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> from imphot_astropy.fitting.image_fit import read_aligned_pair
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> hst_image, muse_image = read_aligned_pair(hst, muse)
    >>> geometry = StarGeometry((*truth["star_radec"][0], 1.0), muse_image)
    >>> require_enough_pixels(geometry, geometry.circle)  # enough: nothing happens
    """
    n_pixels = int(np.count_nonzero(pixels))
    n_free = 6
    if n_pixels <= n_free:
        raise UserError(
            f"star: only {n_pixels} pixels within {geometry.radius}\" of the star at "
            f"({geometry.ra}, {geometry.dec}) are unmasked in both images; at least "
            f"{n_free + 1} are needed to fit the {n_free} free parameters of a Moffat "
            "profile and a background (use a larger radius)")
