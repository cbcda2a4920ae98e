"""Regrid HST images onto the pixel grid of a MUSE image or cube.

The method, in the order it is applied:

1. Cut out of the HST image (through a memory map for files) only the part
   that covers the MUSE field plus a margin, so that 10 000 x 10 000 mosaics
   cost no more than a small image.
2. Mask NaNs, DQ-flagged pixels and the zero-valued blank margins of HST
   mosaics, and fill them (and the area of the cut-out beyond the HST image)
   with the median sky, so that they neither ring nor bias the filter.
3. Apply the anti-aliasing filter in the Fourier plane at the HST's native
   resolution: the radial Blackman window of
   `~imphot_astropy.core.transfer.RegridFilter`, evaluated at the sky
   frequencies along the MUSE pixel axes, cut off at ``cutoff`` cycles per
   MUSE pixel (0.5 = the MUSE Nyquist frequency). This is the transfer
   function that the image fitter applies to the MUSE image when it reads
   ``IMPFILT``/``IMPFCUT`` from the regridded image's header, and the window
   MPDAF's ``Image.align_with_image`` applies.
4. Sample the filtered image at the MUSE pixel centres with
   `reproject.reproject_interp` (bilinear) and multiply by the ratio of the
   pixel areas, which conserves flux: the filtered image has no power at or
   beyond the MUSE sampling frequency, so its samples sum to its integral.

The regridded image is a point sampling of the filtered sky, not an
integral over 0.2" MUSE pixels: the fitter adds the MUSE pixel response to
its model itself.
"""

import logging
import numbers
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import astropy.units as u
from astropy.io import fits
from astropy.nddata import (NDData, CCDData, VarianceUncertainty, StdDevUncertainty,
                            InverseVariance)
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS, Sip
from astropy.wcs.utils import pixel_to_pixel

from ..core.transfer import (REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD, BLACKMAN,
                             RegridFilter)
from ..exceptions import UserError
from ..io import (ImageData, flux_unit_from_header, write_fits_atomically, celestial_wcs,
                  file_base_name, open_fits)
from .filters import HstFilterInfo, _merged_header
from .rescale import read_muse_reference

__all__ = ["antialias_filter", "antialias_filter_variance", "hst_pixels_per_muse_pixel",
           "regrid_hst_like_muse", "regridded_hdulist", "write_regridded_hst"]

log = logging.getLogger(__name__)

#: Default width (arcsec) of the HST margin kept around the MUSE field. The
#: Blackman kernel cut off at the MUSE Nyquist frequency puts 0.3% of its
#: absolute weight (and 2e-4 of its signed weight) beyond 2" = 10 MUSE
#: pixels, so what lies beyond the margin, or wraps around the FFT, changes a
#: MUSE edge pixel by at most that fraction of the local contrast.
DEFAULT_MARGIN = 2.0

#: A regridded pixel is masked when more than this fraction of its filter
#: weight fell on masked (filled) HST pixels. Filled pixels hold the median
#: sky, so below this fraction a pixel's value is off by less than a tenth
#: of the local source contrast; the fitter tapers mask edges further.
MASKED_WEIGHT_LIMIT = 0.1

_STRUCTURAL_KEYS = {"SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3",
                    "EXTEND", "XTENSION", "PCOUNT", "GCOUNT", "EXTNAME", "EXTVER",
                    "BSCALE", "BZERO", "BUNIT", "BLANK", "CHECKSUM", "DATASUM",
                    "INHERIT", "WCSAXES", "WCSDIM", "LONPOLE", "LATPOLE", "RADESYS",
                    "EQUINOX", "MJDREF", "WCSNAME", "A_ORDER", "B_ORDER", "AP_ORDER",
                    "BP_ORDER", "IMAGEW", "IMAGEH"}
_WCS_PREFIXES = ("CTYPE", "CRVAL", "CRPIX", "CDELT", "CUNIT", "CROTA", "CD1_", "CD2_",
                 "PC1_", "PC2_", "PV1_", "PV2_", "PS1_", "PS2_", "A_", "B_", "AP_",
                 "BP_", "LTV", "LTM", "WAT", "CNAME", "CRDER", "CSYER")


# --------------------------------------------------------------------------
# Array-level core: knows nothing of files.
# --------------------------------------------------------------------------

def hst_pixels_per_muse_pixel(hst_wcs, muse_wcs, muse_pixel):
    """The Jacobian of HST pixel coordinates with respect to MUSE ones.

    Parameters
    ----------
    hst_wcs, muse_wcs : `~astropy.wcs.WCS`
        Celestial WCS of the two grids (any celestial frames).
    muse_pixel : (float, float)
        The (x, y) MUSE pixel where the Jacobian is evaluated.

    Returns
    -------
    jacobian : `numpy.ndarray`
        ``jacobian[i, j] = d hst[i] / d muse[j]`` with index 0 for x and 1
        for y: an HST pixel offset is ``jacobian @ muse_offset``. Its
        determinant is the number of HST pixels per MUSE pixel.

    Examples
    --------
    >>> from astropy.wcs import WCS
    >>> def grid(scale):
    ...     w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    ...     w.wcs.crval = [10, -30]; w.wcs.cdelt = [-scale / 3600, scale / 3600]
    ...     return w
    >>> hst_pixels_per_muse_pixel(grid(0.05), grid(0.2), (0, 0)).round(6) + 0.0
    array([[4., 0.],
           [0., 4.]])
    """
    x, y = float(muse_pixel[0]), float(muse_pixel[1])
    h = 0.5
    xs = np.array([x + h, x - h, x, x])
    ys = np.array([y, y, y + h, y - h])
    hx, hy = pixel_to_pixel(muse_wcs, hst_wcs, xs, ys)
    jacobian = np.array([[hx[0] - hx[1], hx[2] - hx[3]],
                         [hy[0] - hy[1], hy[2] - hy[3]]]) / (2 * h)
    return jacobian


