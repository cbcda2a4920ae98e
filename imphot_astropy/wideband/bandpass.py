"""Images with a filter's spectral response, extracted from spectral cubes."""

import warnings

import numpy as np
import astropy.units as u
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from ..utils import worker_count
from ._planes import (WARN_LOST_FRACTION, combine_planes, curve_in_angstrom, describe_range,
                      result_header)
from .cubes import open_cube
from .curves import read_filter_curve
from .weights import plane_weights, response_fraction_outside, touched_planes

__all__ = ["bandpass_image", "FilterTruncationWarning"]

# Warn when more than this fraction of the image's pixels have no valid
# voxel. MUSE cubes have NaN borders (a rotated or dithered field leaves
# 10-30% of the spaxels empty), which are no news; a cube mostly NaN is.
_WARN_UNDEFINED_FRACTION = 0.5

class FilterTruncationWarning(AstropyUserWarning):
    """The cube's wavelength range cuts off part of the filter's response.

    The image then lacks the light of the missing wavelengths, so it does
    not have the filter's spectral response.

    Examples
    --------
    >>> import warnings
    >>> warnings.simplefilter("error", FilterTruncationWarning)  # make it an error
    >>> warnings.resetwarnings()
    """


def _check_undefined(mask, name, wave_lo, wave_hi):
    """Refuse an image with no defined pixel; warn when most of it is undefined."""
    where = f"in the planes the filter uses ({describe_range(wave_lo, wave_hi)})"
    if mask.all():
        raise UserError(f"cube: {name}: every voxel {where} is NaN or masked, so the "
                        "image would hold no value")
    undefined = int(np.count_nonzero(mask))
    if undefined > _WARN_UNDEFINED_FRACTION * mask.size:
        warnings.warn(f"{name}: {100 * undefined / mask.size:.1f}% of the image's "
                      f"pixels ({undefined} of {mask.size}) are NaN: every voxel "
                      f"{where} is NaN or masked there", AstropyUserWarning,
                      stacklevel=3)


