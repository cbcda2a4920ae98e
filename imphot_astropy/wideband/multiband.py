"""Images through several filters from one pass over a cube.

A survey makes the image of every HST band that overlaps MUSE from each
exposure cube. `bandpass_image` reads the planes of one filter; here each
plane of the union of the filters' ranges is read once and added to the
sums of every filter that reaches it, so a 3 GB cube is read once rather
than once per band, and memory holds one block of planes plus the images.
"""

import warnings

import numpy as np
import astropy.units as u
from astropy.nddata import CCDData, VarianceUncertainty

from ..exceptions import UserError
from ..utils import worker_count
from ._planes import (WARN_LOST_FRACTION, combine_planes, curve_in_angstrom, describe_range,
                      result_header)
from .bandpass import FilterTruncationWarning
from .cubes import open_cube
from .curves import read_filter_curve
from .planesums import WeightedPlaneSums
from .weights import plane_weights, response_fraction_outside, touched_planes

__all__ = ["bandpass_images", "BandSpectrum"]


class BandSpectrum:
    """Which planes of a cube make a band image, and with what weights.

    A band image's PSF is the mixture of the cube's PSFs over the band's
    planes, each weighted by the filter (``weights``) and by the light of
    the sources in that plane (``flux``, the sum of the plane over the
    image).

    Parameters
    ----------
    wavelengths : `numpy.ndarray`
        The centres (Angstrom) of the planes used.
    weights : `numpy.ndarray`
        The filter's weight of each of these planes (normalised to sum 1).
    flux : `numpy.ndarray`
        The sum of each plane over its unmasked pixels.

    Examples
    --------
    >>> b = BandSpectrum(np.array([6000.0, 7000.0]), np.array([0.5, 0.5]),
    ...                  np.array([1.0, 3.0]))
    >>> b.mixture_weights(), b.effective_wavelength()
    (array([0.25, 0.75]), 6750.0)
    """

    def __init__(self, wavelengths, weights, flux):
        self.wavelengths = np.asarray(wavelengths, dtype=float)
        self.weights = np.asarray(weights, dtype=float) / np.sum(weights)
        self.flux = np.asarray(flux, dtype=float)

    def mixture_weights(self, use_flux=True):
        """The weight of each plane's PSF in the band image's PSF (sum 1).

        The filter weights times the planes' source light; the light is
        ignored (flat spectra assumed) when ``use_flux`` is False or when
        it is not positive overall.
        """
        weights = self.weights
        if use_flux:
            light = np.clip(self.flux, 0.0, None)
            if np.sum(weights * light) > 0:
                weights = weights * light
        return weights / weights.sum()

    def effective_wavelength(self, use_flux=True):
        """The mean wavelength of the band's planes under `mixture_weights`."""
        return float(np.sum(self.mixture_weights(use_flux) * self.wavelengths))


class _Band:
    """One filter's weights, plane range and running sums."""

    def __init__(self, name, curve, source, interpolation):
        wave, throughput = curve_in_angstrom(curve, source)
        weights = plane_weights(source.lower, source.upper, wave, throughput, interpolation)
        self.name = name
        self.curve = curve
        self.start, self.stop = touched_planes(weights)
        cube_lo = float(min(source.lower.min(), source.upper.min()))
        cube_hi = float(max(source.lower.max(), source.upper.max()))
        if self.stop <= self.start:
            raise UserError(f"filters: the filter curve {name!r} ({curve.name}, "
                            f"{describe_range(wave[0], wave[-1])}) does not overlap "
                            f"the cube's wavelength range "
                            f"({describe_range(cube_lo, cube_hi)})")
        self.lost = response_fraction_outside(cube_lo, cube_hi, wave, throughput,
                                              interpolation)
        self.range_text = (f"({curve.name}, {describe_range(wave[0], wave[-1])}) lies "
                           f"outside the cube's wavelength range "
                           f"({describe_range(cube_lo, cube_hi)})")
        self.weights = weights / weights[self.start:self.stop].max()


def _named_curves(filters, unit_wave):
    """(name, filter curve) pairs from a list of names or a mapping."""
    if isinstance(filters, str):
        filters = [filters]
    if isinstance(filters, dict):
        items = list(filters.items())
    else:
        try:
            items = [(name, name) for name in filters]
        except TypeError:
            raise UserError(f"filters: expected filter names or a mapping of names to "
                            f"filter curves, not {filters!r}") from None
    if not items:
        raise UserError("filters: no filter given")
    names = [str(name) for name, _ in items]
    if len(set(names)) != len(names):
        raise UserError(f"filters: a filter is named twice in {names}")
    curves = []
    for name, spec in items:
        if isinstance(spec, tuple) and len(spec) == 2:
            curve = read_filter_curve(spec[0], spec[1], unit_wave, argname=f"filters[{name}]")
        else:
            curve = read_filter_curve(spec, None, unit_wave, argname=f"filters[{name}]")
        curves.append((str(name), curve))
    return curves