def _fast_shape(shape, pad):
    return tuple(scipy.fft.next_fast_len(int(n) + int(pad), real=True) for n in shape)


def _multiply_by_transfer(spectrum, full_shape, jacobian, regrid_filter,
                          muse_pixel_scales, block_rows=256):
    """Multiply an rfft2 spectrum, in place, by the filter's transfer function.

    A plane wave of ``k_h`` cycles per HST pixel has ``k_m = J.T @ k_h``
    cycles per MUSE pixel (J = `hst_pixels_per_muse_pixel`), that is
    ``k_m / pixel_scale`` cycles per arcsec along the MUSE pixel axes, where
    `RegridFilter.transfer` evaluates the window. Frequencies where the
    window is zero are zeroed without evaluating it.
    """
    ny, nx = full_shape
    px, py = muse_pixel_scales
    kx = scipy.fft.rfftfreq(nx)
    ky = scipy.fft.fftfreq(ny)
    jt = np.asarray(jacobian, dtype=float).T
    # |k_m| >= cutoff beyond |k_h| = cutoff * ||J.T^-1||: the window is 0 there.
    kmax = regrid_filter.cutoff * np.linalg.norm(np.linalg.inv(jt), 2)
    spectrum[:, kx > kmax] = 0
    columns = np.flatnonzero(kx <= kmax)
    kx = kx[columns]
    for start in range(0, ny, block_rows):
        stop = min(start + block_rows, ny)
        kyb = ky[start:stop, np.newaxis]
        rows = np.abs(kyb[:, 0]) <= kmax
        if not rows.any():
            spectrum[start:stop] = 0
            continue
        kmx = jt[0, 0] * kx + jt[0, 1] * kyb
        kmy = jt[1, 0] * kx + jt[1, 1] * kyb
        window = regrid_filter.transfer(kmx / px, kmy / py, px, py)
        spectrum[start:stop, columns] *= window.astype(spectrum.real.dtype)
        spectrum[start:stop][~rows] = 0


def _working_dtype(dtype):
    return np.result_type(dtype, np.float32)


def antialias_filter(image, jacobian, cutoff=0.5, muse_pixel_scales=(0.2, 0.2), pad=0):
    """Low-pass filter an image at its own resolution with the regridding window.

    The radial Blackman window ``0.42 + 0.5 cos(pi r) + 0.08 cos(2 pi r)``,
    ``r = |k| / cutoff`` with ``k`` the spatial frequency in cycles per
    MUSE pixel along the MUSE pixel axes, is applied to the FFT of
    ``image``: the transfer function `RegridFilter.transfer` that the image
    fitter assumes.

    Parameters
    ----------
    image : `numpy.ndarray`
        A 2D image on the fine (HST) grid, without NaNs. Beyond its edges it
        is taken to be zero (then periodic): subtract the sky level first
        and keep a margin around the area of interest.
    jacobian : array_like, shape (2, 2)
        `hst_pixels_per_muse_pixel` between the image's grid and the MUSE
        grid.
    cutoff : float
        The cut-off frequency in cycles per MUSE pixel (0.5 = Nyquist).
    muse_pixel_scales : (float, float)
        The MUSE pixel sizes along x and y (arcsec).
    pad : int
        Zero padding added beyond each far edge before the FFT (then rounded
        up to a fast FFT size).

    Returns
    -------
    filtered : `numpy.ndarray`
        The filtered image, of ``image``'s shape, float32 or float64.

    Examples
    --------
    A point source 4x finer than the MUSE grid keeps its flux and is
    widened to the window's ~2.3 MUSE pixels FWHM:

    >>> import numpy as np
    >>> point = np.zeros((64, 64)); point[32, 32] = 1.0
    >>> out = antialias_filter(point, np.diag([4.0, 4.0]))
    >>> round(float(out.sum()), 6), bool(out[32, 32] < 0.1)
    (1.0, True)
    """
    dtype = _working_dtype(image.dtype)
    shape = _fast_shape(image.shape, pad)
    spectrum = scipy.fft.rfft2(np.asarray(image, dtype=dtype), s=shape)
    _multiply_by_transfer(spectrum, shape, jacobian, RegridFilter(BLACKMAN, cutoff),
                          muse_pixel_scales)
    filtered = scipy.fft.irfft2(spectrum, s=shape, overwrite_x=True)
    return filtered[:image.shape[0], :image.shape[1]]


