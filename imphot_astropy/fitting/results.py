"""Fitted values and the photometry results of the fitters."""

import numpy as np
import astropy.units as u

from .quality import quality_columns, flag_outliers
from astropy.table import Table

from .provenance import table_meta

__all__ = ["FittedValue", "FittedPhotometry", "FittedImagePhotometry",
           "photometry_table", "print_quality_flags", "sky_offsets",
           "ANGULAR_PARAMETERS"]

# The parameters every method reports, in the column order of summary().
_COMMON_PARAMETERS = ("scale", "fwhm", "beta", "bg", "dx", "dy", "dra", "ddec",
                      "dra_sky", "ddec_sky")
#: The fitted parameters that are angles (arcsec in tables and summaries).
ANGULAR_PARAMETERS = {"fwhm", "dx", "dy", "dra", "ddec", "dra_sky", "ddec_sky"}
# The elliptical Moffat's shape (``psf="elliptical"``), and the units of
# their columns. A result of the circular Moffat has neither attribute nor
# column: its tables keep the reference's columns exactly, and in a table
# mixing both PSF models these columns are masked (not NaN) for circular
# fits, which tells "not fitted" from "fit failed".
_PSF_SHAPE_UNITS = {"e": u.dimensionless_unscaled, "theta": u.deg}


class FittedValue:
    """A fitted parameter: its value, 1-sigma uncertainty and fixed flag.

    Parameters
    ----------
    value : float or `lmfit.Parameter`
        The best-fit value; or an lmfit Parameter, from which the value,
        ``stderr`` and ``vary`` are taken (as the reference tool's
        ``param=`` argument).
    stdev : float or None
        The estimated 1-sigma uncertainty (None if it could not be
        estimated; 0 for a fixed parameter).
    fixed : bool
        True if the parameter was held fixed during the fit.
    param : `lmfit.Parameter`, optional
        The reference tool's way of passing an lmfit Parameter.
    unit : `~astropy.units.UnitBase`, optional
        The unit of ``value`` and ``stdev`` (the fitters set it).

    Attributes
    ----------
    quantity : `~astropy.units.Quantity`
        ``value`` in ``unit`` (dimensionless if no unit is known).
    stdev_quantity : `~astropy.units.Quantity` or None
        ``stdev`` in the same unit.

    Examples
    --------
    >>> v = FittedValue(0.61, 0.002, False)
    >>> print(v)
    0.61 +/- 0.002
    >>> import astropy.units as u
    >>> FittedValue(0.61, 0.002, False, unit=u.arcsec).quantity.to(u.mas)
    <Quantity 610. mas>
    >>> from lmfit import Parameter
    >>> p = Parameter("fwhm", value=0.61, vary=False)
    >>> FittedValue(param=p)
    FittedValue(value=0.61, stdev=0.0, fixed=True)
    """

    def __init__(self, value=None, stdev=None, fixed=None, param=None, unit=None):
        if param is None and _is_lmfit_parameter(value):
            param, value = value, None
        if param is not None:
            value, stdev, fixed = _from_lmfit(param)
        self.value = None if value is None else float(value)
        self.stdev = None if stdev is None else float(stdev)
        self.fixed = None if fixed is None else bool(fixed)
        self.unit = None if unit is None else u.Unit(unit)

    @property
    def quantity(self):
        """The value as a `~astropy.units.Quantity` in ``unit``."""
        return u.Quantity(np.nan if self.value is None else self.value,
                          self.unit or u.dimensionless_unscaled)

    @property
    def stdev_quantity(self):
        """The uncertainty as a `~astropy.units.Quantity`, or None."""
        if self.stdev is None:
            return None
        return u.Quantity(self.stdev, self.unit or u.dimensionless_unscaled)

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return f"FittedValue(value={self.value!r}, stdev={self.stdev!r}, fixed={self.fixed!r})"

    def __str__(self):
        if self.fixed:
            return f"{self.value:.6g} (fixed)"
        if self.stdev is None:
            return f"{self.value:.6g}"
        return f"{self.value:.6g} +/- {self.stdev:.2g}"

    def __eq__(self, other):
        if not isinstance(other, FittedValue):
            return NotImplemented
        return (self.value, self.stdev, self.fixed) == (other.value, other.stdev, other.fixed)

    def __reduce__(self):
        return (self.__class__, (self.value, self.stdev, self.fixed, None, self.unit))