def bandpass_images(cube, filters, unit_wave=u.AA, interpolation="linear",
                    truncation_warning=True, nprocess=0, progress_bar=False,
                    spectra=False):
    """Extract the images of several filters from one pass over a cube.

    Each image is the one `bandpass_image` would make (the same weighted
    mean, to rounding), but every plane of the cube is read at most once,
    whatever the number of filters: each block of planes is read once,
    cleaned of NaN and masked voxels once, and multiplied by the weights
    of all the filters together.

    Parameters
    ----------
    cube : str, `os.PathLike`, NDData, SpectralCube or specutils cube
        As for `bandpass_image`.
    filters : sequence of str, or dict
        Filter names (``"F606W"``, an ASCII curve file, ...), or a mapping
        of an image name to a filter (anything `bandpass_image` accepts as
        ``wavelengths``, or a ``(wavelengths, sensitivities)`` pair).
    unit_wave, interpolation, truncation_warning, nprocess, progress_bar
        As for `bandpass_image`.
    spectra : bool
        Also return, per filter, the `BandSpectrum` of the image (the
        planes used, their filter weights and summed light), from which
        the band's PSF mixture or effective wavelength follows.

    Returns
    -------
    images : dict
        Name -> `~astropy.nddata.CCDData`, in the order of ``filters``.
    spectra : dict
        Name -> `BandSpectrum` (only with ``spectra=True``).

    Raises
    ------
    UserError
        As `bandpass_image`, and if a filter is named twice.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import NDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=3); w.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    >>> w.wcs.cunit = ["deg", "deg", "Angstrom"]; w.wcs.crval = [0, 0, 5000.0]
    >>> w.wcs.cdelt = [-5e-5, 5e-5, 1.25]; w.wcs.crpix = [1, 1, 1]
    >>> cube = NDData(np.arange(100.0)[:, None, None] * np.ones((100, 2, 3)),
    ...               wcs=w, unit="adu")
    >>> images = bandpass_images(cube, {"blue": ([4999.375, 5061.875], [1, 1]),
    ...                                 "red": ([5061.875, 5124.375], [1, 1])})
    >>> round(float(images["blue"].data[0, 0]), 6), round(float(images["red"].data[0, 0]), 6)
    (24.5, 74.5)
    """
    named = _named_curves(filters, unit_wave)
    nworkers = worker_count(nprocess)
    with open_cube(cube) as source:
        bands = [_Band(name, curve, source, interpolation) for name, curve in named]
        for band in bands:
            if truncation_warning and band.lost > WARN_LOST_FRACTION:
                warnings.warn(f"{source.name}: {100 * band.lost:.1f}% of the integrated "
                              f"response of the filter curve {band.range_text}; the "
                              f"image {band.name!r} lacks that part of the bandpass",
                              FilterTruncationWarning, stacklevel=2)
        start = min(b.start for b in bands)
        stop = max(b.stop for b in bands)
        # One row of weights per filter, zero outside the planes it uses:
        # each block of planes is read and cleaned once, and the products
        # of all filters' rows are formed together.
        weights = np.zeros((len(bands), source.shape[0]))
        for row, band in zip(weights, bands):
            row[band.start:band.stop] = band.weights[band.start:band.stop]
        sums = WeightedPlaneSums(source.shape[1:], with_variance=source.has_variance,
                                 nbands=len(bands))
        flux = np.zeros(source.shape[0])
        combine_planes(source, weights, start, stop, nworkers, progress_bar, sums, flux)
        means = sums.weighted_mean()
        unit = source.unit if source.unit is not None else u.dimensionless_unscaled
        images, band_spectra = {}, {}
        centres = 0.5 * (source.lower + source.upper)
        for index, band in enumerate(bands):
            data, variance, mask = (None if part is None else part[index] for part in means)
            used = np.concatenate([source.lower[band.start:band.stop],
                                   source.upper[band.start:band.stop]])
            meta = result_header(source, band.curve, band.lost, used.min(), used.max())
            uncertainty = None if variance is None else VarianceUncertainty(variance)
            images[band.name] = CCDData(data, unit=unit, uncertainty=uncertainty,
                                        mask=mask, wcs=source.wcs, meta=meta)
            window = slice(band.start, band.stop)
            band_spectra[band.name] = BandSpectrum(centres[window], band.weights[window],
                                                   flux[window])
    if spectra:
        return images, band_spectra
    return images