def _squared_kernel_spectrum(shape, jacobian, cutoff, muse_pixel_scales, dtype):
    """The rfft2 of the square of the filter's impulse response."""
    delta = np.zeros(shape, dtype=dtype)
    delta[0, 0] = 1.0
    spectrum = scipy.fft.rfft2(delta)
    _multiply_by_transfer(spectrum, shape, jacobian, RegridFilter(BLACKMAN, cutoff),
                          muse_pixel_scales)
    kernel = scipy.fft.irfft2(spectrum, s=shape)
    return scipy.fft.rfft2(kernel * kernel)


def antialias_filter_variance(variance, jacobian, cutoff=0.5,
                              muse_pixel_scales=(0.2, 0.2), pad=0):
    """The variance of `antialias_filter`'s output for independent pixels.

    Each filtered pixel is ``sum_q k(p - q) x(q)``, so its variance is
    ``sum_q k(p - q)**2 var(q)``: the variance map convolved with the
    square of the filter's impulse response ``k``.

    Parameters
    ----------
    variance : `numpy.ndarray`
        The variance of each pixel (no NaNs).
    jacobian, cutoff, muse_pixel_scales, pad
        As for `antialias_filter`.

    Returns
    -------
    variance : `numpy.ndarray`

    Examples
    --------
    For white noise 4x finer than MUSE, the filtered variance is about 0.09
    (the window's ``integral of W**2`` per MUSE pixel area) / 16:

    >>> import numpy as np
    >>> out = antialias_filter_variance(np.ones((64, 64)), np.diag([4.0, 4.0]))
    >>> round(float(out[10, 10]) * 16, 3)
    0.091
    """
    dtype = _working_dtype(variance.dtype)
    shape = _fast_shape(variance.shape, pad)
    spectrum = scipy.fft.rfft2(np.asarray(variance, dtype=dtype), s=shape)
    spectrum *= _squared_kernel_spectrum(shape, jacobian, cutoff, muse_pixel_scales, dtype)
    filtered = scipy.fft.irfft2(spectrum, s=shape, overwrite_x=True)
    return filtered[:variance.shape[0], :variance.shape[1]]


# --------------------------------------------------------------------------
# HST input: a lazily read source, so that only the cut-out is ever read.
# --------------------------------------------------------------------------

@dataclass
class _HstSource:
    data: object            # 2D array-like supporting [y0:y1, x0:x1]
    dq: object              # same, non-zero = bad, or None
    uncertainty: object     # same, or None
    uncertainty_kind: str   # "variance", "stddev" or "ivar"
    mask: object            # same, boolean, or None
    shape: tuple
    dtype: object
    wcs: WCS
    header: fits.Header     # merged primary + data header
    unit: object
    notes: list
    name: str
    filename: object

    def read(self, array, y0, y1, x0, x1):
        return np.asarray(array[y0:y1, x0:x1])


def _select_hdu(hdulist, label):
    names = [hdu.name.upper() for hdu in hdulist]
    for extname in ("SCI", "DATA"):
        if extname in names and hdulist[extname].header.get("NAXIS", 0) >= 2:
            return hdulist[extname]
    for hdu in hdulist:
        if (isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU))
                and hdu.header.get("NAXIS", 0) >= 2):
            return hdu
    raise UserError(f"{label}: the file contains no image data")


def _extension_section(hdulist, extname, shape, label):
    if extname not in [hdu.name.upper() for hdu in hdulist]:
        return None
    hdu = hdulist[extname]
    if hdu.header.get("NAXIS", 0) == 0:
        return None
    ext_shape = tuple(hdu.header[f"NAXIS{i}"] for i in range(hdu.header["NAXIS"], 0, -1))
    if ext_shape != tuple(shape):
        raise UserError(f"{label}: the {extname} extension has shape {ext_shape}, "
                        f"but the data have shape {tuple(shape)}")
    return hdu.section


def _source_from_hdulist(hdulist, label, filename):
    hdu = _select_hdu(hdulist, label)
    header = hdu.header
    naxis = header.get("NAXIS", 0)
    if naxis != 2:
        raise UserError(f"{label}: expected a 2D HST image, but the data have "
                        f"{naxis} dimensions")
    shape = (header["NAXIS2"], header["NAXIS1"])
    wcs = celestial_wcs(header, label, "image")
    merged = _merged_header(hdulist[0].header if hdu is not hdulist[0] else None, header)
    unit, note = flux_unit_from_header(header, label)
    if unit == u.dimensionless_unscaled and hdu is not hdulist[0]:
        unit2, note2 = flux_unit_from_header(hdulist[0].header, label)
        if unit2 != u.dimensionless_unscaled:
            unit, note = unit2, note2
    uncertainty, kind = _extension_section(hdulist, "STAT", shape, label), "variance"
    if uncertainty is None:
        uncertainty, kind = _extension_section(hdulist, "ERR", shape, label), "stddev"
    bitpix = header["BITPIX"]
    scaled = "BSCALE" in header or "BZERO" in header
    dtype = np.dtype(np.float64) if scaled or bitpix == -64 else np.dtype(np.float32)
    return _HstSource(data=hdu.section, dq=_extension_section(hdulist, "DQ", shape, label),
                      uncertainty=uncertainty, uncertainty_kind=kind, mask=None,
                      shape=shape, dtype=dtype, wcs=wcs, header=merged, unit=unit,
                      notes=[] if note is None else [note],
                      name=file_base_name(filename) if filename else label,
                      filename=filename)


