"""Synthetic reference images with the headers of real archive products.

What the archives deliver, rebuilt from keywords (no archive file is
shipped): HST drizzled products of WFPC2 (in counts/s, i.e. DN/s), ACS/WFC
and WFC3/UVIS (in electrons/s), with extensions SCI, WHT and CTX, the
instrument and filter in the primary header (WFPC2: FILTNAM1 and an integer
wheel position FILTER1) and the photometric keywords PHOTMODE, PHOTFLAM,
PHOTPLAM, PHOTBW and PHOTZPT in the SCI header; and a JWST NIRCam i2d image
in MJy/sr, with extensions SCI, ERR, CON, WHT and the VAR_* variances, the
instrument, detector and filter in the primary header and PIXAR_SR,
PIXAR_A2 and PHOTMJSR in the SCI header.

The calibration numbers are of the size the pipelines write (for example
WFPC2 F814W at gain 7: PHOTFLAM 2.508e-18 erg/cm2/s/Angstrom per DN/s at a
pivot of 7995.9 Angstrom); they are not copied from one particular file,
and the ACS/WFC F775W PHOTFLAM deliberately differs by 3% from the built-in
published value, so that a test can tell which calibration was used.

`make_archive_image` renders a synthetic sky on the product's own pixel grid
(its pixel scale, a rotated drizzle WCS) and divides it by the header's own
calibration, so that an image rescaled with that header is back in MUSE
flux units: a fit against a MUSE image of the same sky finds a scale of 1.
"""

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.modeling.models import Moffat2D
from astropy.wcs import WCS
from astropy.wcs.utils import pixel_to_pixel

from ..core.moffat import moffat_alpha
from .synthetic import sample_galaxies

__all__ = ["ARCHIVE_PRODUCTS", "archive_headers", "archive_wcs", "muse_flux_per_unit",
           "render_sky_on_grid", "make_archive_image"]

