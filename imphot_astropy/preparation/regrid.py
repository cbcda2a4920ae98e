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
   `reproject.reproject_interp` (``order="bilinear"``), and multiply by the
   ratio of the pixel areas, which conserves flux: the filtered image has no
   power at or beyond the MUSE sampling frequency, so its samples sum to its
   integral. All the arrays of one HST grid (the data, the masked weight,
   the variance, and those of the other bands drizzled onto the same grid,
   `regrid_hst_bands_like_muse`) are stacked along a leading axis in one
   call, which reproject (>= 0.10) broadcasts over: its MUSE-to-HST pixel
   mapping (four WCS transforms of every MUSE pixel, 0.1 s for a 320 x 320
   grid) is computed once for them all. Nothing is cached between calls:
   reproject takes no precomputed mapping, so `regrid_hst_like_muse` band
   by band computes it for each band.

The modules: `imphot_astropy.core.antialias` (step 3, on arrays),
``imphot_astropy.preparation._hst_cutout`` (steps 1-2), this one (step 4 and
the public functions), `imphot_astropy.preparation.regrid_output` (writing).

The regridded image is a point sampling of the filtered sky, not an
integral over 0.2" MUSE pixels: the fitter adds the MUSE pixel response to
its model itself.
"""

import logging
import numbers
import os
import warnings
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import Sip

from ..core.antialias import (AntialiasLowpass, antialias_filter, antialias_filter_variance,
                              fast_fft_shape, working_dtype)
from ..core.transfer import REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD, BLACKMAN
from ..bandpasses import ACS_WFC, NIRCAM, split_camera_filter, camera_from_header
from ..exceptions import UserError
from ..io import ImageData
from .filters import HstFilterInfo
from ._hst_cutout import (hst_pixels_per_muse_pixel, open_hst, cutout_box, read_box,
                         fill_masked, read_variance)
from .regrid_output import regridded_hdulist, write_regridded_hst
from .rescale import read_muse_reference

# antialias_filter, antialias_filter_variance, hst_pixels_per_muse_pixel,
# regridded_hdulist and write_regridded_hst live in their own modules (the
# array core, the HST reader, the writer) and are re-exported here, where
# they have always been importable from.
__all__ = ["antialias_filter", "antialias_filter_variance", "hst_pixels_per_muse_pixel",
           "regrid_hst_bands_like_muse", "regrid_hst_like_muse", "regridded_hdulist",
           "write_regridded_hst"]

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


@dataclass
class _Cutout:
    """Where one HST image's cut-out lies, and how it relates to the MUSE grid."""
    label: str
    jacobian: np.ndarray
    area_ratio: float
    margin_pixels: int
    box: tuple            # (y0, y1, x0, x1) HST pixels, possibly beyond the array
    fast_shape: tuple     # its FFT grid
    dtype: object
    wcs: object           # the cut-out's WCS (the HST WCS moved to the box's corner)
    key: object           # equal for cut-outs on one grid (one broadcast call), or None
    rows: dict = None     # "data" (and "masked", "variance") -> row of its `_Stack`
    masked_input: int = 0


class _Stack:
    """The filtered arrays of the cut-outs on one grid, along a leading axis.

    Room is reserved for the most arrays each cut-out can have (data,
    masked weight, variance); rows are filled in order, so the rows used
    are one contiguous view, and the pages of the rows never written are
    never touched (no memory).
    """

    def __init__(self, cutouts):
        shape = cutouts[0].fast_shape
        dtype = np.result_type(*[c.dtype for c in cutouts])
        self.array = np.empty((3 * len(cutouts),) + tuple(shape), dtype=dtype)
        self.used = 0
        self.wcs = cutouts[0].wcs

    def add(self, array):
        """Copy a filtered array into the next row; return its row."""
        self.array[self.used] = array
        self.used += 1
        return self.used - 1


@dataclass
class _Regridded:
    data: np.ndarray
    mask: np.ndarray
    variance: object
    jacobian: np.ndarray
    box: tuple
    masked_input: int


