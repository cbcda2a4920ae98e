"""The result of fitting an exposure cube in several bands."""

import numpy as np
from astropy.table import vstack

from ..fitting.results import FittedValue, FittedPhotometry, _sky_offsets

__all__ = ["CubePhotometry", "JointBandPhotometry"]


class JointBandPhotometry(FittedPhotometry):
    """The joint fit's values at one band (method ``"joint"``).

    ``dx``, ``dy`` (hence ``dra``, ``ddec``) are the exposure's; ``scale``
    and ``bg`` the band's; ``fwhm`` and ``beta`` the joint polynomials at
    the band's effective wavelength.

    Parameters
    ----------
    muse : `~imphot_astropy.io.ImageData`
        The band image.
    fit_report : str
    values : dict
        `~imphot_astropy.fitting.FittedValue` of scale, bg, dx, dy, fwhm, beta.
    rms_error : float
    covariance : `numpy.ndarray`
        The 2x2 covariance of (dx, dy).

    Examples
    --------
    >>> from imphot_astropy.io import read_image
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> _, muse, _ = make_synthetic_pair(shape=(40, 40), seed=1)
    >>> v = {k: FittedValue(1.0, 0.1, False) for k in
    ...      ("scale", "bg", "dx", "dy", "fwhm", "beta")}
    >>> JointBandPhotometry(read_image(muse), "", v, 0.1, np.eye(2) * 0.01).method
    'joint'
    """

    def __init__(self, muse, fit_report, values, rms_error, covariance):
        super().__init__("joint", muse, fit_report, values["scale"], values["bg"],
                         values["dx"], values["dy"], values["fwhm"], values["beta"],
                         rms_error, covariance)