#: The products, by name: the camera, its drizzled pixel scale (arcsec),
#: the orientation of the drizzled grid (degrees), the PSF (Moffat FWHM in
#: arcsec and beta) and the header keywords (primary and SCI).
ARCHIVE_PRODUCTS = {
    "wfpc2_f814w": dict(
        pixel_scale=0.0996, rotation=94.55, psf=(0.17, 1.6), extensions=("WHT", "CTX"),
        primary=dict(TELESCOP="HST", INSTRUME="WFPC2", DETECTOR=3, FILTNAM1="F814W",
                     FILTNAM2="", FILTER1=29, FILTER2=0, ATODGAIN=7.0, EXPTIME=4400.0,
                     ROOTNAME="U2IY0101T"),
        sci=dict(BUNIT="COUNTS/S", PHOTMODE="WFPC2,1,A2D7,F814W,,CAL",
                 PHOTFLAM=2.508e-18, PHOTZPT=-21.1, PHOTPLAM=7995.9, PHOTBW=646.3,
                 WCSNAME="DRZWCS")),
    "acs_wfc_f775w": dict(
        pixel_scale=0.05, rotation=37.1, psf=(0.10, 1.6), extensions=("WHT", "CTX"),
        primary=dict(TELESCOP="HST", INSTRUME="ACS", DETECTOR="WFC", FILTER1="F775W",
                     FILTER2="CLEAR2L", EXPTIME=2100.0, ROOTNAME="JBHJ01010"),
        sci=dict(BUNIT="ELECTRONS/S", PHOTMODE="ACS WFC1 F775W MJD#57000.0000",
                 PHOTFLAM=1.0037e-19, PHOTZPT=-21.1, PHOTPLAM=7693.5, PHOTBW=434.6,
                 WCSNAME="DRZWCS")),
    "wfc3_uvis_f606w": dict(
        pixel_scale=0.04, rotation=-23.4, psf=(0.08, 1.6), extensions=("WHT", "CTX"),
        primary=dict(TELESCOP="HST", INSTRUME="WFC3", DETECTOR="UVIS", FILTER="F606W",
                     EXPTIME=1800.0, ROOTNAME="IBHJ02010"),
        sci=dict(BUNIT="ELECTRONS/S", PHOTMODE="WFC3,UVIS1,F606W", PHOTFLAM=1.1365e-19,
                 PHTFLAM1=1.1365e-19, PHTFLAM2=1.1365e-19, PHOTZPT=-21.1,
                 PHOTPLAM=5889.2, PHOTBW=659.3, WCSNAME="DRZWCS")),
    "wfc3_uvis_f814w": dict(
        pixel_scale=0.04, rotation=-23.4, psf=(0.09, 1.6), extensions=("WHT", "CTX"),
        primary=dict(TELESCOP="HST", INSTRUME="WFC3", DETECTOR="UVIS", FILTER="F814W",
                     EXPTIME=1800.0, ROOTNAME="IBHJ02020"),
        sci=dict(BUNIT="ELECTRONS/S", PHOTMODE="WFC3,UVIS1,F814W", PHOTFLAM=1.5360e-19,
                 PHTFLAM1=1.5360e-19, PHTFLAM2=1.5360e-19, PHOTZPT=-21.1,
                 PHOTPLAM=8039.0, PHOTBW=666.7, WCSNAME="DRZWCS")),
    # NIRCam short-wavelength i2d, resampled to 0.03" pixels. JWST headers
    # carry no pivot wavelength: 9021 Angstrom is the published F090W pivot
    # (JWST user documentation), used here to calibrate the synthetic image
    # independently of the curve the package reads.
    "nircam_f090w": dict(
        pixel_scale=0.03, rotation=142.3, psf=(0.035, 2.0),
        extensions=("ERR", "CON", "WHT", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"),
        published_pivot=9021.0,
        primary=dict(TELESCOP="JWST", INSTRUME="NIRCAM", DETECTOR="MULTIPLE",
                     MODULE="MULTIPLE", CHANNEL="SHORT", FILTER="F090W", PUPIL="CLEAR",
                     EFFEXPTM=3000.0),
        sci=dict(BUNIT="MJy/sr", PHOTMJSR=0.4794, PHOTUJA2=11.268,
                 PIXAR_SR=0.03**2 * (u.arcsec**2).to(u.sr),
                 PIXAR_A2=0.0009)),
}


def _product(name):
    try:
        return ARCHIVE_PRODUCTS[name]
    except KeyError:
        raise ValueError(f"product: expected one of {sorted(ARCHIVE_PRODUCTS)}, "
                         f"not {name!r}") from None


def archive_wcs(product, shape, ra, dec):
    """The drizzled grid of a product: TAN, rotated, centred on (ra, dec).

    HST drizzled products write a CD matrix; JWST i2d images PC and CDELT.

    Examples
    --------
    >>> w = archive_wcs("nircam_f090w", (100, 100), 53.16, -27.78)
    >>> round(float(w.proj_plane_pixel_scales()[0].to_value("arcsec")), 4)
    0.03
    """
    spec = _product(product)
    theta = np.deg2rad(spec["rotation"])
    step = spec["pixel_scale"] / 3600.0
    rotation = np.array([[-np.cos(theta), np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.cunit = ["deg", "deg"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(shape[1] + 1) / 2.0, (shape[0] + 1) / 2.0]
    wcs.wcs.radesys = "ICRS"
    if spec["primary"]["TELESCOP"] == "JWST":
        wcs.wcs.cdelt = [step, step]
        wcs.wcs.pc = rotation
    else:
        wcs.wcs.cd = step * rotation
        wcs.wcs.equinox = 2000.0
    return wcs


def archive_headers(product, wcs=None):
    """The primary and SCI headers of a product, as the archive writes them.

    Parameters
    ----------
    product : str
        A key of `ARCHIVE_PRODUCTS`: ``"wfpc2_f814w"``, ``"acs_wfc_f775w"``,
        ``"wfc3_uvis_f606w"``, ``"wfc3_uvis_f814w"`` or ``"nircam_f090w"``.
    wcs : `~astropy.wcs.WCS`, optional
        Written into the SCI header.

    Returns
    -------
    primary, sci : `~astropy.io.fits.Header`

    Examples
    --------
    >>> primary, sci = archive_headers("wfpc2_f814w")
    >>> primary["FILTNAM1"], primary["FILTER1"], sci["BUNIT"], sci["PHOTMODE"]
    ('F814W', 29, 'COUNTS/S', 'WFPC2,1,A2D7,F814W,,CAL')
    """
    spec = _product(product)
    primary = fits.Header(spec["primary"])
    sci = fits.Header({"EXTNAME": "SCI", "EXTVER": 1})
    if wcs is not None:
        sci.update(wcs.to_header())
    sci.update(spec["sci"])
    return primary, sci


def muse_flux_per_unit(product):
    """MUSE flux units (1e-20 erg/s/cm2/Angstrom) per pixel value of a product.

    From the header's own numbers, by the plain formulas: PHOTFLAM / 1e-20
    for HST; for JWST, 1 MJy/sr times PIXAR_SR, converted from F_nu to
    F_lambda at the published pivot wavelength (F_lambda = F_nu c / pivot**2).

    Examples
    --------
    >>> round(muse_flux_per_unit("wfpc2_f814w"), 2)
    250.8
    """
    spec = _product(product)
    sci = spec["sci"]
    if "PHOTFLAM" in sci:
        return sci["PHOTFLAM"] / 1e-20
    fnu = 1e6 * 1e-23 * sci["PIXAR_SR"]                      # erg/s/cm2/Hz
    pivot_cm = spec["published_pivot"] * 1e-8
    flam = fnu * 2.99792458e10 / pivot_cm**2 * 1e-8          # erg/s/cm2/Angstrom
    return flam / 1e-20


def render_sky_on_grid(sources, muse_wcs, wcs, shape, pixel_scale, psf_fwhm=0.085,
                       psf_beta=1.6, muse_pixel=0.2):
    """The sky of ``sources`` seen through a Moffat PSF on another pixel grid.

    Galaxies are sampled on the grid in the MUSE frame (their shapes are
    those of `~imphot_astropy.datasets.make_synthetic_pair`'s sky) and
    normalised to their fluxes; stars are exact points (phase ramps); the
    whole is convolved with a sampled, unit-sum Moffat.

    Parameters
    ----------
    sources : list of `~imphot_astropy.datasets.SyntheticSource`
        Positions in MUSE pixels of ``muse_wcs``, fluxes per source.
    muse_wcs : `~astropy.wcs.WCS`
        The MUSE grid the sources are placed on.
    wcs : `~astropy.wcs.WCS`
        The grid to render on; ``shape`` its (ny, nx).
    pixel_scale : float
        Its pixel size (arcsec).
    psf_fwhm, psf_beta : float
        The Moffat PSF (FWHM in arcsec).
    muse_pixel : float
        The MUSE pixel size (arcsec).

    Returns
    -------
    image : `numpy.ndarray`
        Flux per pixel, in the sources' unit.

    Examples
    --------
    >>> from imphot_astropy.datasets import SyntheticSource, muse_wcs
    >>> m = muse_wcs((20, 20))
    >>> image = render_sky_on_grid([SyntheticSource(10, 10, 5.0)], m,
    ...                            muse_wcs((80, 80), 0.05), (80, 80), 0.05)
    >>> round(float(image.sum()), 6)
    5.0
    """
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    mx, my = pixel_to_pixel(wcs, muse_wcs, xx.ravel().astype(float),
                            yy.ravel().astype(float))
    sky = sample_galaxies(sources, mx.reshape(shape), my.reshape(shape), muse_pixel)
    spectrum = np.fft.rfft2(sky)
    fx = np.fft.rfftfreq(nx)
    fy = np.fft.fftfreq(ny)
    for source in sources:
        if source.is_star:
            hx, hy = pixel_to_pixel(muse_wcs, wcs, source.x, source.y)
            spectrum += source.flux * np.exp(-2j * np.pi * (fx[None, :] * float(hx)
                                                            + fy[:, None] * float(hy)))
    kxx, kyy = np.meshgrid(np.fft.fftfreq(nx, 1.0 / nx), np.fft.fftfreq(ny, 1.0 / ny))
    fwhm_pixels = psf_fwhm / pixel_scale
    kernel = Moffat2D(1.0, 0.0, 0.0, moffat_alpha(fwhm_pixels, psf_beta), psf_beta)(kxx, kyy)
    spectrum *= np.fft.rfft2(kernel / kernel.sum())
    return np.fft.irfft2(spectrum, s=shape)


def make_archive_image(product, sources, muse_wcs, muse_shape, margin=2.0,
                       muse_pixel=0.2):
    """A synthetic archive product of the sky of ``sources``.

    The image covers the MUSE field (any orientation) plus ``margin`` on
    the product's own drizzled grid, with the product's PSF
    (``ARCHIVE_PRODUCTS[product]["psf"]``), in the product's unit: the sky
    (in the MUSE flux unit, 1e-20 erg/s/cm2/Angstrom per source) divided by
    `muse_flux_per_unit`. The weight and context planes are uniform; a
    JWST ERR plane is a uniform 1% of the image's standard deviation.

    Parameters
    ----------
    product : str
        A key of `ARCHIVE_PRODUCTS`.
    sources : list of `~imphot_astropy.datasets.SyntheticSource`
        The sky, placed on ``muse_wcs``.
    muse_wcs : `~astropy.wcs.WCS`
        The MUSE grid of the sources; ``muse_shape`` its (ny, nx).
    margin : float
        Arcsec of sky beyond the MUSE field on every side.
    muse_pixel : float
        The MUSE pixel size (arcsec).

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        PRIMARY (no data), SCI and the product's other extensions.

    Examples
    --------
    >>> from imphot_astropy.datasets import random_sky, muse_wcs
    >>> sky = random_sky((30, 30), n_galaxies=3, n_stars=1, edge=8, seed=1)
    >>> hdus = make_archive_image("wfpc2_f814w", sky, muse_wcs((30, 30)), (30, 30))
    >>> [hdu.name for hdu in hdus]
    ['PRIMARY', 'SCI', 'WHT', 'CTX']
    """
    spec = _product(product)
    scale = spec["pixel_scale"]
    half_diagonal = 0.5 * np.hypot(*muse_shape) * muse_pixel + margin
    n = int(np.ceil(2 * half_diagonal / scale))
    shape = (n, n)
    ra, dec = muse_wcs.pixel_to_world_values((muse_shape[1] - 1) / 2.0,
                                             (muse_shape[0] - 1) / 2.0)
    wcs = archive_wcs(product, shape, float(ra), float(dec))
    fwhm, beta = spec["psf"]
    sky = render_sky_on_grid(sources, muse_wcs, wcs, shape, scale, fwhm, beta, muse_pixel)
    data = (sky / muse_flux_per_unit(product)).astype(np.float32)
    primary, sci = archive_headers(product, wcs)
    hdus = [fits.PrimaryHDU(header=primary), fits.ImageHDU(data, sci, name="SCI")]
    for name in spec["extensions"]:
        hdus.append(fits.ImageHDU(_auxiliary_plane(name, data, spec), wcs.to_header(),
                                  name=name))
    return fits.HDUList(hdus)


def _auxiliary_plane(name, data, spec):
    if name == "CTX":
        return np.ones(data.shape, dtype=np.int32)
    if name == "WHT":
        exptime = spec["primary"].get("EXPTIME", spec["primary"].get("EFFEXPTM", 1.0))
        return np.full(data.shape, exptime, dtype=np.float32)
    if name == "CON":
        return np.ones(data.shape, dtype=np.int32)
    error = np.float32(0.01 * np.std(data))
    if name == "ERR":
        return np.full(data.shape, error, dtype=np.float32)
    # VAR_POISSON, VAR_RNOISE, VAR_FLAT: a third of the variance each.
    return np.full(data.shape, error**2 / 3, dtype=np.float32)

