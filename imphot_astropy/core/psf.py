"""The PSF as an object: what the fitters and figures need of a PSF model.

The Fourier model of the image fit (`~imphot_astropy.core.fourier_model`)
does not know which PSF it convolves with: it asks a PSF object for its
transform, and the derivatives of that transform by the PSF's own
parameters, at the radial nodes of a table (`~imphot_astropy.core.moffat.RadialTable`),
and interpolates them to the modelled frequencies. A PSF object says:

- ``param_names``: its parameters, in the order its methods take them;
- ``fourier_terms(problem, *params, derivatives=...)``: its transform at
  the problem's modelled frequencies (first), and with ``derivatives`` the
  derivatives by its parameters (next, in ``param_names`` order); a
  circular PSF gives ``radial_terms`` on the nodes of a radial table
  instead and inherits this from `RadialPSF`;
- ``image(x, y, *params)``: its unit-volume profile sampled at (x, y);
- ``astropy_model(*params)``: the same profile as an astropy model (for
  photutils' ``PSFPhotometry`` or a figure).

`CircularMoffat` is the default PSF of every fit; the survey's band PSF, a
mixture of circular Moffats over the band's wavelengths, is
`~imphot_astropy.survey.bands.MoffatMixture`. A new PSF model is one new
class with these methods. The Moffat arithmetic (FWHM and core width, the
Hankel transform) stays in `~imphot_astropy.core.moffat`.
"""

import numpy as np
from astropy.modeling import custom_model
from astropy.modeling.models import Moffat2D

from .moffat import (moffat_alpha, moffat_alpha_beta_derivative, moffat_amplitude,
                     moffat_fourier_transform, moffat_fourier_derivatives, MIN_BETA)

__all__ = ["RadialPSF", "CircularMoffat", "EllipticalMoffat", "stretched_frequency",
           "stretched_offsets", "shape_derivatives"]


class RadialPSF:
    """The Fourier terms of a circularly symmetric PSF, through a radial table.

    A subclass gives ``radial_nodes`` and ``radial_terms``; the transform
    and its derivatives are computed on the table's nodes only, then
    interpolated to the modelled frequencies, whose positions in the table
    are found once per problem.

    Examples
    --------
    >>> issubclass(CircularMoffat, RadialPSF)
    True
    >>> CircularMoffat().radial_terms(np.array([0.0]), 0.6, 2.5)[0].round(6).tolist()
    [1.0]
    """

    def fourier_terms(self, problem, *params, derivatives=False):
        """The transform (and derivatives) at the problem's modelled frequencies.

        Parameters
        ----------
        problem : `~imphot_astropy.core.fourier_model.FourierPlaneProblem`
            Its frequencies and radial tables.
        *params : float or tuple
            The PSF's parameters.
        derivatives : bool or str
            As for ``radial_terms``.

        Returns
        -------
        terms : tuple of `numpy.ndarray`
        """
        table = problem.radial_table(self.radial_nodes)
        return tuple(table.interpolate(t)
                     for t in self.radial_terms(table.nodes, *params, derivatives=derivatives))