# Bilinear rather than bicubic interpolation between the HST pixels
# (0.03-0.04"): its transfer function, averaged over sub-pixel phases, is
# sinc(f d)**2, which attenuates 1 cycle/arcsec (where the Blackman window is
# still 0.5) by only 0.3-0.5% and the window's own half-power frequency less;
# its kernel (a triangle of half-width d) has an rms of d/sqrt(6) =
# 0.012-0.016", which widens a 0.6" FWHM PSF by 0.1-0.2% and is 1/15 of the
# window's own 0.46" FWHM. Bicubic (spline) would need a prefilter pass, i.e.
# another full-size copy of the cut-out, and rings. The sampling is
# reproject.reproject_interp(order="bilinear"), the same interpolation as the
# pixel mapping this module used before (the HDFS regridding is unchanged, to
# rounding: tests/test_regrid_sampling.py), so the transfer function recorded
# in IMPFILT/IMPFCUT and applied by the fitter (the window) is unchanged.


def _shifted_wcs(wcs, corner):
    """The WCS of a cut-out whose pixel (0, 0) is the pixel ``corner`` (y, x).

    `astropy.wcs.WCS.slice` does this for corners inside the array, but
    reads a negative start as counted from the far end, and a cut-out box
    may begin beyond the HST array (the MUSE field plus the margin reaching
    past its edge). So the reference pixel, SIP's own and the distortion
    tables' are moved here, as `~astropy.wcs.WCS.slice` moves them.
    """
    y0, x0 = corner
    shifted = wcs.deepcopy()
    shifted.wcs.crpix = shifted.wcs.crpix - np.array([x0, y0], dtype=float)
    if shifted.sip is not None:
        sip = shifted.sip
        shifted.sip = Sip(sip.a, sip.b, sip.ap, sip.bp,
                          np.asarray(sip.crpix, dtype=float) - np.array([x0, y0]))
    for table in (shifted.cpdis1, shifted.cpdis2, shifted.det2im1, shifted.det2im2):
        if table is not None:
            table.crval = (table.crval[0] - x0, table.crval[1] - y0)
    return shifted


def _grid_key(wcs, shape):
    """A key equal for two cut-outs on one grid, or None if it cannot be trusted to."""
    # Lookup-table distortions are not in the header text; SIP is (relax).
    if any(getattr(wcs, name, None) is not None
           for name in ("cpdis1", "cpdis2", "det2im1", "det2im2")):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return wcs.to_header_string(relax=True), tuple(shape)