def _is_lmfit_parameter(value):
    # Checked by name, so that lmfit is imported only by those who use it.
    return type(value).__name__ == "Parameter" and hasattr(value, "vary")


def _from_lmfit(param):
    """(value, stdev, fixed) of an lmfit Parameter (stdev 0 if fixed).

    A parameter tied to others by an expression is not fixed: its stderr,
    propagated by lmfit, is kept.
    """
    fixed = not param.vary and param.expr is None
    stdev = 0.0 if fixed else param.stderr
    return param.value, stdev, fixed


def _offsets_from_centre(wcs, shape, pixel_scales, shifts):
    """Coordinate and on-sky offsets of shifts (arcsec along the pixel axes).

    ``shifts`` is a (2, n) array of (dx, dy). Returns a (3, n) array, in
    arcsec: the difference of RA coordinates, of Dec coordinates, and the
    on-sky longitude offset (``SkyCoord.spherical_offsets_to``), of the
    image centre moved by each shift, relative to the centre.
    """
    ny, nx = shape
    cx, cy = (nx - 1) / 2.0, (ny - 1) / 2.0
    shifts = np.asarray(shifts, dtype=float)
    x = np.concatenate([[cx], cx + shifts[0] / pixel_scales[0]])
    y = np.concatenate([[cy], cy + shifts[1] / pixel_scales[1]])
    ra, dec = (np.deg2rad(np.asarray(v, dtype=float)) for v in wcs.pixel_to_world_values(x, y))
    # The RA difference wrapped into [-pi, pi), for fields astride RA 0.
    dra = np.mod(ra[1:] - ra[0] + np.pi, 2 * np.pi) - np.pi
    dec0, dec = dec[0], dec[1:]
    # The longitude in the frame rotated to put the centre at (0, 0), as
    # SkyCoord.spherical_offsets_to gives it, written out because SkyCoord
    # frames took ~0.1 s per fit.
    dlon = np.arctan2(np.cos(dec) * np.sin(dra),
                      np.sin(dec0) * np.sin(dec) + np.cos(dec0) * np.cos(dec) * np.cos(dra))
    return np.rad2deg(np.array([dra, dec - dec0, dlon])) * 3600.0


def sky_offsets(image, dx, dy, covariance=None, fixed=False):
    """The RA/Dec pointing offsets of a shift (dx, dy) along an image's pixel axes.

    ``dra`` and ``ddec`` keep the reference tool's meaning: differences of
    RA and Dec coordinates (arcsec of coordinate), to be SUBTRACTED from
    CRVAL1 and CRVAL2 (``CRVAL1 -= dra / 3600``, ``CRVAL2 -= ddec / 3600``)
    to correct the image's WCS, and what the MUSE pipeline's OFFSET_LIST
    holds (``RA_OFFSET = dra / 3600``, "without cos(DEC)"). ``dra_sky`` is
    the same offset as an angle on the sky, ``dra * cos(Dec)`` (exactly: the
    longitude offset of `astropy.coordinates.SkyCoord.spherical_offsets_to`
    from the image centre); ``ddec_sky`` is ``ddec`` (their difference, of
    second order in the offset, is below 1e-6" for offsets of a few arcsec).

    Parameters
    ----------
    image : `~imphot_astropy.io.ImageData`
        Or any object with ``wcs`` (celestial), ``shape`` and
        ``pixel_scales`` (arcsec); the offsets are evaluated at its centre.
    dx, dy : float
        The shift (arcsec along the pixel axes): how far HST features had to
        move to line up with the image's.
    covariance : `numpy.ndarray`, optional
        The 2x2 covariance of (dx, dy), propagated linearly; without it the
        offsets have no uncertainty (``stdev`` None).
    fixed : bool
        Whether dx and dy were both held fixed.

    Returns
    -------
    offsets : dict
        ``dra``, ``ddec``, ``dra_sky``, ``ddec_sky``: `FittedValue` in arcsec.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.datasets import muse_wcs
    >>> grid = SimpleNamespace(wcs=muse_wcs((50, 50), dec=-60.0), shape=(50, 50),
    ...                        pixel_scales=(0.2, 0.2))
    >>> offsets = sky_offsets(grid, -0.1, 0.05)
    >>> round(offsets["dra"].value, 4), round(offsets["dra_sky"].value, 4)
    (0.2, 0.1)
    >>> offsets["ddec"] is offsets["ddec_sky"], round(offsets["ddec"].value, 4)
    (True, 0.05)
    """
    # The offsets of the shift itself, then of one arcsec along each pixel
    # axis: their Jacobian, by which the covariance is propagated.
    values = _offsets_from_centre(image.wcs, image.shape, image.pixel_scales,
                                  [[dx, 1.0, 0.0], [dy, 0.0, 1.0]])
    stdevs = [None] * 3
    if covariance is not None:
        jacobian = values[:, 1:]
        stdevs = np.sqrt(np.diag(jacobian @ np.asarray(covariance, dtype=float)
                                 @ jacobian.T))
    dra, ddec, dra_sky = (FittedValue(float(v), None if s is None else float(s), bool(fixed),
                                      unit=u.arcsec)
                          for v, s in zip(values[:, 0], stdevs))
    return {"dra": dra, "ddec": ddec, "dra_sky": dra_sky, "ddec_sky": ddec}


