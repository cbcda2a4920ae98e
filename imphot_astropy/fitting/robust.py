"""The robust option of the image fit: leave out point sources that disagree.

Stars with proper motion, variable sources and transients appear at
different places or brightnesses in the HST and MUSE images, and a global
least-squares fit then drags the offsets and the flux scale towards them
(by up to 0.2" in practice). After a plain fit, `inconsistent_sources`
looks at each bright compact peak of the fitted model and measures the
residual around it in units of the expected noise (the filtered MUSE
variance; without one, the residual's robust scatter). Peaks whose local
residual is both far above the noise (``limit`` times) and far above the
typical peak's are taken to be inconsistent; the fitter masks a circle
around them on the HST image and fits again, and reports their sky
positions so that the user can check them.
"""

import numpy as np
from photutils.detection import find_peaks

from ..core.covariance import filtered_noise_variance
from ..core.moffat import moffat_alpha

__all__ = ["inconsistent_sources", "exclusion_radius", "exclusion_mask",
           "refit_without_inconsistent_sources", "ROBUST_LIMIT", "ROBUST_ROUNDS"]

#: A peak is inconsistent if its mean squared standardised residual exceeds
#: this, and this times the median over all peaks.
ROBUST_LIMIT = 10.0
#: At most this many rounds of exclusion and refitting.
ROBUST_ROUNDS = 3
# Peaks fainter than this many times the noise are not examined: their
# residuals say nothing about consistency.
_PEAK_SNR = 20.0


def _robust_scatter(values):
    return 1.4826 * float(np.median(np.abs(values - np.median(values)))) or 1.0


def inconsistent_sources(model, residual, sigma, good, radius, limit=ROBUST_LIMIT):
    """The pixel positions of bright peaks whose residuals are inconsistent.

    Parameters
    ----------
    model : `numpy.ndarray`
        The fitted model image (MUSE units, background removed).
    residual : `numpy.ndarray`
        The data minus the model at the compared pixels (0 elsewhere).
    sigma : `numpy.ndarray` or None
        The expected standard deviation of the residual at each pixel;
        None to use the residual's robust scatter.
    good : `numpy.ndarray` of bool
        The pixels where the residual is meaningful.
    radius : float
        The radius (pixels) of the circle examined around each peak.
    limit : float
        See `ROBUST_LIMIT`.

    Returns
    -------
    positions : list of (float, float, float)
        The (x, y) pixel positions of the inconsistent peaks and their
        peak values in ``model``.
    statistics : list of float
        The local mean squared standardised residual of each examined peak.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:40, 0:40]
    >>> model = np.zeros((40, 40))
    >>> for x, y in ((10, 10), (30, 28), (10, 30), (28, 8)):
    ...     model += 100 * np.exp(-((xx - x)**2 + (yy - y)**2) / 4.0)
    >>> rng = np.random.default_rng(0)
    >>> residual = rng.normal(size=model.shape)
    >>> residual += 50 * np.exp(-((xx - 31)**2 + (yy - 28)**2) / 4.0)  # moved
    >>> found, _ = inconsistent_sources(model, residual, np.ones_like(model),
    ...                                 np.ones(model.shape, bool), 4.0)
    >>> [p[:2] for p in found]
    [(30.0, 28.0)]
    """
    good = np.asarray(good, dtype=bool)
    if sigma is None:
        sigma = np.full(residual.shape, _robust_scatter(residual[good]))
    usable = good & (sigma > 0)
    if not usable.any():
        return [], []
    standard = np.where(usable, residual / np.where(usable, sigma, 1.0), 0.0)
    noise = float(np.median(sigma[usable]))
    peaks = find_peaks(np.where(good, model, 0.0), _PEAK_SNR * noise,
                       box_size=int(2 * radius) | 1, mask=~good)
    if peaks is None or len(peaks) == 0:
        return [], []
    yy, xx = np.mgrid[0:model.shape[0], 0:model.shape[1]]
    stats, positions = [], []
    for x, y in zip(peaks["x_peak"], peaks["y_peak"]):
        inside = usable & ((xx - x) ** 2 + (yy - y) ** 2 <= radius ** 2)
        stats.append(float(np.mean(standard[inside] ** 2)) if inside.any() else 0.0)
        positions.append((float(x), float(y), float(model[y, x])))
    typical = float(np.median(stats))
    worst = max(stats)
    found = [p for p, s in zip(positions, stats)
             if s > limit and s > limit * typical and s >= 0.5 * worst]
    return found, stats