class CircularMoffat(RadialPSF):
    """The circular Moffat PSF of unit volume: ``fwhm`` (arcsec) and ``beta``.

    Parameters
    ----------
    radial_nodes : int
        The nodes of the radial table on which a Fourier model evaluates
        the transform (see `~imphot_astropy.core.moffat.RadialTable`: with
        2048 nodes, interpolation errors below 1e-5 of the peak for FWHM
        >= 0.3" on a 0.2" grid).

    Examples
    --------
    >>> psf = CircularMoffat()
    >>> psf.param_names
    ('fwhm', 'beta')
    >>> terms = psf.radial_terms(np.array([0.0, 1.0]), 0.6, 2.5, derivatives=True)
    >>> terms.shape, round(float(terms[0, 1]), 4)
    ((3, 2), 0.1544)
    >>> y, x = np.mgrid[-40:41, -40:41] * 0.05
    >>> round(float(psf.image(x, y, 0.6, 2.5).sum() * 0.05**2), 2)
    0.99
    """

    param_names = ("fwhm", "beta")
    #: The smallest beta of a finite volume, with a margin (fits keep above it).
    min_beta = MIN_BETA

    def __init__(self, radial_nodes=2048):
        self.radial_nodes = int(radial_nodes)

    def radial_terms(self, nodes, fwhm, beta, derivatives=False):
        """The transform at radial frequencies, and optionally its derivatives.

        Parameters
        ----------
        nodes : `numpy.ndarray`
            Radial frequencies (cycles per arcsec).
        fwhm, beta : float
            The Moffat parameters.
        derivatives : bool or str
            Any true value: also the derivatives by fwhm and beta.

        Returns
        -------
        terms : `numpy.ndarray`
            Shape ``(1, n)`` (the transform) or ``(3, n)`` (transform,
            d/dfwhm, d/dbeta).
        """
        if not derivatives:
            return moffat_fourier_transform(nodes, fwhm, beta)[None, :]
        return np.stack(moffat_fourier_derivatives(nodes, fwhm, beta))

    def image(self, x, y, fwhm, beta, x_0=0.0, y_0=0.0):
        """The unit-volume profile sampled at (x, y) (the units of ``fwhm``)."""
        return self.astropy_model(fwhm, beta, x_0, y_0)(x, y)

    def astropy_model(self, fwhm, beta, x_0=0.0, y_0=0.0, flux=1.0):
        """The profile as an `astropy.modeling.models.Moffat2D` of volume ``flux``."""
        return Moffat2D(flux * moffat_amplitude(fwhm, beta), x_0, y_0,
                        moffat_alpha(fwhm, beta), beta)


class EllipticalMoffat:
    """An elliptical Moffat PSF of unit volume: ``fwhm``, ``beta``, ``e``, ``theta``.

    ``(1 + (x'**2 + y'**2 / (1 - e)**2) / alpha**2)**-beta``, with x' along
    the major axis, at ``theta`` degrees from +x toward +y (pixel axes);
    ``fwhm`` (arcsec) is the FWHM along the major axis (the minor axis's is
    ``fwhm * (1 - e)``, their geometric mean ``fwhm * sqrt(1 - e)``) and
    ``e = 1 - minor / major`` the ellipticity. Real MUSE PSFs are elongated
    by guiding errors and residuals of the atmospheric dispersion
    corrector; PampelMuse, the MUSE crowded-field tool, fits this profile.

    Its transform is the circular Moffat's at the stretched radial
    frequency ``q = sqrt(u**2 + (1 - e)**2 v**2)`` (u, v the frequencies
    along and across the major axis). As q changes with e and theta, the
    radial transform is computed on table nodes and interpolated at q on
    every trial; the derivatives by e and theta follow from the radial
    derivative ``dF/dq = (dF/dfwhm) fwhm / q``.

    Parameters
    ----------
    radial_nodes : int
        The nodes of the radial table.

    Examples
    --------
    >>> psf = EllipticalMoffat()
    >>> y, x = np.mgrid[-60:61, -60:61] * 0.05
    >>> image = psf.image(x, y, 0.7, 2.5, 0.2, 0.0)
    >>> round(float(image.sum() * 0.05**2), 2)         # unit volume (within 3")
    1.0
    >>> bool(image[60, 67] > image[67, 60])            # longer along x
    True
    """

    param_names = ("fwhm", "beta", "e", "theta")
    min_beta = MIN_BETA

    def __init__(self, radial_nodes=2048):
        self.radial_nodes = int(radial_nodes)
        self._circular = CircularMoffat(radial_nodes)

    def fourier_terms(self, problem, fwhm, beta, e, theta, derivatives=False):
        """The transform (and its derivatives by fwhm, beta, e, theta) at the
        problem's modelled frequencies (see `RadialPSF.fourier_terms`)."""
        nodes = problem.radial_table(self.radial_nodes).nodes
        q, along, across, minor = stretched_frequency(problem.fx, problem.fy, e, theta)
        table = self._circular.radial_terms(nodes, fwhm, beta, derivatives=derivatives)
        terms = [np.interp(q, nodes, row) for row in table]
        if not derivatives:
            return tuple(terms)
        with np.errstate(divide="ignore", invalid="ignore"):
            # dF/dq / q, from dF/dfwhm = dF/dq * q / fwhm; 0 at q = 0.
            radial = np.where(q > 0, terms[1] * fwhm / q**2, 0.0)
        return tuple(terms) + shape_derivatives(radial, along, across, minor)

    def image(self, x, y, fwhm, beta, e, theta, x_0=0.0, y_0=0.0):
        """The unit-volume profile sampled at (x, y) (the units of ``fwhm``)."""
        return self.astropy_model(fwhm, beta, e, theta, x_0, y_0)(x, y)

    def image_terms(self, x, y, fwhm, beta, e, theta, x_0=0.0, y_0=0.0, derivatives=False):
        """The unit-volume profile at (x, y), and optionally its derivatives.

        The profile of `image` without an astropy model per call, for fits
        that evaluate it many times at arbitrary positions (the pixel-table
        star fit), with analytic derivatives for their Jacobian: through
        ``s = (x'**2 + y'**2 / (1 - e)**2) / alpha**2`` and the peak
        ``(beta - 1) / (pi alpha**2 (1 - e))``, alpha from
        `~imphot_astropy.core.moffat.moffat_alpha` and its beta derivative
        from `~imphot_astropy.core.moffat.moffat_alpha_beta_derivative`.

        Parameters
        ----------
        x, y : array_like
            Positions (the units of ``fwhm``).
        fwhm, beta, e, theta, x_0, y_0 : float
            The profile's parameters (``theta`` in degrees from +x toward +y)
            and centre.
        derivatives : bool
            Also the derivatives.

        Returns
        -------
        terms : tuple of `numpy.ndarray`
            The profile, then with ``derivatives`` its derivatives by fwhm,
            beta, e, theta (per degree), x_0 and y_0.

        Examples
        --------
        >>> psf = EllipticalMoffat()
        >>> x, y = np.array([0.3, -0.1]), np.array([0.2, 0.4])
        >>> terms = psf.image_terms(x, y, 0.7, 2.5, 0.15, 30.0, 0.05, 0.0, derivatives=True)
        >>> bool(np.allclose(terms[0], psf.image(x, y, 0.7, 2.5, 0.15, 30.0, 0.05, 0.0)))
        True
        >>> h = 1e-5
        >>> step = (psf.image_terms(x, y, 0.7, 2.5, 0.15, 30.0 + h, 0.05)[0]
        ...         - psf.image_terms(x, y, 0.7, 2.5, 0.15, 30.0 - h, 0.05)[0]) / (2 * h)
        >>> bool(np.allclose(terms[4], step, rtol=1e-6))
        True
        """
        profile = _elliptical_profile(x, y, 1.0, x_0, y_0, fwhm, beta, e, theta)
        if not derivatives:
            return (profile.image,)
        return (profile.image,) + _elliptical_derivatives(profile, fwhm, beta, theta)

    def astropy_model(self, fwhm, beta, e, theta, x_0=0.0, y_0=0.0, flux=1.0):
        """The profile as an astropy model of volume ``flux``."""
        return _EllipticalMoffat2D(flux, x_0, y_0, fwhm, beta, e, theta)