class FittedPhotometry:
    """The photometric parameters of a MUSE image fitted by some method.

    The superclass of `FittedImagePhotometry` and, for the star method,
    ``FittedStarPhotometry``.

    Parameters
    ----------
    method : str
        A short word for the method ("image" or "star").
    muse : `~imphot_astropy.io.ImageData`
        The MUSE image that was fitted (its name, WCS and shape are used).
    fit_report : str
        A printable report of the least-squares fit(s).
    scale, bg, dx, dy, fwhm, beta : `FittedValue`
        The flux scale (MUSE/HST), offset (MUSE-HST), pointing offsets
        (arcsec, MUSE-HST along the pixel axes) and Moffat FWHM (arcsec) and
        beta of the MUSE PSF.
    rms_error : float
        The RMS of the residual pixels, in MUSE units.
    covariance : `numpy.ndarray`, optional
        The 2x2 covariance of (dx, dy), used to propagate uncertainties to
        (dra, ddec, dra_sky, ddec_sky); if omitted the two are taken as
        independent.
    quality : `~imphot_astropy.fitting.quality.FitQuality`, optional
        The flags, goodness of fit and pixels used.
    at_bound : tuple of str
        The free parameters that ended at a bound of their range (empty for
        a fit that stayed inside): see `~imphot_astropy.fitting.checks`.
    shape : dict, optional
        The elliptical Moffat's ``e`` and ``theta`` (`FittedValue`), for a
        fit with ``psf="elliptical"``; None for the circular Moffat.
    provenance : `~imphot_astropy.fitting.provenance.FitProvenance`, optional
        What was fitted, with which options; it also gives the fitted
        values their units.

    Attributes
    ----------
    quality, at_bound
        As given (None and ``()`` if not).
    psf : str
        ``"moffat"`` or ``"elliptical"`` (then ``e`` and ``theta`` are
        attributes too).
    pixel_scales, hst_filename, hst_unit, hst_filter, options
        From ``provenance`` (absent without it).
    name : str
        The MUSE file's base name without ``.fits`` ("muse" if from no file).
    dra, ddec : `FittedValue`
        The pointing error as differences of RA and Dec coordinates (arcsec
        of coordinate, as the reference tool gives them): how far HST
        features had to move towards increasing RA (Dec) to line up with
        MUSE, at the image centre. Correct the MUSE WCS by subtracting them
        from CRVAL1 and CRVAL2 (``CRVAL1 -= dra / 3600``,
        ``CRVAL2 -= ddec / 3600``); or add ``dx``/``dy`` divided by the
        pixel size to CRPIX1/CRPIX2. ``dra / 3600`` is the MUSE pipeline's
        ``RA_OFFSET`` (a difference of RA "without cos(DEC)").
    dra_sky, ddec_sky : `FittedValue`
        The same offsets as angles on the sky (arcsec): ``dra_sky = dra *
        cos(Dec)`` (the longitude of `~astropy.coordinates.SkyCoord.spherical_offsets_to`
        from the image centre) and ``ddec_sky = ddec``. Their quadratic sum
        is the length of the shift (dx, dy).
    unit : `~astropy.units.UnitBase`
        The flux unit of the MUSE image (``bg`` and ``rms_error`` are in it).

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    >>> fit = measure_image_photometry(hst, muse, fix_beta=2.5)
    >>> isinstance(fit, FittedPhotometry), fit.method
    (True, 'image')
    >>> print(fit.summary(header=False))  # doctest: +ELLIPSIS
    muse      image  1.19...
    """


    # Class-level defaults, for results made without the constructor (a
    # subclass's __new__, or a pickle of an older version).
    quality = None
    at_bound = ()

    @property
    def goodness(self):
        """The goodness of fit: about 1 for a fit limited by noise, given the
        filtering of the compared images (NaN if unknown)."""
        return np.nan if self.quality is None else self.quality.goodness

    @property
    def flags(self):
        """The names of the quality flags raised (see `quality`)."""
        return [] if self.quality is None else self.quality.names()

    def __init__(self, method, muse, fit_report, scale, bg, dx, dy, fwhm, beta,
                 rms_error, covariance=None, *, quality=None, at_bound=(), shape=None,
                 provenance=None):
        self.method = method
        self.name = muse.name
        self.filename = muse.filename
        self.unit = muse.unit
        self.fit_report = fit_report
        self.scale = scale
        self.bg = bg
        self.dx = dx
        self.dy = dy
        self.fwhm = fwhm
        self.beta = beta
        self.rms_error = float(rms_error)
        self._radec_offsets(muse, covariance)
        self.quality = quality
        self.at_bound = tuple(at_bound)
        # The PSF model, and the elliptical Moffat's shape (the reference's
        # attributes are those of the circular one).
        self.psf = "moffat" if not shape else "elliptical"
        for name, value in (shape or {}).items():
            setattr(self, name, value)
        if provenance is not None:
            self._record(provenance)

    def _record(self, provenance):
        """Record the inputs, and give each fitted value its unit."""
        for name, value in provenance.attributes().items():
            setattr(self, name, value)
        for name, unit in provenance.value_units().items():
            fitted = getattr(self, name, None)
            if isinstance(fitted, FittedValue):
                fitted.unit = unit

    def _radec_offsets(self, muse, covariance):
        have_errors = self.dx.stdev is not None or self.dy.stdev is not None
        if covariance is None and have_errors:
            covariance = np.diag([(self.dx.stdev or 0.0) ** 2, (self.dy.stdev or 0.0) ** 2])
        offsets = sky_offsets(muse, self.dx.value, self.dy.value,
                              covariance if have_errors else None,
                              bool(self.dx.fixed and self.dy.fixed))
        for name, value in offsets.items():
            setattr(self, name, value)

    def __str__(self):
        return (f"Report of HST {self.method} photometry fit of MUSE observation "
                f"{self.name}\n{self.fit_report}")

    def summary(self, header=True):
        """A one-line summary, optionally under a 3-line column heading.

        The layout is that of the reference tool, so that existing scripts
        that parse it keep working: its ``ra-offset`` is ``dra``, a
        difference of RA coordinates. After the reference tool's columns
        come the goodness of fit and ``dra_sky``, the RA offset as an angle
        on the sky (``dra * cos(Dec)``; the on-sky Dec offset is the
        ``dec-offset`` column).

        Parameters
        ----------
        header : bool
            Include the 3 heading lines (default True).

        Returns
        -------
        text : str
        """
        width = max(len(self.name), 8)
        text = ""
        if header:
            text = ("#%-*s Method  Flux    FWHM    beta     Flux    x-offset  y-offset  "
                    "ra-offset dec-offset  RMS     GoF    ra-offset\n" % (width - 1, " MUSE ID"))
            text += ("#%*s         scale  arcsec           offset    arcsec    arcsec    "
                     "arcsec    arcsec    error   fit    on sky\n" % (width - 1, ""))
            text += ("#%s ------ ------- ------- ------- --------- --------- --------- "
                     "--------- --------- ------- ------- ---------\n" % ("-" * (width - 1)))
        text += "%-*s %6s % 7.4f % 7.4f % 7.4f % 9.5f % 9.5f % 9.5f % 9.5f % 9.5f %7.4f" % (
            width, self.name, self.method, self.scale.value, self.fwhm.value,
            self.beta.value, self.bg.value, self.dx.value, self.dy.value,
            self.dra.value, self.ddec.value, self.rms_error)
        # The goodness of fit, after the reference tool's columns (issue 16),
        # then the on-sky RA offset (issue 23).
        text += " %7.3f % 9.5f" % (self.goodness, self.dra_sky.value)
        if self.psf_shape():
            # The elliptical PSF's shape, after all the other columns.
            text = text.replace("GoF    ra-offset\n", "GoF    ra-offset  e      theta\n")
            text = text.replace("fit    on sky\n", "fit    on sky            deg\n")
            text = text.replace("------- ---------\n", "------- --------- ------ ------\n")
            text += " %6.4f %6.2f" % (self.e.value, self.theta.value)
        return text

    def psf_shape(self):
        """The elliptical PSF's ``e`` and ``theta`` (`FittedValue`), by name.

        Empty for the circular Moffat (the default).

        Examples
        --------
        >>> from imphot_astropy.fitting.results import FittedValue
        >>> fit = FittedPhotometry.__new__(FittedPhotometry)
        >>> fit.psf_shape()
        {}
        >>> fit.psf, fit.e, fit.theta = "elliptical", FittedValue(0.1), FittedValue(30.0)
        >>> sorted(fit.psf_shape())
        ['e', 'theta']
        """
        if getattr(self, "psf", "moffat") != "elliptical":
            return {}
        return {name: getattr(self, name) for name in _PSF_SHAPE_UNITS}

    def psf_model(self, integrated=True, bbox_factor=10.0):
        """The fitted MUSE PSF as a photutils PSF model, in MUSE pixel units.

        Parameters
        ----------
        integrated : bool
            True (default): the Moffat integrated over each MUSE pixel
            (`~imphot_astropy.fitting.psf.MusePixelMoffatPSF`), which is
            what the MUSE pixels record and what the fit measured. False:
            photutils' point-sampled `~photutils.psf.MoffatPSF` with the
            same FWHM and beta, which is more peaked than the stars on the
            image and underestimates their fluxes (see
            `~imphot_astropy.fitting.psf`). After an elliptical PSF fit
            (``psf="elliptical"``), the fitted elliptical Moffat as a
            `~imphot_astropy.fitting.psf.MusePixelEllipticalMoffatPSF`,
            pixel-integrated or point sampled.
        bbox_factor : float
            The size of the model's bounding box, in FWHM.

        Returns
        -------
        model : `astropy.modeling.Fittable2DModel`
            Parameters ``flux``, ``x_0``, ``y_0`` free and the shape fixed,
            ready for `photutils.psf.PSFPhotometry`.

        Examples
        --------
        >>> from imphot_astropy.fitting import measure_star_photometry
        >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
        >>> hst, muse, truth = make_synthetic_pair(
        ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
        >>> fit = measure_star_photometry(hst, muse, (*truth["star_radec"][0], 2.0))
        >>> round(float(fit.psf_model().fwhm.value), 2)     # 0.65" in 0.2" pixels
        3.25
        """
        from .psf import psf_model    # photutils is imported only when asked for

        pixel_scales = getattr(self, "pixel_scales", None)
        if pixel_scales is None:
            raise ValueError("psf_model: this result does not record the MUSE pixel size "
                             "(it was not made by the fitters of this package)")
        shape = {name: fitted.value for name, fitted in self.psf_shape().items()}
        return psf_model(self.fwhm.value, self.beta.value, pixel_scales,
                         integrated=integrated, bbox_factor=bbox_factor, **shape)

    def _extra_row_values(self):
        """Method-specific columns (name -> (value, unit)); see subclasses."""
        return {}

    def to_row(self):
        """The results as a dict of column name to value (a table row).

        Each fitted parameter P gives columns ``P``, ``P_err`` and
        ``P_fixed``. Angles are in arcsec. An elliptical PSF fit adds ``e``
        and ``theta`` (degrees) the same way, after all other columns; a
        circular fit has no such columns (masked in a table with both).

        Returns
        -------
        row : dict
        """
        row = {"name": self.name, "method": self.method}
        for param in _COMMON_PARAMETERS:
            fitted = getattr(self, param)
            row[param] = fitted.value
            row[param + "_err"] = np.nan if fitted.stdev is None else fitted.stdev
            row[param + "_fixed"] = bool(fitted.fixed)
        row["rms_error"] = self.rms_error
        # Free parameters that ended at a bound (issue 13; see fitting.checks).
        row["at_bound"] = ",".join(self.at_bound)
        row.update({key: value for key, (value, _) in self._extra_row_values().items()})
        row.update(quality_columns(self))
        # The elliptical PSF's shape, after every column of a circular fit.
        for param, fitted in self.psf_shape().items():
            row[param] = fitted.value
            row[param + "_err"] = np.nan if fitted.stdev is None else fitted.stdev
            row[param + "_fixed"] = bool(fitted.fixed)
        return row

    def to_table(self):
        """The results as a one-row astropy `~astropy.table.Table`."""
        return photometry_table([self])


