"""Reading the part of an HST image that covers a MUSE field (internal to ``preparation``).

An HST image (a file, HDU, NDData or `~imphot_astropy.io.ImageData`) is
wrapped in a lazily read source, so that only the cut-out covering the MUSE
field plus a margin is ever read: for files, through a memory map of the data
HDU that `~imphot_astropy.io.select_data_hdu` chooses. The cut-out is put in
a zero-padded FFT buffer with NaNs, DQ-flagged pixels and the blank margins
of mosaics masked and filled with the median sky.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.ndimage
import astropy.units as u
from astropy.io import fits
from astropy.nddata import NDData, VarianceUncertainty, StdDevUncertainty, InverseVariance
from astropy.wcs import WCS
from astropy.wcs.utils import pixel_to_pixel

from ..core.antialias import working_dtype
from ..exceptions import UserError
from ..io import (ImageData, flux_unit_from_header, celestial_wcs, file_base_name,
                  open_fits, select_data_hdu, check_not_truncated, header_from_meta,
                  merged_header, is_mpdaf_object, mpdaf_hdulist)

__all__ = ["hst_pixels_per_muse_pixel"]


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
    check_not_truncated(hdulist, hdulist.index_of(extname), label)
    return _pixels(hdulist, hdu)


def _pixels(hdulist, hdu):
    """What to cut the box out of: a file's section, or the data held in memory.

    ``section`` reads from the file, and an HDU built in memory (an HDUList
    given by the caller, or an MPDAF object's) has none.
    """
    return hdu.section if hdulist.filename() else hdu.data


def _source_from_hdulist(hdulist, label, filename):
    hdu = hdulist[select_data_hdu(hdulist, label)]
    header = hdu.header
    naxis = header.get("NAXIS", 0)
    if naxis != 2:
        raise UserError(f"{label}: expected a 2D HST image, but the data have "
                        f"{naxis} dimensions")
    shape = (header["NAXIS2"], header["NAXIS1"])
    wcs = celestial_wcs(header, label, "image")
    merged = merged_header(hdulist[0].header if hdu is not hdulist[0] else None, header)
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
    return _HstSource(data=_pixels(hdulist, hdu),
                      dq=_extension_section(hdulist, "DQ", shape, label),
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
    header = header_from_meta(nd.meta)
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
                      mask=mask, shape=data.shape, dtype=working_dtype(data.dtype),
                      wcs=wcs, header=fits.Header(header, copy=True), unit=unit,
                      notes=notes, name=file_base_name(filename) if filename else label,
                      filename=filename)


def _source_from_imagedata(image):
    merged = merged_header(image.primary_header, image.header)
    return _HstSource(data=image.data, dq=None, uncertainty=image.variance,
                      uncertainty_kind="variance", mask=image.mask, shape=image.shape,
                      dtype=image.data.dtype, wcs=image.wcs, header=merged,
                      unit=image.unit, notes=list(image.notes), name=image.name,
                      filename=image.filename)


@contextmanager
def open_hst(hst, label="hst"):
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
            except UserError:  # a ValueError too, but already says what is wrong
                raise
            except (KeyError, ValueError, TypeError) as exc:
                raise UserError(f"{label}: {path} is not a readable FITS image "
                                f"({exc})") from None
            yield source
    elif is_mpdaf_object(hst):
        hdulist, filename = mpdaf_hdulist(hst, label)
        yield _source_from_hdulist(hdulist, filename or label, filename)
    else:
        raise UserError(f"{label}: expected a FITS file name, an HDU, an NDData/CCDData "
                        f"or an MPDAF Image, not {type(hst).__name__}")


def _as_image_hdu(hdu):
    if isinstance(hdu, fits.PrimaryHDU):
        return fits.ImageHDU(hdu.data, hdu.header)
    return hdu


def _muse_outline(shape, points_per_edge=9):
    """Pixel coordinates along the outer edges of a MUSE grid."""
    ny, nx = shape
    t = np.linspace(0.0, 1.0, points_per_edge)
    xs = np.concatenate([-0.5 + t * nx, -0.5 + t * nx, np.full_like(t, -0.5),
                         np.full_like(t, nx - 0.5)])
    ys = np.concatenate([np.full_like(t, -0.5), np.full_like(t, ny - 0.5),
                         -0.5 + t * ny, -0.5 + t * ny])
    return xs, ys


def cutout_box(source, reference, margin_pixels, label):
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


def _blank_regions(zero, min_pixels):
    """Pixels in connected zero-valued regions of at least min_pixels."""
    labels, count = scipy.ndimage.label(zero)
    if count == 0:
        return zero
    sizes = np.bincount(labels.ravel())
    big = sizes >= min_pixels
    big[0] = False
    return big[labels]


def read_box(source, box, fast_shape, dtype, mask_blank, blank_min_pixels):
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


def fill_masked(box_view, mask):
    """Replace masked pixels by the median sky; return that level."""
    # A strided subsample estimates the median to well within the noise at
    # a sixteenth of the cost on large cut-outs.
    sample = box_view[::4, ::4][~mask[::4, ::4]]
    if sample.size < 16:
        sample = box_view[~mask]
    fill = float(np.median(sample)) if sample.size else 0.0
    box_view[mask] = fill
    return fill


def read_variance(source, box, fast_shape, dtype, mask, inner, region):
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
