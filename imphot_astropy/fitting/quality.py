"""Quality flags: when not to trust a fit, each with a short reason.

Every result of the image and star fitters carries a `FitQuality`: the
goodness of fit (about 1 for a fit limited by noise), the number of pixels
used and the fraction masked, and a list of `QualityFlag` objects:

``bound``
    a free parameter ended at one of its bounds (for example FWHM 0.01"
    when the HST and MUSE images were swapped);
``masked``
    much of the star circle (more than `STAR_MASKED_LIMIT`), or of the
    image (more than `IMAGE_MASKED_LIMIT`), was masked or unusable, so the
    fit rests on a truncated star or a small part of the field;
``hst``
    the HST image is mostly exact zeros (`HST_ZERO_LIMIT`) or constant
    where it was compared;
``goodness``
    the goodness of fit lies outside `GOODNESS_RANGE`: above, the model does
    not describe the data to within the noise (or the variance understates
    it); below, the variance overstates the noise (on the HDFS sample the
    STAT is ~1400 times the measured pixel variance), which leaves the
    uncertainties unchanged since they come from the residuals;
``outlier``
    (batches, `flag_outliers`) an offset, scale or FWHM lies more than
    `OUTLIER_LIMIT` robust standard deviations (1.4826 MAD) from the median
    of the exposures of the same HST image, band and method.
``uncertain``
    (the survey's joint fit) a parameter's uncertainty is larger than its
    own range: a FWHM polynomial coefficient whose standard deviation moves
    the FWHM at the ends of the wavelength range by more than the FWHM
    itself, a beta coefficient whose standard deviation exceeds the span of
    beta's bounds, any bounded parameter's beyond its bounds' span, or no
    finite uncertainty at all: the data do not constrain it.

The flags become table columns (``flag_<name>`` booleans and ``flags``, the
reasons joined by "; ") through `quality_columns`, which
`~imphot_astropy.fitting.photometry_table` calls.
"""

import numpy as np

__all__ = ["QualityFlag", "FitQuality", "FLAG_NAMES", "parameters_at_bounds",
           "hst_blank_reason", "muse_band", "image_quality", "star_quality", "quality_columns",
           "flag_outliers", "GOODNESS_RANGE", "STAR_MASKED_LIMIT", "IMAGE_MASKED_LIMIT",
           "HST_ZERO_LIMIT", "OUTLIER_LIMIT", "OUTLIER_QUANTITIES", "robust_sigma"]

#: The flag names, in the order of their table columns.
FLAG_NAMES = ("bound", "masked", "hst", "goodness", "outlier", "uncertain")
#: A goodness of fit outside this range is flagged.
GOODNESS_RANGE = (0.5, 2.0)
#: Flag a star fit when more than this fraction of its circle is masked.
STAR_MASKED_LIMIT = 0.1
#: Flag an image fit when more than this fraction of the pixels it could
#: compare (inside the regions) was masked or too near missing HST data.
IMAGE_MASKED_LIMIT = 0.75
#: Flag an HST image when more than this fraction of its compared pixels is
#: exactly zero.
HST_ZERO_LIMIT = 0.5
#: Flag an exposure whose value lies this many robust sigmas from the median.
OUTLIER_LIMIT = 5.0
#: The quantities compared between exposures, and their floors (a robust
#: sigma below these is treated as this, so that exposures that agree to
#: within measurement precision are not flagged for tiny differences).
OUTLIER_QUANTITIES = {"dx": 0.01, "dy": 0.01, "scale": 0.005, "fwhm": 0.005}


class QualityFlag:
    """One reason not to trust a fit.

    Parameters
    ----------
    name : str
        One of `FLAG_NAMES`.
    reason : str
        A short explanation with the numbers that raised it.

    Examples
    --------
    >>> QualityFlag("bound", "fwhm = 0.01 at its lower bound")
    QualityFlag('bound', 'fwhm = 0.01 at its lower bound')
    """

    def __init__(self, name, reason):
        if name not in FLAG_NAMES:
            raise ValueError(f"unknown quality flag {name!r}")
        self.name = name
        self.reason = reason

    def __repr__(self):
        return f"QualityFlag({self.name!r}, {self.reason!r})"

    def __str__(self):
        return f"{self.name}: {self.reason}"

    def __eq__(self, other):
        return (isinstance(other, QualityFlag)
                and (self.name, self.reason) == (other.name, other.reason))

    def __reduce__(self):
        return (QualityFlag, (self.name, self.reason))