def _column_unit(name, result):
    base = name.replace("_err", "")
    if base in ANGULAR_PARAMETERS:
        return u.arcsec
    if base in ("bg", "rms_error"):
        return result.unit
    if base == "scale":
        return result.scale.unit
    if base in _PSF_SHAPE_UNITS:
        return _PSF_SHAPE_UNITS[base]
    extra = result._extra_row_values()
    if name in extra:
        return extra[name][1]
    return None


def photometry_table(results):
    """Collect photometry results into one astropy Table.

    Parameters
    ----------
    results : iterable of `FittedPhotometry`
        Results of any method; each becomes a row. Rows of different
        methods share the common columns; method-specific columns are
        masked where they do not apply.

    Returns
    -------
    table : `~astropy.table.Table`
        Writable as ECSV or FITS (``table.write("fits.ecsv")``).

    Examples
    --------
    >>> from imphot_astropy.fitting.results import FittedValue
    >>> photometry_table([]).colnames[:3]
    ['name', 'method', 'scale']
    """
    results = list(results)
    rows = [r.to_row() for r in results]
    names = ["name", "method"]
    for param in _COMMON_PARAMETERS:
        names += [param, param + "_err", param + "_fixed"]
    names.append("rms_error")
    for row in rows:
        names += [key for key in row if key not in names]
    if not rows:
        return Table(names=names[:len(names)],
                     dtype=[str, str] + [float, float, bool] * len(_COMMON_PARAMETERS)
                     + [float], meta=table_meta([]))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        missing = [v is None for v in values]
        if any(missing):
            filler = next(v for v in values if v is not None)
            filled = [filler if m else v for v, m in zip(values, missing)]
            columns[name] = np.ma.masked_array(filled, mask=missing)
        else:
            columns[name] = values
    table = Table(columns, names=names)
    table.meta.update(table_meta(results))
    for name in names:
        unit = _column_unit(name, results[0])
        if unit is not None:
            table[name].unit = unit
    return table


