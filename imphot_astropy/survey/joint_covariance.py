"""The sandwich covariance of the joint multi-band fit.

As for the image fit (`~imphot_astropy.fitting.uncertainties`), the joint
fit compares filtered images, so its residuals are correlated over several
pixels and lmfit's least-squares covariance, which treats the pixels as
independent, is several times too small. The joint covariance is the
sandwich ``B^-1 M B^-1`` with the bread ``B = J^T J`` over all the bands
and the meat ``M = sum_ab J_a^T C_ab J_b``.

Each band's own term ``J_b^T C_bb J_b`` is that of the image fit: its
correlation is estimated from its own residuals within its own window,
filter and correlation length, with the core functions
(`~imphot_astropy.core.covariance`), and corrected, as there, for the
noise that the joint fit absorbed from that band (its share of the joint
projection).

The bands' noises are *not* independent: the band images are made from
the same cube planes wherever the filters overlap (F775W and F814W share
most of theirs, F814W and F850LP the red end), and in Monte Carlo runs
their single-band offsets' errors correlate by 0.6-0.9. Ignoring that
made the joint errors of the offsets 1.5 times too small. So the cross
terms ``J_a^T C_ab J_b`` are included too, with ``C_ab`` the residuals'
cross-correlation between the two bands on the cube's pixel grid (the
same estimator as within a band; the core module has no cross version),
corrected by the geometric mean of the two bands' factors for absorbed
noise.

Like the image fit's, it does not cover systematics: a wrong HST PSF
model, a wrong filter curve, or a PSF that is not a Moffat whose FWHM and
beta follow the fitted polynomials.
"""

import numpy as np

from scipy import fft as sp_fft

from ..core.covariance import (residual_correlation, Sandwich, lag_grid_shape, lag_taper,
                               clip_to_positive)
from ..core.masks import values_on_mask
from ..fitting.uncertainties import image_noise_amplitude

__all__ = ["joint_sandwich", "set_uncertainties"]


class _BandTerm:
    """One band's Jacobian, noise and meat in the varying parameters."""

    def __init__(self, band, names, jacobian, residual, transform, index):
        t = transform[[index[n] for n in names]]
        # Only the columns that move with some varying parameter.
        keep = np.any(t != 0, axis=1)
        self.t, jacobian = t[keep], jacobian[keep]
        self.bread = self.t.T @ (jacobian @ jacobian.T) @ self.t
        inside = band.problem.inside
        noise = image_noise_amplitude(band.problem, band.prepared.noise_variance)
        self.amplitude, self.max_lag = noise.amplitude, noise.max_lag
        rho = residual_correlation(values_on_mask(residual, inside), self.amplitude,
                                   self.max_lag)
        self.rho0 = float(rho[0, 0])
        self.jacobian = values_on_mask(jacobian, inside)
        self.sandwich = Sandwich(self.jacobian, self.amplitude, rho)
        self.meat = self.t.T @ self.sandwich.meat @ self.t
        self.residual, self.crop, self.sky = residual, band.prepared.crop, band.prepared.sky_slice
        self.inside, self.image_shape = inside, band.muse_image.shape

    def on_image(self, grid):
        """Values on the band problem's padded grid placed on the cube's pixel grid."""
        out = np.zeros(grid.shape[:-2] + tuple(self.image_shape))
        out[(Ellipsis,) + self.crop] = grid[(Ellipsis,) + self.sky]
        return out

    def absorbed(self, inverse, covariance):
        """The correction factor of this band's meat for the noise the fit absorbed.

        ``kappa`` of `~imphot_astropy.core.covariance.residual_sandwich_covariance`,
        with the projection of the joint fit (its ``B^-1`` and uncorrected
        covariance) restricted to this band's pixels.
        """
        fitted = self.amplitude > 0
        observed = np.count_nonzero(fitted) * self.rho0
        weights = np.where(fitted, 1.0 / np.where(fitted, self.amplitude, 1.0) ** 2, 0.0)
        # The joint matrices seen from this band's own columns.
        local_inverse = self.t @ inverse @ self.t.T
        local_covariance = self.t @ covariance @ self.t.T
        loss = self.sandwich.projection_loss(weights, local_inverse, local_covariance)
        return observed / min(max(observed - loss, 0.25 * observed), observed)