class FitQuality:
    """The quality figures and flags of one fit.

    Parameters
    ----------
    goodness : float
        The goodness of fit (1 if noise-limited; NaN if the noise is unknown).
    n_pixels : int
        The number of pixels the fit used.
    masked_fraction : float
        The fraction of the candidate pixels (star circle, or image inside
        the regions) that could not be used.
    flags : list of `QualityFlag`
    hst_name : str
        The HST image's base name (for grouping exposures).
    band : str
        The MUSE image's filter, from its FILTER keyword if any.
    excluded : list of (float, float)
        The sky positions (ra, dec, degrees) of point sources that a robust
        fit excluded.

    Examples
    --------
    >>> q = FitQuality(1.02, 900, 0.05, [])
    >>> q.ok, q.text()
    (True, 'ok')
    """

    def __init__(self, goodness, n_pixels, masked_fraction, flags, hst_name="",
                 band="", excluded=()):
        self.goodness = float(goodness)
        self.n_pixels = int(n_pixels)
        self.masked_fraction = float(masked_fraction)
        self.flags = list(flags)
        self.hst_name = str(hst_name)
        self.band = str(band)
        self.excluded = [tuple(float(v) for v in p) for p in excluded]

    @property
    def ok(self):
        """True if no flag was raised."""
        return not self.flags

    def names(self):
        """The names of the raised flags."""
        return [flag.name for flag in self.flags]

    def add(self, flag):
        """Raise one more flag."""
        self.flags.append(flag)

    def text(self):
        """The reasons joined by "; ", or "ok"."""
        return "; ".join(str(f) for f in self.flags) if self.flags else "ok"


def muse_band(image):
    """The filter of a MUSE image from its FILTER keyword, or "".

    Examples
    --------
    >>> class Image:
    ...     def keywords(self, *keys):
    ...         return {"FILTER": "Johnson_V"}
    >>> muse_band(Image())
    'Johnson_V'
    """
    return str(image.keywords("FILTER").get("FILTER", "")).strip()


def parameters_at_bounds(model, names=None, rtol=1e-6):
    """The free parameters of a fitted astropy model that sit at a bound.

    Parameters
    ----------
    model : `astropy.modeling.Model`
        The fitted model.
    names : dict, optional
        Model parameter name -> name to report (others are not checked).
    rtol : float
        How close (relative to the bound's size, at least 1e-9) counts as
        "at" the bound.

    Returns
    -------
    found : list of (str, float, str)
        The reported name, the value and "lower" or "upper".

    Examples
    --------
    >>> from astropy.modeling.models import Gaussian1D
    >>> g = Gaussian1D(1.0, 0.0, 0.1, bounds={"stddev": (0.1, 5.0)})
    >>> parameters_at_bounds(g)
    [('stddev', 0.1, 'lower')]
    """
    found = []
    for name in model.param_names:
        if model.fixed[name] or (names is not None and name not in names):
            continue
        value = float(getattr(model, name).value)
        low, high = model.bounds[name]
        for bound, side in ((low, "lower"), (high, "upper")):
            if bound is not None and abs(value - bound) <= rtol * max(abs(bound), 1e-3):
                found.append((name if names is None else names[name], value, side))
    return found


def _bound_flags(at_bounds):
    return [QualityFlag("bound", f"{name} = {value:.4g} at its {side} bound")
            for name, value, side in at_bounds]


