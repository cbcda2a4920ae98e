"""The result of fitting an exposure cube in several bands."""

from dataclasses import dataclass

import numpy as np
import astropy.units as u
from astropy.table import vstack

from ..fitting.results import FittedPhotometry, FittedValue

__all__ = ["CubePhotometry", "JointBandPhotometry", "psf_polynomial_at"]


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
        `~imphot_astropy.fitting.FittedValue` of scale, bg, dx, dy, fwhm, beta,
        and for an elliptical Moffat its ``e`` and ``theta`` (degrees),
        which become attributes of the same names (``psf`` is then
        ``"elliptical"``, else ``"moffat"``).
    rms_error : float
    covariance : `numpy.ndarray`
        The 2x2 covariance of (dx, dy).
    quality : `~imphot_astropy.fitting.quality.FitQuality`, optional
        The band's quality flags (the joint fit's uncertain parameters), or
        None when it raised none.

    Examples
    --------
    >>> from imphot_astropy.io import read_image
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> from imphot_astropy.fitting import FittedValue
    >>> _, muse, _ = make_synthetic_pair(shape=(40, 40), seed=1)
    >>> v = {k: FittedValue(1.0, 0.1, False) for k in
    ...      ("scale", "bg", "dx", "dy", "fwhm", "beta")}
    >>> JointBandPhotometry(read_image(muse), "", v, 0.1, np.eye(2) * 0.01).method
    'joint'
    """

    def __init__(self, muse, fit_report, values, rms_error, covariance, quality=None):
        super().__init__("joint", muse, fit_report, values["scale"], values["bg"],
                         values["dx"], values["dy"], values["fwhm"], values["beta"],
                         rms_error, covariance, quality=quality,
                         shape={n: values[n] for n in ("e", "theta") if n in values} or None)


@dataclass(kw_only=True, repr=False, eq=False)
class CubePhotometry:
    """The photometry of an exposure cube in several HST bands.

    Made complete by `~imphot_astropy.survey.fit_cube_photometry`: every
    attribute is a keyword argument of the constructor, of the same name.

    Parameters
    ----------
    name, filename : str
        The cube's short name and file (None if from no file).
    date_obs : str or None
    mjd_obs : float or None
        DATE-OBS and MJD-OBS of the exposure.
    applied : `~imphot_astropy.survey.AppliedCorrection` or None
        The offsets and flux scale the MUSE pipeline already applied to the
        exposure (from an OFFSET_LIST), as its cube's primary header records
        them (``ESO DRS MUSE OFFSETi ...``, ``FLUX SCALEi``); None if it
        records none. The fitted offsets are measured from the cube as it
        is, so after that correction; `~imphot_astropy.survey.write_offset_list`
        adds the two.
    wcs : `~astropy.wcs.WCS`
    shape : tuple of int
        The celestial WCS and shape of the cube's band images.
    bands : dict
        Band -> `~imphot_astropy.fitting.FittedImagePhotometry`, the
        single-band fits.
    joint : dict
        Band -> `JointBandPhotometry`, the joint fit's values at the band.
    dx, dy, dra, ddec, dra_sky, ddec_sky : `~imphot_astropy.fitting.FittedValue`
        The exposure's pointing offset (arcsec), as for a single image (see
        `~imphot_astropy.fitting.sky_offsets`): ``dra`` and ``ddec`` are
        differences of RA and Dec coordinates, to subtract from CRVAL1 and
        CRVAL2; ``dra_sky = dra * cos(Dec)`` and ``ddec_sky = ddec`` are the
        same offset as angles on the sky.
    scale : `~imphot_astropy.fitting.FittedValue`
        The mean of the bands' joint flux scales (MUSE/HST), for
        `~imphot_astropy.corrections.apply_cube_corrections`.
    fsf : `~imphot_astropy.survey.FSFModel`
        The fitted PSF versus wavelength, as MPDAF's FSF model describes it
        (and the FSF keywords are written): for an elliptical Moffat, its
        circular equivalent (the FWHM times ``sqrt(1 - e)``, the geometric
        mean of the axes), as MPDAF's FSF has no elliptical form.
    psf : str
        ``"moffat"`` (circular) or ``"elliptical"``.
    ellipticity : str or None
        For an elliptical Moffat, ``"constant"`` (one ``e`` and ``theta``
        for every band) or ``"per-band"``; None for a circular one.
    e, theta : `~imphot_astropy.fitting.FittedValue` or None
        The elliptical Moffat's ellipticity (1 - minor/major) and position
        angle of its major axis (degrees from +x toward +y, modulo 180),
        shared by the bands; None if circular or per band (then each
        band's are those of ``joint[band]``).
    parameters : `lmfit.Parameters`
        All the joint fit's parameters, with uncertainties.
    covariance : `numpy.ndarray` or None
        The covariance of the varying parameters, in the order of
        ``covariance_names``: a sandwich covariance that allows for the
        residuals' correlation within and between the bands
        (`~imphot_astropy.survey.joint_covariance`), the source of every
        uncertainty here (dx, dy, dra, ddec, ``fwhm_at``, ``beta_at``, the
        scales).
    covariance_names : list of str
        The names of the varying parameters, in the order of ``covariance``.
    pivots, effective_wavelengths : dict
        Band -> the filter's pivot wavelength, and the wavelength of the
        band's image within the cube (PSF-mixture weighted), Angstrom.
    filter_curves : dict
        Band -> the name of the filter curve of its cube image.
    filter_stand_ins : dict
        Band -> a note such as ``"acs_wfc_f814w stands in for WFPC2
        F814W"``, for the bands whose HST camera's own curve was not
        installed (empty otherwise).
    psf_nodes : int
        PSF mixture nodes per band (1: each band at its effective wavelength).
    refits : int
        How many times the joint fit was restarted from its own result.
    degrees : dict
        The degrees of the FWHM and beta polynomials fitted
        (``{"fwhm": 1, "beta": 0}``).
    notes : list of str
        Notes on the fit (a default degree capped for too few bands), also
        in ``fit_report`` and in `to_table`'s metadata (``meta``).
    meta : dict
        ``FWHM_DEGREE``, ``BETA_DEGREE`` and ``NOTES``, for `to_table`'s
        metadata.
    fit_report : str
        The joint fit's report (`~imphot_astropy.survey.lmfit_report`),
        with what the pipeline had already applied.
    minimizer_result : `lmfit.minimizer.MinimizerResult` or None
        The joint fit's; None once sent to another process (it holds the
        residual function, a closure over the images).

    Examples
    --------
    See `~imphot_astropy.survey.fit_cube_photometry`.

    >>> CubePhotometry.__name__
    'CubePhotometry'
    """

    name: str
    filename: str | None
    date_obs: str | None
    mjd_obs: float | None
    applied: object
    wcs: object
    shape: tuple
    bands: dict
    joint: dict
    dx: FittedValue
    dy: FittedValue
    dra: FittedValue
    ddec: FittedValue
    dra_sky: FittedValue
    ddec_sky: FittedValue
    scale: FittedValue
    fsf: object
    psf: str
    ellipticity: str | None
    e: FittedValue | None
    theta: FittedValue | None
    parameters: object
    covariance: np.ndarray | None
    covariance_names: list
    pivots: dict
    effective_wavelengths: dict
    filter_curves: dict
    filter_stand_ins: dict
    psf_nodes: int
    refits: int
    degrees: dict
    notes: list
    meta: dict
    fit_report: str
    minimizer_result: object

    def __getstate__(self):
        # The minimizer's result holds the residual function (a closure over
        # the images): it is not sent between processes.
        state = dict(self.__dict__)
        state["minimizer_result"] = None
        return state

    def fwhm_at(self, lam):
        """The fitted FWHM (arcsec) and its 1-sigma error at wavelengths ``lam``.

        For an elliptical Moffat, the FWHM along the major axis.

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
        return psf_polynomial_at(lam, prefix, fsf=self.fsf, parameters=self.parameters,
                                 covariance=self.covariance,
                                 covariance_names=self.covariance_names, psf=self.psf)

    def to_table(self):
        """One row per band (single fit, method "image") and per band of the joint fit.

        Columns are those of `~imphot_astropy.fitting.photometry_table` plus
        ``date_obs``, ``mjd_obs``, ``filter``, ``pivot`` and ``wavelength``
        (the band's effective wavelength in the cube), Angstrom, and what
        the pipeline had already applied to the cube (see ``applied``):
        ``applied_dra`` and ``applied_ddec`` (arcsec, differences of
        coordinates; 0 if none) and ``applied_flux_scale`` (NaN if none).
        The fitted offsets (``dra``, ``ddec``) are measured after that
        correction: the total from the original pointing is their sum.
        The meta holds ``filter_curves`` (band -> curve name) and, when a
        curve of another camera stood in for an HST image's own,
        ``filter_stand_ins`` (band -> what stood in for what); and the
        polynomial degrees fitted (``FWHM_DEGREE``, ``BETA_DEGREE``) with
        the ``NOTES`` on them. With an elliptical Moffat, ``e``, ``e_err``,
        ``theta`` and ``theta_err`` (degrees) of each fit, and the meta's
        ``psf`` and ``ellipticity``.

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
            applied = self.applied
            for name, value, unit in (
                    ("applied_dra", 0.0 if applied is None else applied.dra, u.arcsec),
                    ("applied_ddec", 0.0 if applied is None else applied.ddec, u.arcsec),
                    ("applied_flux_scale", np.nan if applied is None or
                     applied.flux_scale is None else applied.flux_scale, None)):
                table[name] = np.full(len(table), value, dtype=np.float64)
                table[name].unit = unit
            table["name"] = [self.name] * len(table)
            if self.psf == "elliptical":
                _shape_columns(table, list(results.values()))
            tables.append(table)
        table = vstack(tables, metadata_conflicts="silent")
        table.meta["filter_curves"] = dict(self.filter_curves)
        stand_ins = dict(self.filter_stand_ins)
        if stand_ins:
            table.meta["filter_stand_ins"] = stand_ins
        # The polynomial degrees fitted, and any note on them (capped defaults).
        table.meta.update(self.meta)
        if self.psf == "elliptical":
            table.meta["psf"] = "elliptical"
            table.meta["ellipticity"] = self.ellipticity
        return table


def _shape_columns(table, results):
    """The elliptical Moffat's ``e``, ``theta`` and their errors, per row."""
    for name, unit in (("e", None), ("theta", u.deg)):
        fitted = [getattr(r, name) for r in results]
        for column, values in ((name, [f.value for f in fitted]),
                               (f"{name}_err", [np.nan if f.stdev is None else f.stdev
                                                for f in fitted])):
            table[column] = np.asarray(values, dtype=np.float64)
            table[column].unit = unit