def bandpass_image(cube, wavelengths, sensitivities=None, unit_wave=u.AA,
                   interpolation="linear", truncation_warning=True, nprocess=0,
                   progress_bar=False):
    """Extract from a cube the image seen through a filter.

    For example, this makes a MUSE image with the spectral response of an
    HST image, so that the two can be compared without colour differences.
    For each spectral plane n, the filter curve integrated over the plane's
    width gives a weight w[n]; the image is the weighted mean
    ``sum(w[n] cube[n]) / sum(w[n])``, where each masked or NaN voxel gets
    zero weight, and its variance is ``sum(w[n]**2 var[n]) / sum(w[n])**2``.
    Only the planes the filter reaches are read, a block at a time into
    reused buffers, so full MUSE cubes (3681 x 320 x 320, 3 GB with their
    variances) need little memory.

    Parameters
    ----------
    cube : str, `os.PathLike`, `~astropy.nddata.NDData`, `spectral_cube.SpectralCube`, specutils ``Spectrum`` or MPDAF ``Cube``
        A MUSE FITS cube (DATA, STAT and optional DQ extensions), an NDData
        with a 3D WCS (mask and uncertainty honoured), a SpectralCube (mask
        honoured), a specutils 3D spectrum, or an MPDAF ``Cube`` (read as the
        file it stands for). The spectral axis may be
        declared as MUSE's ``CTYPE3 = 'LINEAR'`` with a wavelength unit.
    wavelengths : array-like, `~astropy.units.Quantity`, str, `~astropy.table.Table` or `synphot.SpectralElement`
        The wavelengths of the filter curve, increasing (the curve is zero
        outside them); or, without ``sensitivities``, an ASCII file of
        wavelengths and throughputs, an astropy Table, a synphot bandpass,
        an HST or JWST filter name such as ``"F775W"``,
        ``"WFC3_UVIS_F606W"`` or ``"NIRCAM_F090W"``, or an archive image
        file whose header names its camera and filter (see
        `~imphot_astropy.wideband.read_filter_curve`).
    sensitivities : array-like, optional
        The filter's throughput at ``wavelengths``. Only relative values
        matter: the weights are normalised.
    unit_wave : `~astropy.units.UnitBase` or None
        The unit of plain ``wavelengths`` and of ASCII files (default
        Angstrom). None means pixel indices along the cube's spectral axis.
    interpolation : {"linear", "cubic"}
        How to interpolate the curve between samples when integrating it
        over each plane: piecewise linear, or a cubic spline (for curves
        sampled more coarsely than the cube). Both are integrated exactly.
    truncation_warning : bool
        Warn (`FilterTruncationWarning`) when more than 0.5% of the filter's
        integrated response lies outside the cube's wavelength range,
        stating the fraction lost.
    nprocess : int
        The number of workers: 0 (default) for one per CPU, -n for all CPUs
        but n, 1 for none. Workers are threads that read and sum blocks of
        planes in parallel (numpy and BLAS release the GIL; BLAS itself is
        kept to one thread meanwhile) and add them in plane order, so the
        result does not depend on their number.
    progress_bar : bool
        Show a tqdm progress bar on stderr when extraction takes more than
        half a second.

    Returns
    -------
    image : `~astropy.nddata.CCDData`
        The weighted-mean image (float64, NaN where every voxel was masked),
        its `~astropy.nddata.VarianceUncertainty` (if the cube had
        variances), its mask (True where undefined), the cube's unit and its
        2D celestial WCS. ``meta`` holds the cube's primary header and the
        keywords FILTER, BPLOST (fraction of the response lost), BPWMIN and
        BPWMAX (wavelength range of the planes used) and BPCUBE, and BPSTAND
        when the curve of another camera's filter stood in for an archive
        image's own (``'WFPC2 F814W'``).

    Raises
    ------
    UserError
        If the cube has no spectral axis, the filter does not overlap it,
        the filter curve is invalid (wavelengths not increasing, negative
        throughput), or a file is missing, empty or truncated.

    Notes
    -----
    The weights integrate the throughput T(lambda) itself over each plane,
    as the established tools (imphot, MPDAF's ``Cube.bandpass_image``) do.
    Planes at the ends of the band whose summed weight is below 1e-7 of the
    total are not read: they are below the precision of float32 cubes.

    Examples
    --------
    A cube whose spectrum rises linearly, seen through a flat filter that
    covers it exactly, gives the mean of the spectrum:

    >>> import numpy as np
    >>> from astropy.nddata import NDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=3); w.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    >>> w.wcs.cunit = ["deg", "deg", "Angstrom"]; w.wcs.crval = [0, 0, 5000.0]
    >>> w.wcs.cdelt = [-5e-5, 5e-5, 1.25]; w.wcs.crpix = [1, 1, 1]
    >>> cube = NDData(np.arange(100.0)[:, None, None] * np.ones((100, 2, 3)),
    ...               wcs=w, unit="adu")
    >>> image = bandpass_image(cube, [4999.375, 5124.375], [1.0, 1.0])
    >>> image.data
    array([[49.5, 49.5, 49.5],
           [49.5, 49.5, 49.5]])
    """
    curve = read_filter_curve(wavelengths, sensitivities, unit_wave,
                              argname="wavelengths")
    nworkers = worker_count(nprocess)
    with open_cube(cube) as source:
        wave, throughput = curve_in_angstrom(curve, source)
        weights = plane_weights(source.lower, source.upper, wave, throughput,
                                interpolation)
        start, stop = touched_planes(weights)
        cube_lo = float(min(source.lower.min(), source.upper.min()))
        cube_hi = float(max(source.lower.max(), source.upper.max()))
        if stop <= start:
            raise UserError(f"wavelengths: the filter curve ({curve.name}, "
                            f"{describe_range(wave[0], wave[-1])}) does not overlap "
                            f"the cube's wavelength range "
                            f"({describe_range(cube_lo, cube_hi)})")
        lost = response_fraction_outside(cube_lo, cube_hi, wave, throughput,
                                         interpolation)
        if truncation_warning and lost > WARN_LOST_FRACTION:
            warnings.warn(
                f"{source.name}: {100 * lost:.1f}% of the integrated response of the "
                f"filter curve ({curve.name}, {describe_range(wave[0], wave[-1])}) "
                f"lies outside the cube's wavelength range "
                f"({describe_range(cube_lo, cube_hi)}); the image lacks that part "
                "of the bandpass", FilterTruncationWarning, stacklevel=2)
        # Normalised weights keep float32 products far from underflow.
        weights = weights / weights[start:stop].max()
        sums = combine_planes(source, weights, start, stop, nworkers, progress_bar)
        data, variance, mask = sums.weighted_mean()
        used = np.concatenate([source.lower[start:stop], source.upper[start:stop]])
        _check_undefined(mask, source.name, used.min(), used.max())
        meta = result_header(source, curve, lost, used.min(), used.max())
        uncertainty = None if variance is None else VarianceUncertainty(variance)
        unit = source.unit if source.unit is not None else u.dimensionless_unscaled
        return CCDData(data, unit=unit, uncertainty=uncertainty, mask=mask,
                       wcs=source.wcs, meta=meta)