def joint_sandwich(bands, jacobians, residuals, transform, names):
    """The sandwich covariance of the joint fit's varying parameters.

    Parameters
    ----------
    bands : list of `~imphot_astropy.survey.bands.BandProblem`
    jacobians : iterable of (list of str, `numpy.ndarray`)
        Per band, the model parameters and the derivatives of the band's
        weighted residual by them (`JointProblem.band_jacobians`); read
        once, in band order.
    residuals : list of `numpy.ndarray`
        Per band, the weighted residual at the compared pixels.
    transform : `numpy.ndarray`
        d(model parameters) / d(varying parameters), rows in ``names``.
    names : list of str
        The model parameters.

    Returns
    -------
    covariance : `numpy.ndarray`
        ``(m, m)`` for the ``m`` varying parameters.
    max_lags : list of float
        The correlation length allowed for in each band (pixels).

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> from imphot_astropy.survey.bands import BandProblem
    >>> from imphot_astropy.survey.joint import JointProblem
    >>> hst, muse, truth = make_synthetic_pair(shape=(50, 50), seed=2)
    >>> joint = JointProblem([BandProblem("V", hst, muse, [6000.0], [1.0], {},
    ...                                   (5000, 9000))], fwhm_degree=0)
    >>> result = joint.fit(joint.initial_parameters({"V": dict(
    ...     scale=1.2, bg=0.05, dx=0.06, dy=-0.04, fwhm=0.65, beta=2.5)}))
    >>> cov, lags = joint_sandwich(joint.bands, result.jacobians,
    ...                            result.band_residuals, result.transform, joint.names)
    >>> cov.shape, bool(np.all(np.diag(cov) > 0))
    ((6, 6), True)
    """
    index = {name: i for i, name in enumerate(names)}
    terms = [_BandTerm(band, cols, jac, res, transform, index)
             for band, (cols, jac), res in zip(bands, jacobians, residuals)]
    bread = sum(term.bread for term in terms)
    # A pseudo-inverse, as the image fit's, so that a parameter the data do
    # not constrain does not spoil the others.
    inverse = np.linalg.pinv(bread, rcond=1e-15, hermitian=True)
    uncorrected = inverse @ sum(term.meat for term in terms) @ inverse
    kappas = [term.absorbed(inverse, uncorrected) for term in terms]
    # The bands' transformed Jacobians are not needed for the cross terms:
    # free them first (the cross terms' own transforms would double the
    # peak memory of a four-band exposure).
    for term in terms:
        term.sandwich = None
    meat = sum(kappa * term.meat for kappa, term in zip(kappas, terms))
    # The estimated cross terms can make the sum indefinite where the bands'
    # residuals are almost identical (common-mode noise or model error):
    # clip as the core does within a band.
    meat = clip_to_positive(meat + _cross_meat(terms, kappas))
    covariance = inverse @ meat @ inverse
    return 0.5 * (covariance + covariance.T), [term.max_lag for term in terms]


def set_uncertainties(result, covariance, transform, names):
    """Put a covariance into an lmfit result: ``covar``, ``stderr``, ``correl``.

    Parameters defined by expressions get the propagated uncertainty.

    Parameters
    ----------
    result : `lmfit.minimizer.MinimizerResult`
        With ``params`` and ``var_names`` (the covariance's order).
    covariance : `numpy.ndarray`
    transform : `numpy.ndarray`
        d(model parameters) / d(varying parameters), rows in ``names``.
    names : list of str
        The model parameters.

    Examples
    --------
    >>> import lmfit
    >>> from lmfit.minimizer import MinimizerResult
    >>> params = lmfit.Parameters()
    >>> params.add("a", 1.0); params.add("b", expr="2 * a")
    >>> result = MinimizerResult(params=params, var_names=["a"])
    >>> set_uncertainties(result, np.array([[0.01]]), np.array([[1.0], [2.0]]), ["a", "b"])
    >>> params["a"].stderr, params["b"].stderr
    (0.1, 0.2)
    """
    params = result.params
    result.covar = covariance
    sigma = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    varying = list(result.var_names)
    for i, name in enumerate(varying):
        params[name].stderr = float(sigma[i])
        params[name].correl = {other: float(covariance[i, j] / (sigma[i] * sigma[j]))
                               for j, other in enumerate(varying)
                               if j != i and sigma[i] > 0 and sigma[j] > 0}
    for row, name in enumerate(names):
        if params[name].expr:
            t = transform[row]
            params[name].stderr = float(np.sqrt(max(t @ covariance @ t, 0.0)))
    result.errorbars = True


def _cross_meat(terms, kappas):
    """``sum_(a != b) J_a^T C_ab J_b`` from the residuals' cross-correlations.

    On the cube's pixel grid, ``C_ab[j, k] = a_j b_k rho_ab(k - j)`` with
    ``rho_ab(t)`` the mean of ``e_a(j) e_b(j + t)`` over the pixels fitted
    in both bands (``e`` the standardised residuals), tapered as within a
    band. The sums over pixels are done in the Fourier plane (Parseval).
    """
    if len(terms) < 2:
        return 0.0
    max_lag = max(term.max_lag for term in terms)
    shape = lag_grid_shape(terms[0].image_shape, max_lag)
    taper = lag_taper(shape, max_lag)
    # rfft2 keeps half the last axis: the other half counts twice.
    weight = np.full(shape[1] // 2 + 1, 2.0)
    weight[0] = 1.0
    if shape[1] % 2 == 0:
        weight[-1] = 1.0
    spectra = []
    for term in terms:
        amplitude = term.on_image(term.amplitude)
        fitted = amplitude > 0
        residual = term.on_image(values_on_mask(term.residual, term.inside))
        standard = np.where(fitted, residual / np.where(fitted, amplitude, 1.0), 0.0)
        columns = term.on_image(term.jacobian) * amplitude
        spectra.append(dict(
            e=sp_fft.rfft2(standard, s=shape), ind=sp_fft.rfft2(fitted * 1.0, s=shape),
            g=sp_fft.rfft2(columns, s=shape, axes=(-2, -1)).reshape(len(columns), -1)))
    total = 0.0
    for a, first in enumerate(spectra):
        for b in range(a + 1, len(spectra)):
            second = spectra[b]
            pairs = sp_fft.irfft2(np.conj(first["ind"]) * second["ind"], s=shape)
            products = sp_fft.irfft2(np.conj(first["e"]) * second["e"], s=shape)
            rho = np.where(pairs > 0.5, products / np.maximum(pairs, 1.0), 0.0) * taper
            spread = np.conj(sp_fft.rfft2(rho)).ravel() * second["g"]
            block = np.real((np.conj(first["g"]) * np.tile(weight, shape[0])) @ spread.T)
            block *= np.sqrt(kappas[a] * kappas[b]) / (shape[0] * shape[1])
            cross = terms[a].t.T @ block @ terms[b].t
            total = total + cross + cross.T
    return total