class FittedImagePhotometry(FittedPhotometry):
    """The results of `~imphot_astropy.fit_image_photometry`.

    Parameters
    ----------
    muse : `~imphot_astropy.io.ImageData`
        The MUSE image that was fitted.
    fitted : dict
        ``FittedValue`` objects for scale, bg, dx, dy, fwhm and beta.
    fit_report : str
        The report of the final least-squares fit.
    rchi : float
        The reduced chi-squared of the fit: each compared pixel's windowed
        residual divided by its MUSE variance, per degree of freedom. The
        compared MUSE image has been smoothed by the HST PSF and the
        regridding filter, which lowers its noise to about 0.063 of the pixel
        variance on a 0.2" grid, so a fit limited by noise gives about 0.063,
        not 1.
    rms_error : float
        The RMS of the residual image pixels (MUSE units).
    covariance : `numpy.ndarray`, optional
        The 2x2 covariance of (dx, dy).
    products : object, optional
        The prepared images and fitted model, kept for plotting and saving.
    regrid_filter : str, optional
        The anti-aliasing filter assumed for the HST image.
    fit_state : object, optional
        See ``fit_state`` below.
    **common
        ``quality``, ``at_bound`` and ``provenance``: see `FittedPhotometry`
        (``fitted`` gives ``e`` and ``theta`` after an elliptical fit).

    Attributes
    ----------
    rchi : float
        See above. The other attributes are those of `FittedPhotometry`.
    regrid_filter : str
        The anti-aliasing filter assumed for the HST image.
    fit_state : object or None
        With ``keep_state=True``
        (`~imphot_astropy.fitting.measure_image_photometry`), the fit's
        prepared arrays and Fourier-plane problem (``prepared``,
        ``problem``), for a caller that fits the same pair again; else
        None. `release_fit_state` hands it over.

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    >>> fit = measure_image_photometry(hst, muse, fix_beta=2.5)
    >>> round(fit.dx.value, 2), round(fit.dy.value, 2), str(fit.to_table()["method"][0])
    (0.06, -0.04, 'image')
    """

    def __init__(self, muse, fitted, fit_report, rchi, rms_error, covariance=None,
                 products=None, regrid_filter=None, fit_state=None, **common):
        shape = {name: fitted[name] for name in ("e", "theta") if name in fitted}
        super().__init__("image", muse, fit_report, fitted["scale"], fitted["bg"],
                         fitted["dx"], fitted["dy"], fitted["fwhm"], fitted["beta"],
                         rms_error, covariance, shape=shape or None, **common)
        self.rchi = float(rchi)
        self.products = products
        self.regrid_filter = regrid_filter
        if fit_state is not None:
            self.fit_state = fit_state

    #: Given by the fit with ``keep_state=True`` (see the class docstring).
    fit_state = None

    def release_fit_state(self):
        """Hand over the kept ``fit_state``, and forget it here.

        The state (prepared arrays and problem, several times the image's
        size) is then owned by the caller alone (the survey's joint fit
        keeps it with its band), so it is freed with the caller's use of
        it and is never pickled with this result.

        Returns
        -------
        state : object or None
            The ``fit_state``, or None if none was kept (or it was already
            handed over).

        Examples
        --------
        >>> from imphot_astropy.fitting import measure_image_photometry
        >>> from imphot_astropy.datasets import make_synthetic_pair
        >>> hst, muse, truth = make_synthetic_pair(shape=(40, 40), seed=3)
        >>> fit = measure_image_photometry(hst, muse, fix_beta=2.5, keep_state=True)
        >>> state = fit.release_fit_state()
        >>> state.problem is not None, fit.fit_state, fit.release_fit_state()
        (True, None, None)
        """
        state = self.fit_state
        # Removed from the instance (the class's None then shows through),
        # not set to None, so the result is as one fitted without the state.
        self.__dict__.pop("fit_state", None)
        return state

    def _extra_row_values(self):
        return {"rchi": (self.rchi, None)}

    def __reduce__(self):
        # Plotting products are not sent between processes.
        state = dict(self.__dict__)
        state["products"] = None
        return (_rebuild, (self.__class__, state))