def _plan_cutout(source, reference, margin, label):
    """The cut-out of one HST image that covers the MUSE field (no pixel read)."""
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
    box = cutout_box(source, reference, margin_pixels, label)
    box_shape = (box[1] - box[0], box[3] - box[2])
    fast_shape = fast_fft_shape(box_shape, margin_pixels // 2)
    wcs = _shifted_wcs(source.wcs, (box[0], box[2]))
    return _Cutout(label=label, jacobian=jacobian, area_ratio=area_ratio,
                   margin_pixels=margin_pixels, box=box, fast_shape=fast_shape,
                   dtype=working_dtype(source.dtype), wcs=wcs,
                   key=_grid_key(wcs, fast_shape))


def _filter_into(stack, cutout, source, reference, cutoff, mask_blank):
    """Read, mask, fill and low-pass filter one cut-out (steps 1-3) into ``stack``."""
    label, box, fast_shape, dtype = cutout.label, cutout.box, cutout.fast_shape, cutout.dtype
    box_shape = (box[1] - box[0], box[3] - box[2])
    blank_min = max(4, int(np.ceil(cutout.area_ratio)))
    buffer, box_view, mask, inner, region = read_box(source, box, fast_shape, dtype,
                                                      mask_blank, blank_min)
    if mask.all():
        raise UserError(f"{label}: the HST image has no valid pixels over the MUSE "
                        f"field ({reference.name})")
    fill = fill_masked(box_view, mask)
    box_view -= fill
    variance = read_variance(source, box, fast_shape, dtype, mask, inner, region)
    del box_view

    lowpass = AntialiasLowpass(fast_shape, cutout.jacobian, cutoff, reference.pixel_scales)
    filtered = lowpass.filter(buffer)
    del buffer
    filtered += fill
    cutout.rows = {"data": stack.add(filtered)}
    del filtered
    cutout.masked_input = int(mask.sum()) if mask.any() else 0
    if cutout.masked_input:
        # Beyond the cut-out nothing is known: count it as masked too.
        weights = np.ones(fast_shape, dtype=dtype)
        weights[:box_shape[0], :box_shape[1]] = mask
        del mask
        cutout.rows["masked"] = stack.add(lowpass.filter(weights))
        del weights
    if variance is not None:
        cutout.rows["variance"] = stack.add(lowpass.filter_variance(variance))


def _sample_at_muse_pixels(stack, reference):
    """Step 4 for the cut-outs of one stack: one `reproject.reproject_interp` call.

    Every array of every cut-out on one grid (data, masked weight,
    variance; and the bands whose HST images share that grid) is a row of
    the stack, which reproject (>= 0.10) broadcasts over: the MUSE-to-HST
    pixel mapping (four WCS transforms of every MUSE pixel, with the
    round-trip check) is computed once for them all.
    """
    # reproject imports dask: not at module level, so that light callers
    # (the commands' --help) stay fast.
    from reproject import reproject_interp

    rows = stack.array[:stack.used]
    sampled = reproject_interp((rows, stack.wcs), reference.wcs,
                               shape_out=(stack.used,) + tuple(reference.shape),
                               order="bilinear", return_footprint=False)
    stack.array = None
    return sampled


def _finish(cutout, sampled, reference):
    """Multiply by the pixel-area ratio, and mask what the HST image did not give."""
    label, area_ratio, rows = cutout.label, cutout.area_ratio, cutout.rows
    data = sampled[rows["data"]]
    data *= area_ratio
    out_mask = np.isnan(data)
    if "masked" in rows:
        out_mask |= ~(sampled[rows["masked"]] <= MASKED_WEIGHT_LIMIT)
    out_variance = None
    if "variance" in rows:
        out_variance = sampled[rows["variance"]]
        out_variance *= area_ratio**2
        out_mask |= ~np.isfinite(out_variance)
        out_variance[out_mask] = np.nan
    out_mask |= ~np.isfinite(data)
    data[out_mask] = np.nan
    if out_mask.all():
        raise UserError(f"{label}: the HST image does not overlap the MUSE field "
                        f"({reference.name}) with any valid pixel")
    return _Regridded(data=data, mask=out_mask, variance=out_variance,
                      jacobian=cutout.jacobian, box=cutout.box,
                      masked_input=cutout.masked_input)


def _output_header(source, reference, result, cutoff, filter_name):
    header = fits.Header([card for card in source.header.cards
                          if card.keyword not in _STRUCTURAL_KEYS
                          and not card.keyword.startswith(_WCS_PREFIXES)])
    if filter_name is not None:
        # The camera and filter only (the early HstFilterInfo validated the
        # calibration): INSTRUME and DETECTOR as the archives spell them.
        camera, bare = split_camera_filter(filter_name)
        camera = camera or camera_from_header(source.header) or ACS_WFC
        header["FILTER"] = (bare, "HST filter")
        header["INSTRUME"] = camera.split("/")[0]
        if "/" in camera and not camera.startswith(NIRCAM):
            header["DETECTOR"] = camera.split("/")[1]
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
    centres by `reproject.reproject_interp` (bilinear; the data, masked
    weight and variance in one broadcast call), and multiplied by the ratio of the pixel areas so that fluxes are conserved.
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
    _check_options(cutoff, margin)
    reference = read_muse_reference(muse)
    (regridded,) = _regrid_images([(hst, filter_name)], reference, float(cutoff),
                                  float(margin), mask_blank)
    return _output_image(hst, regridded, inplace)


def regrid_hst_bands_like_muse(hst_images, muse, *, cutoff=0.5, margin=DEFAULT_MARGIN,
                               mask_blank=True):
    """Resample the HST images of several bands onto one MUSE grid, at once.

    Each image is regridded as `regrid_hst_like_muse` does (the same
    numbers), but the images whose cut-outs share a pixel grid (HST bands
    drizzled onto one grid, as the mosaics of a field usually are) are
    sampled by one `reproject.reproject_interp` call, which computes the
    MUSE-to-HST pixel mapping once for all their arrays. Used by
    `~imphot_astropy.survey.fit_cube_photometry`. The caller's objects are
    not modified.

    Parameters
    ----------
    hst_images : dict
        Filter name (``"F606W"``, ...) -> HST image (as ``hst`` of
        `regrid_hst_like_muse`); the name is recorded as ``filter_name``.
    muse : str, HDU, HDUList, NDData/CCDData, ImageData, or a cube
        The MUSE image or cube whose spatial grid is the target.
    cutoff, margin, mask_blank
        As for `regrid_hst_like_muse`.

    Returns
    -------
    out : dict
        Filter name -> the regridded `~astropy.nddata.CCDData`, in the
        order of ``hst_images``.

    Raises
    ------
    UserError
        As `regrid_hst_like_muse`, naming the band.

    Examples
    --------
    Two bands on one 0.05" grid (sampled by one call), onto a 0.2" grid:

    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from imphot_astropy.datasets.synthetic import muse_wcs
    >>> point = np.full((200, 200), 1e-3); point[100, 100] += 1.0
    >>> bands = {band: CCDData(point * k, unit="electron/s", wcs=muse_wcs((200, 200), 0.05))
    ...          for k, band in enumerate(("F606W", "F814W"), start=1)}
    >>> muse = CCDData(np.zeros((30, 30)), unit="adu", wcs=muse_wcs((30, 30)))
    >>> out = regrid_hst_bands_like_muse(bands, muse)
    >>> [round(float(np.nansum(o.data) / np.nansum(out["F606W"].data)), 6) for o in out.values()]
    [1.0, 2.0]
    """
    if not isinstance(hst_images, dict) or not hst_images:
        raise UserError("hst_images: expected a dict of filter name -> HST image or file")
    _check_options(cutoff, margin)
    reference = read_muse_reference(muse)
    names = [str(n) for n in hst_images]
    regridded = _regrid_images([(hst_images[n], n) for n in hst_images], reference,
                               float(cutoff), float(margin), mask_blank,
                               [f"hst_images[{n!r}]" for n in names])
    return {n: _output_image(hst, r, inplace=False)
            for n, hst, r in zip(names, hst_images.values(), regridded)}


def _check_options(cutoff, margin):
    if not (isinstance(cutoff, numbers.Real) and 0 < cutoff <= 0.5):
        raise UserError(f"cutoff: must be in (0, 0.5] cycles per MUSE pixel, "
                        f"not {cutoff!r}")
    if not (isinstance(margin, numbers.Real) and margin >= 0):
        raise UserError(f"margin: must be a width >= 0 in arcsec, not {margin!r}")


@dataclass
class _Output:
    result: _Regridded
    header: fits.Header
    unit: object
    wcs: object


def _regrid_images(images, reference, cutoff, margin, mask_blank, labels=None):
    """Regrid (hst, filter_name) pairs onto the reference grid: `_Output` each.

    The cut-outs are placed first (from the WCS only); those on one grid
    share a `_Stack`, which each is filtered into in turn, so that only the
    filtered arrays (not a copy of them) are held until the one
    `reproject.reproject_interp` call of the stack. The HST sources stay
    open (memory maps) meanwhile.
    """
    with ExitStack() as context:
        sources, cutouts = [], []
        for k, (hst, filter_name) in enumerate(images):
            name = "hst" if labels is None else labels[k]
            source = context.enter_context(open_hst(hst, name))
            for note in source.notes:
                log.debug(note)
            if filter_name is not None:
                HstFilterInfo(source.header, filter_name=filter_name)  # validate early
            sources.append(source)
            cutouts.append(_plan_cutout(source, reference, margin, source.filename or name))
        groups = {}
        for k, cutout in enumerate(cutouts):
            groups.setdefault(cutout.key if cutout.key is not None else ("own", k),
                              []).append(k)
        sampled = [None] * len(images)
        for members in groups.values():
            stack = _Stack([cutouts[k] for k in members])
            for k in members:
                _filter_into(stack, cutouts[k], sources[k], reference, cutoff, mask_blank)
            rows = _sample_at_muse_pixels(stack, reference)
            for k in members:
                sampled[k] = rows
        outputs = []
        for (hst, filter_name), source, cutout, rows in zip(images, sources, cutouts,
                                                            sampled):
            result = _finish(cutout, rows, reference)
            header = _output_header(source, reference, result, cutoff, filter_name)
            if source.filename:
                header["FILENAME"] = (os.path.basename(str(source.filename)),
                                      "regridded HST file")
            y0, y1, x0, x1 = result.box
            log.info("%s: read HST pixels [%d:%d, %d:%d] (the MUSE field plus %g\"), "
                     "regridded onto %s (%d x %d)", cutout.label, y0, y1, x0, x1, margin,
                     reference.name, reference.shape[1], reference.shape[0])
            outputs.append(_Output(result, header, source.unit, reference.wcs.deepcopy()))
    return outputs


def _output_image(hst, output, inplace):
    """The regridded image: ``hst`` itself (CCDData/ImageData, inplace) or a new one."""
    result, header, unit, wcs = output.result, output.header, output.unit, output.wcs
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
