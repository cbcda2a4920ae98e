"""Text for figures: fitted values with their uncertainties, unit labels."""

import math

import astropy.units as u

__all__ = ["format_fitted_value", "fitted_value_lines", "unit_label", "quality_lines"]


def _decimals_for(stdev, significant=2):
    """Decimal places that show ``significant`` digits of an uncertainty."""
    if not stdev or not math.isfinite(stdev):
        return None
    return max(0, significant - 1 - int(math.floor(math.log10(abs(stdev)))))


def format_fitted_value(fitted, unit=""):
    """A fitted value as text: its value and 1-sigma uncertainty.

    The uncertainty is shown with two significant digits and the value to
    the same decimal place; a fixed parameter says so.

    Parameters
    ----------
    fitted : `~imphot_astropy.fitting.FittedValue` or similar
        Anything with ``value``, ``stdev`` and ``fixed`` attributes.
    unit : str
        Appended after the numbers.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from types import SimpleNamespace as V
    >>> format_fitted_value(V(value=0.619596, stdev=0.00251, fixed=False), '"')
    '0.6196 ± 0.0025"'
    >>> format_fitted_value(V(value=2.5, stdev=0.0, fixed=True))
    '2.5 (fixed)'
    >>> format_fitted_value(V(value=149.0573, stdev=None, fixed=False))
    '149.057 (no error estimate)'
    """
    value, stdev = fitted.value, fitted.stdev
    suffix = unit
    if value is None:
        return "-"
    if fitted.fixed:
        return f"{value:.6g}{suffix} (fixed)"
    decimals = _decimals_for(stdev)
    if decimals is None:
        return f"{value:.6g}{suffix} (no error estimate)"
    decimals = min(decimals, 12)
    return f"{value:.{decimals}f} ± {stdev:.{decimals}f}{suffix}"


def unit_label(unit):
    """A short printable label of a flux unit ('' for dimensionless).

    Examples
    --------
    >>> import astropy.units as u
    >>> unit_label(u.Unit("1e-20 erg / (Angstrom s cm2)"))
    '1×10⁻²⁰ erg Å⁻¹ s⁻¹ cm⁻²'
    >>> unit_label(None)
    ''
    """
    if unit is None:
        return ""
    unit = u.Unit(unit)
    if unit == u.dimensionless_unscaled:
        return ""
    return unit.to_string("unicode")


def fitted_value_lines(result):
    """The lines of text giving the parameters every fitting method reports.

    With the elliptical PSF (``result.psf == "elliptical"``), the FWHM is
    that of the major axis and two more lines give the ellipticity ``e``
    and the position angle ``theta`` of the major axis.

    Parameters
    ----------
    result : `~imphot_astropy.FittedPhotometry`
        An image-fit or star-fit result.

    Returns
    -------
    lines : list of str

    Examples
    --------
    >>> from imphot_astropy import FittedValue
    >>> class Result:
    ...     scale = bg = dx = dy = dra = ddec = fwhm = beta = FittedValue(1.0, 0.1, False)
    >>> fitted_value_lines(Result())[0]
    'scale   1.00 ± 0.10'
    >>> Result.psf, Result.e = "elliptical", FittedValue(0.15, 0.0011, False)
    >>> Result.theta = FittedValue(30.02, 0.057, False)
    >>> fitted_value_lines(Result())[-4:]
    ['FWHM    1.00 ± 0.10″ (major)', 'beta    1.00 ± 0.10', 'e       0.1500 ± 0.0011',
     'theta   30.020 ± 0.057°']
    """
    arcsec = "\u2033"
    if getattr(result, "psf", "moffat") == "elliptical":
        return _common_lines(result, arcsec, " (major)") + [
            f"e       {format_fitted_value(result.e)}",
            f"theta   {format_fitted_value(result.theta, chr(0xB0))}"]
    return _common_lines(result, arcsec, "")


def _common_lines(result, arcsec, fwhm_note):
    # dRA is a difference of RA (what to subtract from CRVAL1); the on-sky
    # offset, dRA cos(Dec), is the one to compare between fields.
    on_sky = getattr(result, "dra_sky", None)
    return [f"scale   {format_fitted_value(result.scale)}",
            f"bg      {format_fitted_value(result.bg)}",
            f"dx      {format_fitted_value(result.dx, arcsec)}",
            f"dy      {format_fitted_value(result.dy, arcsec)}",
            f"dRA     {format_fitted_value(result.dra, arcsec)}",
            f"dDec    {format_fitted_value(result.ddec, arcsec)}"] + (
        [] if on_sky is None else [f"dRAcos\u03b4 {format_fitted_value(on_sky, arcsec)}"]) + [
            f"FWHM    {format_fitted_value(result.fwhm, arcsec)}{fwhm_note}",
            f"beta    {format_fitted_value(result.beta)}"]


def quality_lines(result):
    """Lines giving a fit's goodness of fit, pixels used and quality flags.

    Parameters
    ----------
    result : `~imphot_astropy.FittedPhotometry`
        A result with a ``quality`` (see `~imphot_astropy.fitting.quality`).

    Returns
    -------
    lines : list of str

    Examples
    --------
    >>> from imphot_astropy.fitting.quality import FitQuality
    >>> class Result:
    ...     quality = FitQuality(1.03, 812, 0.02, [])
    >>> quality_lines(Result())
    ['goodness     1.03 (1: noise)', 'pixels used  812', 'flags        none']
    >>> from imphot_astropy.fitting.quality import QualityFlag
    >>> Result.quality = FitQuality(3.1, 812, 0.02, [QualityFlag("masked", "40%"),
    ...                                              QualityFlag("goodness", "3.1")])
    >>> quality_lines(Result())[2:]
    ['flags        masked,', '             goodness']
    """
    quality = getattr(result, "quality", None)
    if quality is None:
        return []
    goodness = (f"{quality.goodness:.3g} (1: noise)" if math.isfinite(quality.goodness)
                else "n/a (no noise map)")
    lines = [f"goodness     {goodness}",
             f"pixels used  {quality.n_pixels}"]
    names = quality.names()
    # One flag a line: a list of flags would widen the text panel beyond
    # the figure ("flags        masked, goodness").
    flags = [f"{name}," for name in names[:-1]] + names[-1:] or ["none"]
    lines += [("flags        " if i == 0 else " " * 13) + flag
              for i, flag in enumerate(flags)]
    if quality.excluded:
        lines.append(f"excluded     {len(quality.excluded)} point source(s)")
    return lines