def exclusion_radius(peak, noise, alpha, beta, minimum, maximum):
    """The radius at which a Moffat source of a given peak falls to the noise.

    ``peak (1 + r**2 / alpha**2)**-beta = noise``, kept within
    [``minimum``, ``maximum``] (all lengths in the same unit).

    Examples
    --------
    >>> round(exclusion_radius(100.0, 1.0, 2.0, 2.5, 1.0, 20.0), 2)
    4.61
    """
    ratio = max(peak / max(noise, 1e-300), 1.0)
    radius = alpha * np.sqrt(ratio ** (1.0 / beta) - 1.0)
    return float(np.clip(radius, minimum, maximum))


def exclusion_mask(shape, positions, radii):
    """Circles of the given radii (pixels) around (x, y) positions, as a mask.

    Examples
    --------
    >>> int(exclusion_mask((9, 9), [(4.0, 4.0)], [1.0]).sum())
    5
    """
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    mask = np.zeros(shape, dtype=bool)
    for (x, y), radius in zip(positions, radii):
        mask |= (xx - x) ** 2 + (yy - y) ** 2 <= radius ** 2
    return mask


def refit_without_inconsistent_sources(state, excluded, refit, muse_image, max_radius,
                                       rounds=ROBUST_ROUNDS):
    """Exclude inconsistent point sources from an image fit and fit again.

    Parameters
    ----------
    state : object
        The image fit: ``fitted`` (the model), ``prepared`` (its arrays:
        ``noise_variance``, ``sky_slice``, ``crop``, ``shift``, ``median``),
        ``problem`` and ``products(muse_image)`` (the compared images).
    excluded : `numpy.ndarray` of bool
        The pixels of the HST image excluded so far.
    refit : callable
        ``refit(excluded)`` fits again with another exclusion mask and
        returns a new state.
    muse_image : `~imphot_astropy.io.ImageData`
        The MUSE image (pixel sizes and WCS).
    max_radius : float
        The largest radius (pixels) of an exclusion circle.
    rounds : int
        At most this many rounds.

    Returns
    -------
    state : object
        The last fit.
    excluded : `numpy.ndarray` of bool
        The final exclusion mask.
    sky : list of (float, float)
        The (ra, dec) of the excluded sources, in degrees.

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, _ = make_synthetic_pair(shape=(48, 48), seed=3)
    >>> measure_image_photometry(hst, muse, robust=True).quality.excluded
    []
    """
    pixel = min(muse_image.pixel_scales)
    sources = []
    for _ in range(rounds):
        fitted, prepared = state.fitted, state.prepared
        products = state.products(muse_image)
        residual = np.where(products.good, products.muse - products.model, 0.0)
        sigma = None
        if prepared.noise_variance is not None:
            kernel = state.problem.to_image(state.problem.muse_filter)
            sigma = np.sqrt(filtered_noise_variance(prepared.noise_variance,
                                                    kernel))[prepared.sky_slice]
        radius = max(1.0, 1.5 * float(fitted.fwhm.value)) / pixel
        good = products.good & (products.window > 0.5)
        found, _ = inconsistent_sources(products.model - prepared.median, residual,
                                        sigma, good, radius)
        if not found:
            break
        # From the cropped MUSE grid to the HST image's own pixels.
        px, py = prepared.shift
        on_hst = [(x + prepared.crop[1].start - px, y + prepared.crop[0].start - py)
                  for x, y, _ in found]
        # Mask each source out to where its MUSE image falls to the noise.
        noise = (float(np.median(sigma[good])) if sigma is not None
                 else _robust_scatter(residual[good]))
        beta = float(fitted.beta.value)
        alpha = moffat_alpha(float(fitted.fwhm.value), beta) / pixel
        radii = [exclusion_radius(peak, noise, alpha, beta, radius, max_radius)
                 for _, _, peak in found]
        sources += on_hst
        excluded = excluded | exclusion_mask(excluded.shape, on_hst, radii)
        state = refit(excluded)
    sky = [tuple(float(v) for v in muse_image.wcs.pixel_to_world_values(x, y))
           for x, y in sources]
    return state, excluded, sky
