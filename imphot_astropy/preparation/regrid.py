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
4. Sample the filtered image at the MUSE pixel centres by bilinear
   interpolation, as `reproject.reproject_interp` does but on a pixel
   mapping computed once per pair of grids
   (`imphot_astropy.preparation.sampling`), and multiply by the ratio of the
   pixel areas, which conserves flux: the filtered image has no power at or
   beyond the MUSE sampling frequency, so its samples sum to its integral.

The modules: `imphot_astropy.core.antialias` (step 3, on arrays),
`imphot_astropy.preparation.hst_cutout` (steps 1-2),
`imphot_astropy.preparation.sampling` (step 4's sampling), this one (the
public function), `imphot_astropy.preparation.regrid_output` (writing).

The regridded image is a point sampling of the filtered sky, not an
integral over 0.2" MUSE pixels: the fitter adds the MUSE pixel response to
its model itself.
"""

import logging
import numbers
import os
import warnings
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.utils.exceptions import AstropyUserWarning

from ..core.antialias import (AntialiasLowpass, antialias_filter, antialias_filter_variance,
                              fast_fft_shape, working_dtype)
from ..core.transfer import REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD, BLACKMAN
from ..bandpasses import ACS_WFC, NIRCAM, split_camera_filter, camera_from_header
from ..exceptions import UserError
from ..io import ImageData
from .filters import HstFilterInfo
from .hst_cutout import (hst_pixels_per_muse_pixel, _open_hst, _cutout_box, _read_box,
                         _fill_masked, _read_variance)
from .regrid_output import regridded_hdulist, write_regridded_hst
from .rescale import read_muse_reference
from .sampling import muse_pixels_in_hst, sample_bilinear

# antialias_filter, antialias_filter_variance, hst_pixels_per_muse_pixel,
# regridded_hdulist and write_regridded_hst live in their own modules (the
# array core, the HST reader, the writer) and are re-exported here, where
# they have always been importable from.
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
# reproject_interp's bilinear one, on a MUSE-to-HST pixel mapping computed
# once and shared by the data, masked weights and variance, and by the bands
# whose HST images share a WCS (see sampling.py for why not reproject itself).


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
    fast_shape = fast_fft_shape(box_shape, margin_pixels // 2)
    dtype = working_dtype(source.dtype)
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

    lowpass = AntialiasLowpass(fast_shape, jacobian, cutoff, muse_scales)
    filtered = lowpass.filter(buffer)
    del buffer
    filtered += fill

    coordinates = muse_pixels_in_hst(source.wcs, reference.wcs, reference.shape)
    corner = (box[0], box[2])
    data = sample_bilinear(filtered, coordinates, reference.shape, corner)
    del filtered
    data *= area_ratio
    out_mask = np.isnan(data)
    masked_input = int(mask.sum()) if mask.any() else 0
    if masked_input:
        # Beyond the cut-out nothing is known: count it as masked too.
        weights = np.ones(fast_shape, dtype=dtype)
        weights[:box_shape[0], :box_shape[1]] = mask
        masked_fraction = lowpass.filter(weights)
        del weights
        fraction = sample_bilinear(masked_fraction, coordinates, reference.shape, corner)
        out_mask |= ~(fraction <= MASKED_WEIGHT_LIMIT)
    out_variance = None
    if variance is not None:
        filtered_var = lowpass.filter_variance(variance)
        del variance
        out_variance = sample_bilinear(filtered_var, coordinates, reference.shape, corner)
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
    centres by bilinear interpolation (as `reproject.reproject_interp` does,
    on a pixel mapping shared by the bands whose HST images share a WCS), and
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