def _rebuild(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def print_quality_flags(results, file=None):
    """Print the raised flags of each result, one line per flagged fit.

    Batches of 3 or more results of the same HST image, band and method are
    first checked for outliers (`flag_outliers`), which adds the
    ``outlier`` flag to their ``quality``.

    Parameters
    ----------
    results : list of `~imphot_astropy.fitting.FittedPhotometry`
    file : file-like, optional
        Where to print (default: standard output).

    Returns
    -------
    n_flagged : int
        The number of results with a flag.

    Examples
    --------
    >>> from imphot_astropy.fitting.quality import FitQuality, QualityFlag
    >>> class R:
    ...     name, method = "exp1", "image"
    ...     quality = FitQuality(40.0, 900, 0.0, [QualityFlag("goodness", "40 > 2")])
    >>> print_quality_flags([R()])
    flags: exp1 image: goodness: 40 > 2
    1
    """
    results = list(results)
    if len(results) >= 3:
        flag_outliers(photometry_table(results), results=results)
    flagged = 0
    for result in results:
        quality = getattr(result, "quality", None)
        if quality is None or (quality.ok and not quality.excluded):
            continue
        flagged += not quality.ok
        text = quality.text() if not quality.ok else "no flag"
        if quality.excluded:
            text += "; excluded point sources (ra, dec): " + ", ".join(
                f"({ra:.6f}, {dec:.6f})" for ra, dec in quality.excluded)
        print(f"flags: {result.name} {result.method}: {text}", file=file)
    return flagged