def _uncertainty_kind(uncertainty, label):
    if isinstance(uncertainty, VarianceUncertainty):
        return "variance"
    if isinstance(uncertainty, StdDevUncertainty):
        return "stddev"
    if isinstance(uncertainty, InverseVariance):
        return "ivar"
    raise UserError(f"{label}: an uncertainty of type {type(uncertainty).__name__} "
                    "cannot be converted to a variance")


def _source_from_nddata(nd, label):
    data = np.asarray(nd.data)
    if data.ndim != 2:
        raise UserError(f"{label}: expected a 2D HST image, but the data have "
                        f"{data.ndim} dimensions")
    wcs = celestial_wcs(nd.wcs, label, "image")
    header = nd.meta if isinstance(nd.meta, fits.Header) else fits.Header(
        {k: v for k, v in dict(nd.meta or {}).items()
         if isinstance(k, str) and len(k) <= 8 and isinstance(v, (str, int, float, bool))})
    notes = []
    unit = nd.unit
    if unit is None:
        unit, note = flux_unit_from_header(header, label)
        if note is not None:
            notes.append(note)
    uncertainty = kind = None
    if nd.uncertainty is not None:
        kind = _uncertainty_kind(nd.uncertainty, label)
        uncertainty = np.asarray(nd.uncertainty.array)
    mask = None if nd.mask is None else np.asarray(nd.mask)
    if mask is not None and mask.shape != data.shape:
        raise UserError(f"{label}: the mask has shape {mask.shape}, but the data "
                        f"have shape {data.shape}")
    filename = header.get("FILENAME")
    return _HstSource(data=data, dq=None, uncertainty=uncertainty, uncertainty_kind=kind,
                      mask=mask, shape=data.shape, dtype=_working_dtype(data.dtype),
                      wcs=wcs, header=fits.Header(header, copy=True), unit=unit,
                      notes=notes, name=file_base_name(filename) if filename else label,
                      filename=filename)


def _source_from_imagedata(image):
    merged = _merged_header(image.primary_header, image.header)
    return _HstSource(data=image.data, dq=None, uncertainty=image.variance,
                      uncertainty_kind="variance", mask=image.mask, shape=image.shape,
                      dtype=image.data.dtype, wcs=image.wcs, header=merged,
                      unit=image.unit, notes=list(image.notes), name=image.name,
                      filename=image.filename)