def stretched_frequency(fx, fy, e, theta):
    """The radial frequency at which an elliptical PSF's transform is its circular one's.

    A profile stretched to ellipticity ``e`` (1 - minor/major) with its
    major axis at ``theta`` degrees from +x toward +y has, at frequencies
    (fx, fy), the transform of its circular profile at
    ``q = sqrt(u**2 + (1 - e)**2 v**2)``, u and v the frequencies along and
    across the major axis.

    Returns
    -------
    q, along, across : `numpy.ndarray`
        q, u and v.
    minor : float
        ``1 - e``.

    Examples
    --------
    >>> q, u, v, minor = stretched_frequency(np.array([0.0]), np.array([1.0]), 0.2, 0.0)
    >>> round(float(q[0]), 3), minor
    (0.8, 0.8)
    """
    angle = np.deg2rad(theta)
    cos, sin = np.cos(angle), np.sin(angle)
    along = fx * cos + fy * sin
    across = -fx * sin + fy * cos
    minor = 1.0 - e
    return np.hypot(along, minor * across), along, across, minor


def stretched_offsets(x, y, x_0, y_0, e, theta):
    """Offsets from (x_0, y_0) along and across the major axis of an elliptical profile.

    The major axis lies at ``theta`` degrees from +x toward +y; the profile
    is the circular one at the radius ``hypot(along, across / (1 - e))``.

    Returns
    -------
    along, across : `numpy.ndarray`
    minor : float
        ``1 - e``.

    Examples
    --------
    >>> along, across, minor = stretched_offsets(0.0, 1.0, 0.0, 0.0, 0.2, 90.0)
    >>> round(float(along), 12), round(float(across), 12), minor
    (1.0, 0.0, 0.8)
    """
    angle = np.deg2rad(theta)
    dx, dy = x - x_0, y - y_0
    along = dx * np.cos(angle) + dy * np.sin(angle)
    across = -dx * np.sin(angle) + dy * np.cos(angle)
    return along, across, 1.0 - e