def psf_polynomial_at(lam, prefix, *, fsf, parameters, covariance, covariance_names, psf):
    """A joint fit's FWHM or beta polynomial and its 1-sigma error at ``lam``.

    What `CubePhotometry.fwhm_at` and `CubePhotometry.beta_at` return,
    from the fit's values alone, so that the joint fit's values at each
    band are known before its `CubePhotometry` is made.

    Parameters
    ----------
    lam : float or array-like
        Wavelengths (Angstrom).
    prefix : {"fwhm", "beta"}
        Which polynomial (coefficients ``<prefix>_c0``, ``<prefix>_c1``, ...).
    fsf : `~imphot_astropy.survey.FSFModel`
        The fit's FSF: its coefficients and wavelength range.
    parameters : `lmfit.Parameters`
        The joint fit's parameters (the coefficients of an elliptical
        Moffat's own polynomial, whose ``fsf`` is the circular equivalent).
    covariance : `numpy.ndarray` or None
    covariance_names : list of str
        The covariance of the varying parameters and their names, in order.
    psf : {"moffat", "elliptical"}

    Returns
    -------
    values, errors : float or `numpy.ndarray`
        Floats for a scalar ``lam``.

    Examples
    --------
    >>> import lmfit
    >>> from imphot_astropy.survey import FSFModel
    >>> fsf = FSFModel([0.7, -0.1], [2.5], (4750.0, 9350.0))
    >>> params = lmfit.Parameters()
    >>> params.add("fwhm_c0", 0.7)
    >>> params.add("fwhm_c1", -0.1)
    >>> value, error = psf_polynomial_at(7050.0, "fwhm", fsf=fsf, parameters=params,
    ...                                  covariance=np.diag([1e-4, 4e-4]),
    ...                                  covariance_names=["fwhm_c0", "fwhm_c1"],
    ...                                  psf="moffat")
    >>> round(value, 3), round(error, 3)
    (0.7, 0.01)
    """
    from .fsf import normalised_wavelength

    coeffs = fsf.fwhm_coeffs if prefix == "fwhm" else fsf.beta_coeffs
    names = [f"{prefix}_c{j}" for j in range(len(coeffs))]
    if psf == "elliptical":
        # The fit's own polynomial (the fsf is the circular equivalent).
        coeffs = np.array([parameters[n].value for n in names])
    x = np.atleast_1d(normalised_wavelength(lam, fsf.lbrange))
    powers = x[:, None] ** np.arange(len(coeffs))
    values = powers @ coeffs
    cov = _sub_covariance(covariance, covariance_names, names)
    errors = np.sqrt(np.einsum("ij,jk,ik->i", powers, cov, powers))
    if np.ndim(lam) == 0:
        return float(values[0]), float(errors[0])
    return values, errors


def _sub_covariance(covariance, covariance_names, names):
    """The covariance of the parameters ``names`` (0 for those not varied)."""
    cov = np.zeros((len(names), len(names)))
    index = {n: i for i, n in enumerate(covariance_names)}
    for a, na in enumerate(names):
        for b, nb in enumerate(names):
            if na in index and nb in index and covariance is not None:
                cov[a, b] = covariance[index[na], index[nb]]
    return cov