def hst_blank_reason(hst_values):
    """Why the compared HST pixels hold no usable image, or None.

    Parameters
    ----------
    hst_values : array_like
        The HST pixel values that were compared.

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> hst_blank_reason(np.zeros(100))
    '100% of the compared HST pixels are exactly 0'
    >>> hst_blank_reason(np.arange(100.0)) is None
    True
    """
    values = np.asarray(hst_values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "no finite HST pixel was compared"
    zeros = np.count_nonzero(values == 0) / values.size
    if zeros > HST_ZERO_LIMIT:
        return f"{100 * zeros:.0f}% of the compared HST pixels are exactly 0"
    spread = np.ptp(values)
    if spread <= 1e-12 * max(np.max(np.abs(values)), 1e-300):
        return f"the compared HST pixels are constant ({values[0]:.4g})"
    return None


def _goodness_flags(goodness):
    low, high = GOODNESS_RANGE
    if np.isfinite(goodness) and goodness < low:
        # The uncertainties come from the residuals (the sandwich
        # covariance of `imphot_astropy.fitting.uncertainties`), which do not
        # depend on the scale of the STAT: only the goodness of fit does.
        return [QualityFlag("goodness", f"goodness of fit {goodness:.3g} < {low}: the "
                                        "variance (STAT) overstates the noise; the "
                                        "uncertainties come from the residuals and are "
                                        "not affected")]
    if np.isfinite(goodness) and goodness > high:
        return [QualityFlag("goodness", f"goodness of fit {goodness:.3g} > {high}: the "
                                        "model misses features larger than the noise, "
                                        "or the variance understates it")]
    return []


def _masked_flags(masked_fraction, limit, where, n_pixels):
    if masked_fraction > limit:
        return [QualityFlag("masked", f"{100 * masked_fraction:.0f}% of {where} masked "
                                      f"({n_pixels} pixels used)")]
    return []


def image_quality(model, goodness, compared, candidates, hst_values, hst_name="",
                  band="", excluded=(), pixel_size=None):
    """The quality of an image fit.

    Parameters
    ----------
    model : `astropy.modeling.Model`
        The fitted `~imphot_astropy.core.fourier_model.FourierImageModel`.
    goodness : float
        Its goodness of fit.
    compared : int
        The number of pixels compared.
    candidates : int
        The number of pixels that could have been compared (unexcluded by
        the regions and segmentation).
    hst_values : array_like
        The HST values at the compared pixels.
    hst_name, band : str
        For grouping exposures (see `flag_outliers`).
    excluded : list of (ra, dec)
        Point sources excluded by a robust fit.
    pixel_size : float, optional
        The MUSE pixel size (arcsec): a fitted FWHM below it is flagged as
        ``bound`` too (no MUSE PSF is narrower than a pixel; the HST and
        MUSE images were probably swapped).

    Returns
    -------
    quality : `FitQuality`

    Examples
    --------
    >>> from astropy.modeling.models import Const1D
    >>> q = image_quality(Const1D(1.0), 1.1, 100, 1000, np.ones(100))
    >>> q.names()
    ['masked', 'hst']
    """
    masked = 1.0 - compared / max(candidates, 1)
    flags = _bound_flags(parameters_at_bounds(model))
    fwhm = getattr(model, "fwhm", None)
    if (pixel_size is not None and fwhm is not None and not fwhm.fixed
            and fwhm.value < pixel_size and not any("fwhm" in f.reason for f in flags)):
        flags.append(QualityFlag("bound", f"fwhm = {fwhm.value:.3g}\" is below the "
                                          f"{pixel_size:.3g}\" pixel (HST and MUSE "
                                          "images swapped?)"))
    flags += _masked_flags(masked, IMAGE_MASKED_LIMIT, "the image", compared)
    reason = hst_blank_reason(hst_values)
    if reason is not None:
        flags.append(QualityFlag("hst", reason))
    flags += _goodness_flags(goodness)
    return FitQuality(goodness, compared, masked, flags, hst_name, band, excluded)


def star_quality(muse_model, hst_model, names, goodness, used, circle, hst_values,
                 hst_name="", band=""):
    """The quality of a star fit.

    Parameters
    ----------
    muse_model, hst_model : `astropy.modeling.Model`
        The fitted models of the MUSE and HST stars.
    names : dict
        Model parameter name -> reported name (e.g. ``x_0_0`` -> ``dx``).
    goodness : float
        The MUSE fit's goodness of fit.
    used, circle : int
        The numbers of pixels fitted and in the star circle.
    hst_values : array_like
        The HST values at the fitted pixels.
    hst_name, band : str
        For grouping exposures.

    Returns
    -------
    quality : `FitQuality`

    Examples
    --------
    >>> from astropy.modeling.models import Const1D
    >>> q = star_quality(Const1D(1.0), Const1D(1.0), {}, 1.0, 200, 300,
    ...                  np.arange(200.0))
    >>> q.text()
    'masked: 33% of the star circle masked (200 pixels used)'
    """
    masked = 1.0 - used / max(circle, 1)
    flags = []
    for label, model in (("muse", muse_model), ("hst", hst_model)):
        found = parameters_at_bounds(model, {k: f"{label}_{v}" for k, v in names.items()})
        flags += _bound_flags(found)
    flags += _masked_flags(masked, STAR_MASKED_LIMIT, "the star circle", used)
    reason = hst_blank_reason(hst_values)
    if reason is not None:
        flags.append(QualityFlag("hst", reason))
    flags += _goodness_flags(goodness)
    return FitQuality(goodness, used, masked, flags, hst_name, band)


def quality_columns(result):
    """The table columns of a result's quality (name -> value).

    Examples
    --------
    >>> class R:
    ...     quality = FitQuality(1.0, 10, 0.0, [QualityFlag("hst", "all 0")])
    >>> quality_columns(R())["flag_hst"], quality_columns(R())["flags"]
    (True, 'hst: all 0')
    """
    quality = getattr(result, "quality", None)
    if quality is None:
        quality = FitQuality(np.nan, 0, np.nan, [])
    names = quality.names()
    columns = {"goodness": quality.goodness, "n_pixels": quality.n_pixels,
               "masked_fraction": quality.masked_fraction,
               "hst_name": quality.hst_name, "band": quality.band}
    for name in FLAG_NAMES:
        columns["flag_" + name] = name in names
    columns["flags"] = "; ".join(str(f) for f in quality.flags)
    columns["excluded"] = " ".join(f"{ra:.6f},{dec:.6f}" for ra, dec in quality.excluded)
    return columns


def robust_sigma(values):
    """The median of some values and their robust sigma (1.4826 times the MAD).

    The scaled median absolute deviation equals the standard deviation for
    Gaussian values but ignores a few wild ones, so one failed exposure does
    not hide itself by widening the spread it is judged against.

    Parameters
    ----------
    values : array-like
        Finite numbers.

    Returns
    -------
    median, sigma : float

    Examples
    --------
    >>> median, sigma = robust_sigma([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> float(median), round(float(sigma), 4)
    (3.0, 1.4826)
    """
    median = np.median(values)
    return median, 1.4826 * np.median(np.abs(values - median))


def flag_outliers(table, limit=OUTLIER_LIMIT, results=None, quantities=None):
    """Flag exposures whose offsets, scale or FWHM stand out from the others.

    Rows are grouped by HST image, band and method (columns ``hst_name``,
    ``band``, ``method``); within each group of 3 or more rows, a value more
    than ``limit`` robust standard deviations (1.4826 times the median
    absolute deviation, floored at a precision per quantity) from the
    group's median raises the ``outlier`` flag of that row.

    Parameters
    ----------
    table : `~astropy.table.Table`
        A `~imphot_astropy.fitting.photometry_table`; modified in place
        (``flag_outlier`` and ``flags``).
    limit : float
        The threshold in robust sigmas.
    results : list of `~imphot_astropy.fitting.FittedPhotometry`, optional
        The results the rows came from; their ``quality`` gets the flag too.
    quantities : dict, optional
        Column name -> the floor of its robust sigma: the columns compared
        (default: dx, dy, scale and fwhm, with floors of 0.01", 0.01",
        0.005 and 0.005"). The survey report compares other columns (the
        FWHM over the seeing monitor's) with the same rule.

    Returns
    -------
    table : `~astropy.table.Table`
        The same table.

    Examples
    --------
    >>> from astropy.table import Table
    >>> t = Table({"method": ["image"] * 5, "hst_name": ["h"] * 5, "band": [""] * 5,
    ...            "dx": [0.01, 0.02, 0.0, 0.01, 0.6], "dy": [0.0] * 5,
    ...            "scale": [1.0] * 5, "fwhm": [0.7] * 5,
    ...            "flag_outlier": [False] * 5, "flags": [""] * 5})
    >>> [bool(v) for v in flag_outliers(t)["flag_outlier"]]
    [False, False, False, False, True]
    """
    if len(table) == 0:
        return table
    table["flags"] = table["flags"].astype(object)
    keys = [str(a) + "\0" + str(b) + "\0" + str(c) for a, b, c in
            zip(table["hst_name"], table["band"], table["method"])]
    for key in sorted(set(keys)):
        rows = [i for i, k in enumerate(keys) if k == key]
        if len(rows) < 3:
            continue
        for quantity, floor in (quantities or OUTLIER_QUANTITIES).items():
            values = np.asarray(table[quantity][rows], dtype=float)
            median, sigma = robust_sigma(values)
            sigma = max(sigma, floor)
            for row, value in zip(rows, values):
                if abs(value - median) > limit * sigma:
                    reason = (f"outlier: {quantity} = {value:.4g} is "
                              f"{abs(value - median) / sigma:.1f} robust sigma from the "
                              f"median {median:.4g} of {len(rows)} exposures")
                    table["flag_outlier"][row] = True
                    if reason not in str(table["flags"][row]):
                        table["flags"][row] = "; ".join(
                            [s for s in (str(table["flags"][row]), reason) if s])
                    quality = (getattr(results[row], "quality", None)
                               if results is not None else None)
                    flag = QualityFlag("outlier", reason[len("outlier: "):])
                    if quality is not None and flag not in quality.flags:
                        quality.add(flag)
    table["flags"] = table["flags"].astype(str)
    return table
