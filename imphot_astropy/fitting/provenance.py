"""What a result was measured from, and the units of its fitted values.

The fitters make a `FitProvenance` and give it to the result they make:
the result then gives every one of its `FittedValue` attributes its unit
(so that ``fit.fwhm.quantity`` is a Quantity in arcsec) and records the
HST file, its filter and the fit options, which `photometry_table` writes
into the table's meta.
"""

import os
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import astropy.units as u

__all__ = ["FitProvenance", "value_units", "table_meta", "option_record"]

# Header keywords that name an HST filter, in the order they are trusted
# (WFPC2 keeps the name in FILTNAM1, its FILTER1 being a wheel number).
_FILTER_KEYWORDS = ("FILTER", "FILTNAM1", "FILTER1", "FILTER2", "PHOTMODE")
# Filter-wheel values that mean "no filter here".
_NO_FILTER = ("", "CLEAR1L", "CLEAR1S", "CLEAR2L", "CLEAR2S", "CLEAR", "N/A")


def _hst_filter(hst_image):
    found = hst_image.keywords(*_FILTER_KEYWORDS)
    for key in _FILTER_KEYWORDS:
        value = found.get(key)
        if isinstance(value, str) and value.strip().upper() not in _NO_FILTER:
            return value.strip()
    return None


def option_record(value):
    """A fit option as a plain value a table's meta can hold (ECSV or FITS).

    Numbers, strings, booleans and None are kept; Quantities become strings
    ("0.7 arcsec"); sequences become lists; regions objects and arrays are
    described rather than stored.

    Examples
    --------
    >>> import astropy.units as u
    >>> option_record(0.7 * u.arcsec), option_record((1, 2.5)), option_record(None)
    ('0.7 arcsec', [1, 2.5], None)
    """
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, u.Quantity) and value.isscalar:
        return f"{value.value:g} {value.unit.to_string()}"
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    if isinstance(value, (list, tuple)) and len(value) <= 10:
        return [option_record(v) for v in value]
    return f"<{type(value).__name__}>"


def value_units(muse_unit, hst_unit):
    """The unit of each `FittedValue` attribute a result may have, by name.

    Examples
    --------
    >>> value_units("adu", "electron/s")["scale"]
    Unit("adu s / electron")
    """
    muse_unit = u.Unit(muse_unit) if muse_unit is not None else u.dimensionless_unscaled
    hst_unit = u.Unit(hst_unit) if hst_unit is not None else u.dimensionless_unscaled
    units = dict(scale=muse_unit / hst_unit, bg=muse_unit, beta=u.dimensionless_unscaled)
    for name in ("fwhm", "dx", "dy", "dra", "ddec", "dra_sky", "ddec_sky"):
        units[name] = u.arcsec
    for prefix, flux_unit in (("muse", muse_unit), ("hst", hst_unit)):
        units.update({f"{prefix}_flux": flux_unit, f"{prefix}_bg": flux_unit,
                      f"{prefix}_fwhm": u.arcsec, f"{prefix}_dx": u.arcsec,
                      f"{prefix}_dy": u.arcsec,
                      f"{prefix}_beta": u.dimensionless_unscaled})
    # The reference tool's plain-Moffat figures of a star fit, if any.
    units.update({"plain_" + name: unit for name, unit in list(units.items())
                  if name in ("scale", "bg", "dx", "dy", "fwhm", "beta")})
    units.update(plain_hst_fwhm=u.arcsec, plain_hst_beta=u.dimensionless_unscaled)
    # The elliptical Moffat's shape (psf="elliptical").
    units.update(e=u.dimensionless_unscaled, theta=u.deg)
    return units


@dataclass(frozen=True, eq=False)
class FitProvenance:
    """What a result was measured from: given to the result when it is made.

    A result made with it (`~imphot_astropy.fitting.FittedPhotometry` and
    its subclasses take it as ``provenance``) gets ``pixel_scales`` (the
    MUSE pixel sizes, arcsec), ``hst_filename``, ``hst_unit``,
    ``hst_filter`` and ``options`` (a dict of the fit options, as
    `option_record` gives), and each of its `FittedValue` attributes gets
    its unit (`value_units`), so that ``fit.fwhm.quantity`` is a Quantity
    in arcsec. `photometry_table` writes these into the table's meta.

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_star_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> fit = measure_star_photometry(hst, muse, (*truth["star_radec"][0], 2.0))
    >>> fit.fwhm.quantity.unit, fit.options["fix_beta"]
    (Unit("arcsec"), None)
    """

    pixel_scales: tuple
    hst_filename: object
    hst_unit: object
    hst_filter: object
    options: dict
    muse_unit: object

    @classmethod
    def from_images(cls, hst_image, muse_image, options):
        """The provenance of a fit of these images with these options.

        Parameters
        ----------
        hst_image, muse_image : `~imphot_astropy.io.ImageData`
            The images fitted.
        options : dict
            The fit options, by keyword.

        Returns
        -------
        provenance : `FitProvenance`
        """
        return cls(pixel_scales=tuple(float(v) for v in muse_image.pixel_scales),
                   hst_filename=hst_image.filename, hst_unit=hst_image.unit,
                   hst_filter=_hst_filter(hst_image),
                   options={key: option_record(value) for key, value in options.items()},
                   muse_unit=muse_image.unit)

    def attributes(self):
        """The attributes a result records, by name."""
        return dict(pixel_scales=self.pixel_scales, hst_filename=self.hst_filename,
                    hst_unit=self.hst_unit, hst_filter=self.hst_filter,
                    options=dict(self.options))

    def value_units(self):
        """The unit of each `FittedValue` attribute a result may have, by name."""
        return value_units(self.muse_unit, self.hst_unit)


def _common(values):
    """The one value all rows share, else the list of row values."""
    first = values[0]
    return first if all(v == first for v in values[1:]) else list(values)


def _package_version():
    # From the installed distribution's metadata: importing the package root
    # here would import every layer above this one.
    try:
        return metadata.version("imphot_astropy")
    except metadata.PackageNotFoundError:
        return "unknown"


def table_meta(results):
    """The meta of a photometry table: package version, inputs and options.

    Parameters
    ----------
    results : list of `~imphot_astropy.fitting.FittedPhotometry`

    Returns
    -------
    meta : dict
        ``imphot_astropy_version``; ``muse_files``, ``hst_files`` and
        ``hst_filters`` (a list, one per row); ``fit_options`` (a dict
        per method, of the options that all its rows share, or of the
        list of row values where they differ).

    Examples
    --------
    >>> table_meta([])["imphot_astropy_version"]  # doctest: +ELLIPSIS
    '...'
    """
    meta = {"imphot_astropy_version": _package_version(),
            "muse_files": [getattr(r, "filename", None) for r in results],
            "hst_files": [getattr(r, "hst_filename", None) for r in results],
            "hst_filters": [getattr(r, "hst_filter", None) for r in results]}
    options = {}
    for method in dict.fromkeys(r.method for r in results):
        rows = [getattr(r, "options", None) or {} for r in results if r.method == method]
        keys = dict.fromkeys(k for row in rows for k in row)
        options[method] = {k: _common([row.get(k) for row in rows]) for k in keys}
    meta["fit_options"] = options
    return meta