@contextmanager
def _open_hst(hst, label="hst"):
    """Yield an `_HstSource`, keeping a FITS file open (memory mapped) meanwhile."""
    if isinstance(hst, ImageData):
        yield _source_from_imagedata(hst)
    elif isinstance(hst, NDData):
        yield _source_from_nddata(hst, label)
    elif isinstance(hst, fits.HDUList):
        yield _source_from_hdulist(hst, label, hst.filename())
    elif isinstance(hst, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        yield _source_from_hdulist(fits.HDUList([fits.PrimaryHDU(header=fits.Header()),
                                                 _as_image_hdu(hst)]), label, None)
    elif isinstance(hst, (str, os.PathLike)):
        path = os.fspath(hst)
        with open_fits(path, label) as hdulist:
            try:
                source = _source_from_hdulist(hdulist, path, path)
            except (KeyError, ValueError, TypeError) as exc:
                raise UserError(f"{label}: {path} is not a readable FITS image "
                                f"({exc})") from None
            yield source
    else:
        raise UserError(f"{label}: expected a FITS file name, an HDU or an "
                        f"NDData/CCDData image, not {type(hst).__name__}")


def _as_image_hdu(hdu):
    if isinstance(hdu, fits.PrimaryHDU):
        return fits.ImageHDU(hdu.data, hdu.header)
    return hdu


# --------------------------------------------------------------------------
# The cut-out covering the MUSE field.
# --------------------------------------------------------------------------

def _muse_outline(shape, points_per_edge=9):
    """Pixel coordinates along the outer edges of a MUSE grid."""
    ny, nx = shape
    t = np.linspace(0.0, 1.0, points_per_edge)
    xs = np.concatenate([-0.5 + t * nx, -0.5 + t * nx, np.full_like(t, -0.5),
                         np.full_like(t, nx - 0.5)])
    ys = np.concatenate([np.full_like(t, -0.5), np.full_like(t, ny - 0.5),
                         -0.5 + t * ny, -0.5 + t * ny])
    return xs, ys


def _cutout_box(source, reference, margin_pixels, label):
    """(y0, y1, x0, x1) of the HST pixels to read, possibly beyond the array."""
    xs, ys = _muse_outline(reference.shape)
    try:
        hx, hy = pixel_to_pixel(reference.wcs, source.wcs, xs, ys)
    except Exception as exc:  # frames that cannot be converted, etc.
        raise UserError(f"{label}: the HST and MUSE coordinate systems cannot be "
                        f"related ({exc})") from None
    if not (np.all(np.isfinite(hx)) and np.all(np.isfinite(hy))):
        raise UserError(f"{label}: the MUSE field does not project onto the HST image's "
                        "coordinate grid")
    ny, nx = source.shape
    if hx.max() < -0.5 or hx.min() > nx - 0.5 or hy.max() < -0.5 or hy.min() > ny - 0.5:
        raise UserError(f"{label}: the HST image does not overlap the MUSE field "
                        f"({reference.name})")
    x0 = max(int(np.floor(hx.min())) - margin_pixels, -margin_pixels)
    x1 = min(int(np.ceil(hx.max())) + 1 + margin_pixels, nx + margin_pixels)
    y0 = max(int(np.floor(hy.min())) - margin_pixels, -margin_pixels)
    y1 = min(int(np.ceil(hy.max())) + 1 + margin_pixels, ny + margin_pixels)
    return y0, y1, x0, x1


def _shifted_wcs(wcs, x0, y0):
    """The WCS of a cut-out whose pixel (0, 0) is pixel (x0, y0) of ``wcs``."""
    out = wcs.deepcopy()
    out.wcs.crpix = out.wcs.crpix - np.array([x0, y0], dtype=float)
    if out.sip is not None:
        out.sip = Sip(out.sip.a, out.sip.b, out.sip.ap, out.sip.bp,
                      out.sip.crpix - np.array([x0, y0], dtype=float))
    return out


def _blank_regions(zero, min_pixels):
    """Pixels in connected zero-valued regions of at least min_pixels."""
    labels, count = scipy.ndimage.label(zero)
    if count == 0:
        return zero
    sizes = np.bincount(labels.ravel())
    big = sizes >= min_pixels
    big[0] = False
    return big[labels]


def _read_box(source, box, fast_shape, dtype, mask_blank, blank_min_pixels):
    """The cut-out in a zero-padded FFT buffer, its mask, and the overlap slices."""
    y0, y1, x0, x1 = box
    ny, nx = source.shape
    ry0, ry1, rx0, rx1 = max(y0, 0), min(y1, ny), max(x0, 0), min(x1, nx)
    inner = (slice(ry0 - y0, ry1 - y0), slice(rx0 - x0, rx1 - x0))
    buffer = np.zeros(fast_shape, dtype=dtype)
    box_view = buffer[:y1 - y0, :x1 - x0]
    mask = np.ones(box_view.shape, dtype=bool)         # outside the HST array
    values = source.read(source.data, ry0, ry1, rx0, rx1)
    box_view[inner] = values
    del values
    inner_view = box_view[inner]
    inner_mask = ~np.isfinite(inner_view)
    if source.mask is not None:
        inner_mask |= source.read(source.mask, ry0, ry1, rx0, rx1).astype(bool)
    if source.dq is not None:
        inner_mask |= source.read(source.dq, ry0, ry1, rx0, rx1) != 0
    if mask_blank:
        zero = inner_view == 0
        if zero.any():
            inner_mask |= _blank_regions(zero, blank_min_pixels)
    mask[inner] = inner_mask
    return buffer, box_view, mask, inner, (ry0, ry1, rx0, rx1)


def _fill_masked(box_view, mask):
    """Replace masked pixels by the median sky; return that level."""
    # A strided subsample estimates the median to well within the noise at
    # a sixteenth of the cost on large cut-outs.
    sample = box_view[::4, ::4][~mask[::4, ::4]]
    if sample.size < 16:
        sample = box_view[~mask]
    fill = float(np.median(sample)) if sample.size else 0.0
    box_view[mask] = fill
    return fill


def _read_variance(source, box, fast_shape, dtype, mask, inner, region):
    if source.uncertainty is None:
        return None
    y0, y1, x0, x1 = box
    ry0, ry1, rx0, rx1 = region
    values = source.read(source.uncertainty, ry0, ry1, rx0, rx1).astype(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        if source.uncertainty_kind == "stddev":
            values *= values
        elif source.uncertainty_kind == "ivar":
            values = 1.0 / values
    buffer = np.zeros(fast_shape, dtype=dtype)
    box_view = buffer[:y1 - y0, :x1 - x0]
    box_view[inner] = values
    bad = mask | ~np.isfinite(box_view)
    good = box_view[~bad]
    box_view[bad] = np.median(good) if good.size else 0.0
    return buffer


@dataclass
class _Regridded:
    data: np.ndarray
    mask: np.ndarray
    variance: object
    jacobian: np.ndarray
    box: tuple
    masked_input: int


def _sample(array, cutout_wcs, reference):
    from reproject import reproject_interp

    # Bilinear rather than bicubic interpolation between the HST pixels
    # (0.03-0.04"): its transfer function, averaged over sub-pixel phases,
    # is sinc(f d)**2, which attenuates 1 cycle/arcsec (where the Blackman
    # window is still 0.5) by only 0.3-0.5% and the window's own half-power
    # frequency less; its kernel (a triangle of half-width d) has an rms of
    # d/sqrt(6) = 0.012-0.016", which widens a 0.6" FWHM PSF by 0.1-0.2%
    # and is 1/15 of the window's own 0.46" FWHM. Bicubic (spline) would need
    # a prefilter pass, i.e. another full-size copy of the cut-out, and rings.
    out, footprint = reproject_interp((array, cutout_wcs), reference.wcs,
                                      shape_out=reference.shape, order="bilinear",
                                      return_footprint=True)
    return out, footprint


def _regrid_source(source, reference, cutoff, margin, mask_blank, label):
    muse_scales = reference.pixel_scales
    centre = ((reference.shape[1] - 1) / 2.0, (reference.shape[0] - 1) / 2.0)
    jacobian = hst_pixels_per_muse_pixel(source.wcs, reference.wcs, centre)
    area_ratio = abs(float(np.linalg.det(jacobian)))
    if not np.isfinite(area_ratio) or area_ratio == 0:
        raise UserError(f"{label}: the HST and MUSE pixel grids cannot be related")
    if area_ratio < 4:
        warnings.warn(f"{label}: the HST pixels are not at least twice finer than the "
                      f"MUSE pixels ({area_ratio:.3g} HST pixels per MUSE pixel); the "
                      "regridded image will not have the transfer function the "
                      "fitter assumes", AstropyUserWarning)
    hst_scale = float(np.mean(muse_scales)) / np.sqrt(area_ratio)
    margin_pixels = int(np.ceil(margin / hst_scale))
    box = _cutout_box(source, reference, margin_pixels, label)
    box_shape = (box[1] - box[0], box[3] - box[2])
    fast_shape = _fast_shape(box_shape, margin_pixels // 2)
    dtype = _working_dtype(source.dtype)
    blank_min = max(4, int(np.ceil(area_ratio)))
    buffer, box_view, mask, inner, region = _read_box(source, box, fast_shape, dtype,
                                                      mask_blank, blank_min)
    if mask.all():
        raise UserError(f"{label}: the HST image has no valid pixels over the MUSE "
                        f"field ({reference.name})")
    fill = _fill_masked(box_view, mask)
    box_view -= fill
    variance = _read_variance(source, box, fast_shape, dtype, mask, inner, region)
    del box_view

    regrid_filter = RegridFilter(BLACKMAN, cutoff)
    spectrum = scipy.fft.rfft2(buffer, overwrite_x=True)
    del buffer
    _multiply_by_transfer(spectrum, fast_shape, jacobian, regrid_filter, muse_scales)
    filtered = scipy.fft.irfft2(spectrum, s=fast_shape, overwrite_x=True)
    del spectrum
    filtered += fill

    cutout_wcs = _shifted_wcs(source.wcs, box[2], box[0])
    data, footprint = _sample(filtered, cutout_wcs, reference)
    del filtered
    data *= area_ratio
    out_mask = footprint == 0
    masked_input = int(mask.sum()) if mask.any() else 0
    if masked_input:
        # Beyond the cut-out nothing is known: count it as masked too.
        weights = np.ones(fast_shape, dtype=dtype)
        weights[:box_shape[0], :box_shape[1]] = mask
        masked_fraction = antialias_filter(weights, jacobian, cutoff, muse_scales)
        del weights
        fraction, _ = _sample(masked_fraction, cutout_wcs, reference)
        out_mask |= ~(fraction <= MASKED_WEIGHT_LIMIT)
    out_variance = None
    if variance is not None:
        filtered_var = antialias_filter_variance(variance, jacobian, cutoff, muse_scales)
        del variance
        out_variance, _ = _sample(filtered_var, cutout_wcs, reference)
        out_variance *= area_ratio**2
        out_mask |= ~np.isfinite(out_variance)
        out_variance[out_mask] = np.nan
    out_mask |= ~np.isfinite(data)
    data[out_mask] = np.nan
    if out_mask.all():
        raise UserError(f"{label}: the HST image does not overlap the MUSE field "
                        f"({reference.name}) with any valid pixel")
    return _Regridded(data=data, mask=out_mask, variance=out_variance,
                      jacobian=jacobian, box=box, masked_input=masked_input)


# --------------------------------------------------------------------------
# High level.
# --------------------------------------------------------------------------

def _output_header(source, reference, result, cutoff, filter_name):
    header = fits.Header([card for card in source.header.cards
                          if card.keyword not in _STRUCTURAL_KEYS
                          and not card.keyword.startswith(_WCS_PREFIXES)])
    if filter_name is not None:
        info = HstFilterInfo(source.header, filter_name=filter_name)
        header["FILTER"] = (info.filter_name, "HST filter")
        header["INSTRUME"] = info.instrument.split("/")[0]
        if info.instrument.startswith("ACS"):
            header["DETECTOR"] = "WFC"
    header[REGRID_FILTER_KEYWORD] = (BLACKMAN, "anti-aliasing filter used to regrid")
    header[REGRID_CUTOFF_KEYWORD] = (cutoff, "its cut-off, cycles per output pixel")
    header["HISTORY"] = (f"imphot_astropy: regridded from {source.name} onto the grid "
                         f"of {reference.name}")
    header["HISTORY"] = (f"radial Blackman window cut off at {cutoff:g} cycles/pixel, "
                         "bilinear sampling, x pixel-area ratio "
                         f"{abs(np.linalg.det(result.jacobian)):.6g}")
    return header


def regrid_hst_like_muse(hst, muse, inplace=True, *, filter_name=None, cutoff=0.5,
                         margin=DEFAULT_MARGIN, mask_blank=True):
    """Resample an HST image onto the spatial pixel grid of a MUSE image or cube.

    Only the part of the HST image that covers the MUSE field plus
    ``margin`` is read (through a memory map for files). It is low-pass
    filtered at its own resolution with the radial Blackman window that the
    image fitter assumes (recorded in the output header as ``IMPFILT`` =
    'BLACKMAN' and ``IMPFCUT`` = ``cutoff``), sampled at the MUSE pixel
    centres by bilinear interpolation with `reproject.reproject_interp`, and
    multiplied by the ratio of the pixel areas so that fluxes are conserved.
    The pixel values keep the HST unit (follow with `rescale_hst_like_muse`).

    Parameters
    ----------
    hst : str, HDU, HDUList, `~astropy.nddata.CCDData`, NDData, or `~imphot_astropy.io.ImageData`
        The HST image (file: SCI, DATA or the primary HDU; DQ, STAT or ERR
        extensions are used if present), with a celestial WCS.
    muse : str, HDU, HDUList, NDData/CCDData, ImageData, or a cube
        The MUSE image or cube whose spatial grid is the target (only its
        header is read from files).
    inplace : bool
        If True (the default) and ``hst`` is a `~astropy.nddata.CCDData` or
        an `~imphot_astropy.io.ImageData`, that object is replaced by the
        regridded image and returned, and no full-size copy of it is made.
        File names, HDUs and plain NDData are never modified: a new CCDData
        is returned for them whatever ``inplace`` says.
    filter_name : str, optional
        The HST filter (for example ``"F606W"``), recorded in the output
        header (FILTER, INSTRUME) for `rescale_hst_like_muse`, when the HST
        header does not name it.
    cutoff : float
        The anti-aliasing filter's cut-off, in cycles per MUSE pixel, in
        (0, 0.5]; 0.5 is the MUSE Nyquist frequency, as in MPDAF.
    margin : float
        The width (arcsec) of HST image kept around the MUSE field, so that
        the filter sees the true neighbourhood of edge pixels.
    mask_blank : bool
        Mask zero-valued regions of at least one MUSE pixel's area (the
        blank margins of HST mosaics).

    Returns
    -------
    out : `~astropy.nddata.CCDData` or `~imphot_astropy.io.ImageData`
        The regridded image on the MUSE grid: NaN and masked where the HST
        image gives no valid value (outside it, or where more than
        `MASKED_WEIGHT_LIMIT` of the filter's weight fell on masked pixels),
        with a variance if the input had one.

    Raises
    ------
    UserError
        If the images do not overlap, a WCS is missing or not celestial, or
        ``filter_name`` or ``cutoff`` is invalid.

    Examples
    --------
    A point source on a 0.05" grid, regridded onto a 0.2" grid, keeps its
    flux:

    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> def grid(scale, n):
    ...     w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    ...     w.wcs.crval = [10, -30]; w.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
    ...     w.wcs.cdelt = [-scale / 3600, scale / 3600]
    ...     return w
    >>> hst = np.full((200, 200), 1e-3); hst[100, 100] += 1.0
    >>> hst = CCDData(hst, unit="electron/s", wcs=grid(0.05, 200))
    >>> muse = CCDData(np.zeros((30, 30)), unit="adu", wcs=grid(0.2, 30))
    >>> out = regrid_hst_like_muse(hst, muse)
    >>> out.shape, round(float(np.nansum(out.data) - 30 * 30 * 16e-3), 4)
    ((30, 30), 1.0)
    >>> out.meta["IMPFILT"], out.meta["IMPFCUT"]
    ('BLACKMAN', 0.5)
    """
    if not (isinstance(cutoff, numbers.Real) and 0 < cutoff <= 0.5):
        raise UserError(f"cutoff: must be in (0, 0.5] cycles per MUSE pixel, "
                        f"not {cutoff!r}")
    if not (isinstance(margin, numbers.Real) and margin >= 0):
        raise UserError(f"margin: must be a width >= 0 in arcsec, not {margin!r}")
    reference = read_muse_reference(muse)
    with _open_hst(hst) as source:
        label = source.filename or "hst"
        for note in source.notes:
            log.debug(note)
        if filter_name is not None:
            HstFilterInfo(source.header, filter_name=filter_name)  # validate early
        result = _regrid_source(source, reference, float(cutoff), float(margin),
                                mask_blank, label)
        header = _output_header(source, reference, result, float(cutoff), filter_name)
        unit = source.unit
        filename = source.filename
    y0, y1, x0, x1 = result.box
    log.info("%s: read HST pixels [%d:%d, %d:%d] (the MUSE field plus %g\"), "
             "regridded onto %s (%d x %d)", label, y0, y1, x0, x1, margin,
             reference.name, reference.shape[1], reference.shape[0])
    if filename:
        header["FILENAME"] = (os.path.basename(str(filename)), "regridded HST file")
    wcs = reference.wcs.deepcopy()
    if isinstance(hst, ImageData) and inplace:
        hst.data, hst.mask, hst.variance = result.data, result.mask, result.variance
        hst.wcs, hst.header, hst.unit = wcs, header, unit
        hst.primary_header = fits.Header()
        return hst
    if isinstance(hst, CCDData) and inplace:
        hst.mask = None
        hst.uncertainty = None
        hst.data = result.data
        hst.wcs = None
        hst.wcs = wcs
        hst.unit = unit
        hst.mask = result.mask
        if result.variance is not None:
            hst.uncertainty = VarianceUncertainty(result.variance)
        hst.meta = header
        return hst
    uncertainty = None if result.variance is None else VarianceUncertainty(result.variance)
    return CCDData(result.data, unit=unit, wcs=wcs, mask=result.mask,
                   uncertainty=uncertainty, meta=header)


def regridded_hdulist(image):
    """A MUSE-style HDUList (DATA, STAT, DQ) holding a regridded image.

    Parameters
    ----------
    image : `~astropy.nddata.CCDData`
        As returned by `regrid_hst_like_muse` (and `rescale_hst_like_muse`).

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        A primary HDU with the header keywords, DATA (float32, NaN where
        masked), STAT (variance, if any) and DQ (1 where masked), each with
        the MUSE WCS, readable by `~imphot_astropy.io.read_image`.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> ccd = CCDData(np.ones((2, 3)), unit="electron/s", wcs=w,
    ...               mask=np.zeros((2, 3), bool))
    >>> [hdu.name for hdu in regridded_hdulist(ccd)]
    ['PRIMARY', 'DATA', 'DQ']
    """
    meta = image.meta if isinstance(image.meta, fits.Header) else fits.Header()
    primary = fits.PrimaryHDU(header=fits.Header(meta, copy=True))
    wcs_header = image.wcs.to_header()
    data_header = fits.Header(wcs_header, copy=True)
    for key in (REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD, "FILTER", "INSTRUME"):
        if key in meta:
            data_header[key] = (meta[key], meta.comments[key])
    unit = u.Unit(image.unit)
    if unit != u.dimensionless_unscaled:
        data_header["BUNIT"] = unit.to_string("fits") if _fits_unit(unit) else str(unit)
    mask = np.zeros(image.shape, dtype=bool) if image.mask is None else np.asarray(image.mask)
    data = np.where(mask, np.nan, image.data).astype(np.float32)
    hdus = [primary, fits.ImageHDU(data, data_header, name="DATA")]
    if image.uncertainty is not None:
        variance = image.uncertainty.represent_as(VarianceUncertainty).array
        stat_header = fits.Header(wcs_header, copy=True)
        hdus.append(fits.ImageHDU(np.where(mask, np.nan, variance).astype(np.float32),
                                  stat_header, name="STAT"))
    if image.mask is not None:
        hdus.append(fits.ImageHDU(mask.astype(np.uint8), fits.Header(wcs_header, copy=True),
                                  name="DQ"))
    return fits.HDUList(hdus)


def _fits_unit(unit):
    try:
        unit.to_string("fits")
        return True
    except (ValueError, u.UnitsError):
        return False


def write_regridded_hst(image, path, inputs=()):
    """Write a regridded HST image atomically, as `regridded_hdulist` lays it out.

    Parameters
    ----------
    image : `~astropy.nddata.CCDData`
        The regridded (and usually rescaled) image.
    path : str or `os.PathLike`
        The output file; written to a temporary name, then renamed.
    inputs : iterable of str
        Input file names, which are never overwritten; nor is the HST file
        that ``image`` was regridded from.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> path = os.path.join(tempfile.mkdtemp(), "hst_F606W_for_X.fits")
    >>> write_regridded_hst(CCDData(np.ones((2, 3)), unit="adu", wcs=w), path)
    >>> os.path.exists(path)
    True
    """
    write_fits_atomically(regridded_hdulist(image), path,
                          inputs=list(inputs) + _source_at(image, path))


def _source_at(image, path):
    """[path] if ``path`` is the HST file that ``image`` was regridded from.

    The image keeps only its source's base name (FILENAME); a file of that
    name at ``path`` that is not itself a regridded image is taken to be the
    source, which must never be replaced.
    """
    meta = getattr(image, "meta", None) or {}
    source = meta.get("FILENAME")
    if not source or os.path.basename(os.fspath(path)) != source \
            or not os.path.isfile(path):
        return []
    try:
        with fits.open(path) as hdulist:
            if any(REGRID_FILTER_KEYWORD in hdu.header for hdu in hdulist):
                return []  # an earlier output: may be replaced
    except (OSError, ValueError):
        pass
    return [os.fspath(path)]