class CubePhotometry:
    """The photometry of an exposure cube in several HST bands.

    Attributes
    ----------
    name, filename : str
        The cube's short name and file (None if from no file).
    date_obs : str or None
    mjd_obs : float or None
        DATE-OBS and MJD-OBS of the exposure.
    bands : dict
        Band -> `~imphot_astropy.fitting.FittedImagePhotometry`, the
        single-band fits.
    joint : dict
        Band -> `JointBandPhotometry`, the joint fit's values at the band.
    dx, dy, dra, ddec : `~imphot_astropy.fitting.FittedValue`
        The exposure's pointing offset (arcsec), as for a single image.
    scale : `~imphot_astropy.fitting.FittedValue`
        The mean of the bands' joint flux scales (MUSE/HST), for
        `~imphot_astropy.corrections.apply_cube_corrections`.
    fsf : `~imphot_astropy.survey.FSFModel`
        The fitted PSF versus wavelength.
    parameters : `lmfit.Parameters`
        All the joint fit's parameters, with uncertainties.
    covariance : `numpy.ndarray`
        The covariance of the varying parameters, in the order of
        ``covariance_names``: a sandwich covariance that allows for the
        residuals' correlation within and between the bands
        (`~imphot_astropy.survey.joint_covariance`), the source of every
        uncertainty here (dx, dy, dra, ddec, ``fwhm_at``, ``beta_at``, the
        scales).
    pivots, effective_wavelengths : dict
        Band -> the filter's pivot wavelength, and the wavelength of the
        band's image within the cube (PSF-mixture weighted), Angstrom.
    psf_nodes : int
        PSF mixture nodes per band (1: each band at its effective wavelength).
    degrees : dict
        The degrees of the FWHM and beta polynomials fitted
        (``{"fwhm": 1, "beta": 0}``).
    notes : list of str
        Notes on the fit (a default degree capped for too few bands), also
        in ``fit_report`` and in `to_table`'s metadata (``meta``).
    minimizer_result : `lmfit.minimizer.MinimizerResult`

    Examples
    --------
    See `~imphot_astropy.survey.fit_cube_photometry`.

    >>> CubePhotometry.__name__
    'CubePhotometry'
    """

    def __init__(self, **attributes):
        self.__dict__.update(attributes)

    def __getstate__(self):
        # The minimizer's result holds the residual function (a closure over
        # the images): it is not sent between processes.
        state = dict(self.__dict__)
        state["minimizer_result"] = None
        return state

    def fwhm_at(self, lam):
        """The fitted FWHM (arcsec) and its 1-sigma error at wavelengths ``lam``.

        Examples
        --------
        See `~imphot_astropy.survey.fit_cube_photometry`.

        >>> callable(CubePhotometry.fwhm_at)
        True
        """
        return self._poly_at(lam, "fwhm")

    def beta_at(self, lam):
        """The fitted beta and its 1-sigma error at wavelengths ``lam``.

        Examples
        --------
        >>> callable(CubePhotometry.beta_at)
        True
        """
        return self._poly_at(lam, "beta")

    def _poly_at(self, lam, prefix):
        from .fsf import normalised_wavelength

        coeffs = self.fsf.fwhm_coeffs if prefix == "fwhm" else self.fsf.beta_coeffs
        l = np.atleast_1d(normalised_wavelength(lam, self.fsf.lbrange))
        powers = l[:, None] ** np.arange(len(coeffs))
        values = powers @ coeffs
        names = [f"{prefix}_c{j}" for j in range(len(coeffs))]
        cov = self._sub_covariance(names)
        errors = np.sqrt(np.einsum("ij,jk,ik->i", powers, cov, powers))
        if np.ndim(lam) == 0:
            return float(values[0]), float(errors[0])
        return values, errors

    def _sub_covariance(self, names):
        cov = np.zeros((len(names), len(names)))
        index = {n: i for i, n in enumerate(self.covariance_names)}
        for a, na in enumerate(names):
            for b, nb in enumerate(names):
                if na in index and nb in index and self.covariance is not None:
                    cov[a, b] = self.covariance[index[na], index[nb]]
        return cov

    def to_table(self):
        """One row per band (single fit, method "image") and per band of the joint fit.

        Columns are those of `~imphot_astropy.fitting.photometry_table` plus
        ``date_obs``, ``mjd_obs``, ``filter``, ``pivot`` and ``wavelength``
        (the band's effective wavelength in the cube), Angstrom. Its
        metadata hold the polynomial degrees fitted (``FWHM_DEGREE``,
        ``BETA_DEGREE``) and the ``NOTES`` on them.

        Examples
        --------
        >>> callable(CubePhotometry.to_table)
        True
        """
        from ..fitting import photometry_table

        tables = []
        for results in (self.bands, self.joint):
            table = photometry_table(list(results.values()))
            table["method"] = table["method"].astype("U8")
            table["date_obs"] = [self.date_obs or ""] * len(table)
            table["mjd_obs"] = [np.nan if self.mjd_obs is None else self.mjd_obs] * len(table)
            table["filter"] = list(results)
            table["pivot"] = [self.pivots.get(b, np.nan) for b in results]
            table["wavelength"] = [self.effective_wavelengths[b] for b in results]
            table["name"] = [self.name] * len(table)
            tables.append(table)
        out = vstack(tables, metadata_conflicts="silent")
        # The polynomial degrees fitted, and any note on them (capped defaults).
        out.meta.update(getattr(self, "meta", {}))
        return out


def sky_offsets(image, dx, dy, covariance, fixed):
    """(dra, ddec) FittedValues of offsets (dx, dy) on an image's WCS."""
    matrix = _sky_offsets(image.wcs, image.shape, dx, dy, image.pixel_scales)
    dra, ddec = matrix @ np.array([dx, dy])
    sky_cov = matrix @ covariance @ matrix.T
    return (FittedValue(dra, float(np.sqrt(sky_cov[0, 0])), fixed),
            FittedValue(ddec, float(np.sqrt(sky_cov[1, 1])), fixed))
