"""The PSF as an object: what the fitters and figures need of a PSF model.

The Fourier model of the image fit (`~imphot_astropy.core.fourier_model`)
does not know which PSF it convolves with: it asks a PSF object for its
transform, and the derivatives of that transform by the PSF's own
parameters, at the radial nodes of a table (`~imphot_astropy.core.moffat.RadialTable`),
and interpolates them to the modelled frequencies. A PSF object says:

- ``param_names``: its parameters, in the order its methods take them;
- ``radial_terms(nodes, *params, derivatives=...)``: its radial transform
  at ``nodes`` (first row), and with ``derivatives`` the derivatives by
  its parameters (the next rows, in ``param_names`` order);
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
from astropy.modeling.models import Moffat2D

from .moffat import (moffat_alpha, moffat_amplitude, moffat_fourier_transform,
                     moffat_fourier_derivatives, MIN_BETA)

__all__ = ["CircularMoffat"]


class CircularMoffat:
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