def shape_derivatives(radial, along, across, minor):
    """The derivatives of a stretched transform by ``e`` and ``theta`` (per degree).

    Parameters
    ----------
    radial : `numpy.ndarray`
        ``(dF/dq) / q`` of the circular profile's transform F at the
        stretched frequency q (0 at q = 0).
    along, across, minor
        As returned by `stretched_frequency`.

    Returns
    -------
    d_e, d_theta : `numpy.ndarray`

    Examples
    --------
    >>> d_e, d_theta = shape_derivatives(np.ones(1), np.ones(1), np.ones(1), 0.8)
    >>> float(d_e[0]), round(float(d_theta[0]), 5)
    (-0.8, 0.00628)
    """
    d_e = radial * (-minor * across**2)
    d_theta = radial * along * across * (1.0 - minor**2) * (np.pi / 180.0)
    return d_e, d_theta


@custom_model
def _EllipticalMoffat2D(x, y, flux=1.0, x_0=0.0, y_0=0.0, fwhm=0.7, beta=2.5, e=0.0,
                        theta=0.0):
    """An elliptical Moffat of volume ``flux`` (see `EllipticalMoffat`)."""
    return _elliptical_profile(x, y, flux, x_0, y_0, fwhm, beta, e, theta).image


class _EllipticalProfile:
    """An elliptical Moffat's values and the intermediate terms of its derivatives."""

    def __init__(self, along, across, minor, alpha, peak, beta):
        self.along, self.across, self.minor, self.alpha = along, across, minor, alpha
        # 1 + s, s the squared stretched radius in units of alpha.
        self.base = 1.0 + (along**2 + (across / minor)**2) / alpha**2
        self.image = peak * self.base ** -beta


def _elliptical_profile(x, y, flux, x_0, y_0, fwhm, beta, e, theta):
    """The values of an elliptical Moffat of volume ``flux`` (`_EllipticalProfile`)."""
    along, across, minor = stretched_offsets(x, y, x_0, y_0, e, theta)
    alpha = moffat_alpha(fwhm, beta)
    peak = flux * moffat_amplitude(fwhm, beta) / minor
    return _EllipticalProfile(along, across, minor, alpha, peak, beta)


def _elliptical_derivatives(profile, fwhm, beta, theta):
    """d image / d (fwhm, beta, e, theta [per degree], x_0, y_0) (`EllipticalMoffat.image_terms`).

    The image is ``peak (1 + s)**-beta``: by the chain rule through ``s``
    (``d image / d s = -beta image / (1 + s)``) and the peak, which scales
    as ``alpha**-2 / (1 - e)``; alpha is proportional to fwhm.
    """
    image, base, minor, alpha = profile.image, profile.base, profile.minor, profile.alpha
    along, across = profile.along, profile.across
    s = base - 1.0
    per_s = -beta * image / base
    log_alpha_per_beta = moffat_alpha_beta_derivative(fwhm, beta) / alpha
    d_fwhm = -2.0 * (image + s * per_s) / fwhm
    d_beta = (image * (1.0 / (beta - 1.0) - 2.0 * log_alpha_per_beta - np.log(base))
              - 2.0 * s * log_alpha_per_beta * per_s)
    # d s / d along and d s / d across.
    s_along = 2.0 * along / alpha**2
    s_across = 2.0 * across / (minor * alpha) ** 2
    d_e = image / minor + per_s * s_across * across / minor
    # d along / d theta = across, d across / d theta = -along (radians).
    d_theta = per_s * (s_along * across - s_across * along) * (np.pi / 180.0)
    angle = np.deg2rad(theta)
    cos, sin = np.cos(angle), np.sin(angle)
    d_x_0 = per_s * (-cos * s_along + sin * s_across)
    d_y_0 = per_s * (-sin * s_along - cos * s_across)
    return d_fwhm, d_beta, d_e, d_theta, d_x_0, d_y_0
