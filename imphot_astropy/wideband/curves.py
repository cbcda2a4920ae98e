"""Filter throughput curves: from arrays, ASCII files, synphot or HST names."""

import os
import warnings
from dataclasses import dataclass

import numpy as np
import astropy.units as u

from ..exceptions import UserError

__all__ = ["FilterCurve", "read_filter_curve", "check_filter_curve"]


@dataclass(frozen=True)
class FilterCurve:
    """A sampled filter throughput curve.

    Between samples the throughput is interpolated; outside them it is zero.

    Attributes
    ----------
    wavelengths : `numpy.ndarray`
        Strictly increasing sample positions, in ``unit``.
    throughput : `numpy.ndarray`
        The non-negative throughput at each sample. Only relative values
        matter to a weighted mean.
    unit : `~astropy.units.UnitBase` or None
        The unit of ``wavelengths`` (a length), or None when the positions
        are pixel indices along the spectral axis of a cube (0 is the
        centre of the first plane).
    name : str
        A short name for headers and file names: the HST curve's name, the
        file's base name without extension, or ``"filter"``.
    stand_in_for : str or None
        When another camera's curve stands in for the filter of an image
        (WFPC2 F814W by ACS/WFC F814W), which filter (``"WFPC2 F814W"``).

    Examples
    --------
    >>> import astropy.units as u
    >>> curve = FilterCurve(np.array([5000.0, 6000.0, 7000.0]), np.array([0.0, 1.0, 0.0]),
    ...                     u.AA, name="triangle")
    >>> curve.name, curve.unit
    ('triangle', Unit("Angstrom"))
    """

    wavelengths: np.ndarray
    throughput: np.ndarray
    unit: object
    name: str = "filter"
    stand_in_for: object = None

    def to_angstrom(self):
        """Return the wavelengths in Angstrom (not for pixel-unit curves).

        Examples
        --------
        >>> curve = read_filter_curve([500.0, 600.0], [1.0, 1.0], unit_wave=u.nm)
        >>> curve.to_angstrom()
        array([5000., 6000.])
        """
        if self.unit is None:
            raise ValueError("a curve in pixel units has no wavelengths")
        return (self.wavelengths * self.unit).to_value(u.AA)


def check_filter_curve(wavelengths, throughput, argname="filter"):
    """Check that a filter curve is usable, else raise `UserError`.

    Parameters
    ----------
    wavelengths, throughput : array-like
        The curve: 1D, the same length, at least 2 samples, finite,
        wavelengths strictly increasing, throughput non-negative and not
        zero everywhere.
    argname : str
        The argument or file name to quote in error messages.

    Returns
    -------
    wavelengths, throughput : `numpy.ndarray`
        Float64 copies.

    Examples
    --------
    >>> check_filter_curve([5000, 6000, 5500], [0, 1, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: filter: the wavelengths must increase, ...
    """
    try:
        wave = np.array(wavelengths, dtype=float)
        thru = np.array(throughput, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{argname}: the filter curve must be numbers ({exc})") from None
    if wave.ndim != 1 or thru.ndim != 1 or wave.shape != thru.shape:
        raise UserError(f"{argname}: the wavelengths and sensitivities must be 1D "
                        f"arrays of equal length, not of shapes {wave.shape} and "
                        f"{thru.shape}")
    if wave.size < 2:
        raise UserError(f"{argname}: the filter curve needs at least 2 samples, "
                        f"not {wave.size}")
    if not (np.all(np.isfinite(wave)) and np.all(np.isfinite(thru))):
        raise UserError(f"{argname}: the filter curve contains NaN or infinite values")
    steps = np.diff(wave)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        raise UserError(f"{argname}: the wavelengths must increase, but sample {i} "
                        f"({wave[i]:.6g}) follows {wave[i - 1]:.6g}")
    if np.any(thru < 0):
        i = int(np.argmax(thru < 0))
        raise UserError(f"{argname}: the throughput must not be negative, but it is "
                        f"{thru[i]:.6g} at {wave[i]:.6g}")
    if not np.any(thru > 0):
        raise UserError(f"{argname}: the throughput is zero everywhere")
    return wave, thru


def _curve_from_ascii(path, unit_wave, argname):
    label = f"{argname}: {path}"
    with warnings.catch_warnings():
        # numpy warns, rather than raising, on a file with no data rows.
        warnings.simplefilter("ignore", UserWarning)
        try:
            table = np.loadtxt(path, comments="#", usecols=(0, 1), ndmin=2)
        except UnicodeDecodeError:
            raise UserError(f"{label} is not a text file of wavelengths and "
                            "throughputs") from None
        except (ValueError, IndexError) as exc:
            raise UserError(f"{label} is not a two-column table of numbers, or it "
                            f"is truncated ({exc})") from None
        except OSError as exc:
            raise UserError(f"{label} cannot be read ({exc})") from None
    if table.shape[0] == 0:
        raise UserError(f"{label} contains no filter curve (no rows of numbers)")
    wave, thru = check_filter_curve(table[:, 0], table[:, 1], label)
    name = os.path.basename(path).split(".")[0] or "filter"
    return FilterCurve(wave, thru, unit_wave, name)


def _curve_from_spectral_element(bandpass, argname):
    waveset = bandpass.waveset
    if waveset is None:
        raise UserError(f"{argname}: the synphot bandpass has no wavelength "
                        "sampling (waveset is None); sample it explicitly")
    throughput = bandpass(waveset)
    wave, thru = check_filter_curve(waveset.to_value(u.AA),
                                    np.asarray(getattr(throughput, "value", throughput)),
                                    argname)
    meta = getattr(bandpass, "meta", None) or {}
    name = str(meta.get("name") or meta.get("expr") or "filter")
    return FilterCurve(wave, thru, u.AA, name, meta.get("stand_in_for"))


def _curve_from_table(table, unit_wave, argname):
    """The first two columns of an astropy Table: wavelength and throughput."""
    if len(table.colnames) < 2:
        raise UserError(f"{argname}: a filter-curve table needs two columns (wavelength, "
                        f"throughput), not {table.colnames}")
    wave, thru = table.columns[0], table.columns[1]
    name = str(table.meta.get("name", "filter"))
    if getattr(wave, "unit", None) is not None:
        curve = _curve_from_quantity(u.Quantity(wave), np.asarray(thru), argname)
        return FilterCurve(curve.wavelengths, curve.throughput, curve.unit, name)
    wave, thru = check_filter_curve(np.asarray(wave), np.asarray(thru), argname)
    return FilterCurve(wave, thru, None if unit_wave is None else u.Unit(unit_wave), name)


def _is_fits_name(path):
    return path.lower().endswith((".fits", ".fits.gz", ".fit", ".fts"))


def _curve_from_fits(path, unit_wave, argname):
    """A FITS file: a throughput table, or an archive image whose header names
    its camera and filter (whose curve, or a stand-in, is then used)."""
    from astropy.io import fits
    from astropy.table import Table
    from ..bandpasses import image_filter_bandpass
    from ..io import open_fits, merged_header

    with open_fits(path, argname) as hdulist:
        tables = [hdu for hdu in hdulist if isinstance(hdu, fits.BinTableHDU)]
        images = [hdu for hdu in hdulist if hdu.is_image and hdu.header.get("NAXIS", 0)]
        if images:
            header = merged_header(hdulist[0].header if images[0] is not hdulist[0]
                                   else None, images[0].header)
            return _curve_from_spectral_element(
                image_filter_bandpass(header, argname=f"{argname}: {path}"), argname)
        if tables:
            table = Table.read(tables[0])
            table.meta["name"] = os.path.basename(path).split(".")[0]
            return _curve_from_table(table, unit_wave, f"{argname}: {path}")
    raise UserError(f"{argname}: {path} holds neither an image nor a table")


def _curve_from_quantity(wavelengths, sensitivities, argname):
    try:
        wave = wavelengths.to_value(u.AA, equivalencies=u.spectral())
    except u.UnitConversionError:
        raise UserError(f"{argname}: the wavelengths have unit {wavelengths.unit}, "
                        "which is not a wavelength, frequency or energy") from None
    thru = np.asarray(getattr(sensitivities, "value", sensitivities), dtype=float)
    if wave.ndim == 1 and wave.size > 1 and wave[0] > wave[-1] \
            and wavelengths.unit.physical_type != "length":
        # Increasing frequencies or energies are decreasing wavelengths.
        wave, thru = wave[::-1], thru[::-1]
    wave, thru = check_filter_curve(wave, thru, argname)
    return FilterCurve(wave, thru, u.AA, "filter")


def read_filter_curve(wavelengths, sensitivities=None, unit_wave=u.AA,
                      argname="filter"):
    """Read a filter curve from any of the forms users have it in.

    Parameters
    ----------
    wavelengths : array-like, `~astropy.units.Quantity`, str, `os.PathLike`, `~astropy.table.Table` or `synphot.SpectralElement`
        With ``sensitivities``: the wavelengths of the samples, increasing
        (a Quantity carries its own unit). Without: an ASCII file of two
        columns, wavelength and throughput (``#`` comment lines allowed,
        further columns ignored), an astropy Table (its first two columns;
        a unit on the first is used), a synphot bandpass, an HST or JWST
        filter name such as ``"F775W"``, ``"WFC3_UVIS_F606W"`` or
        ``"NIRCAM_F090W"`` (see
        `~imphot_astropy.bandpasses.hst_filter_bandpass`), or a FITS file:
        a throughput table, or an archive image whose header names its
        camera and filter (the curve of that filter, or of the same filter
        of another HST camera when its own is not installed, with a
        `~imphot_astropy.bandpasses.FilterStandInWarning`).
    sensitivities : array-like, optional
        The throughput at each wavelength; only relative values matter.
    unit_wave : `~astropy.units.UnitBase` or None
        The unit of plain wavelength arrays and of ASCII files; None means
        pixel indices along the spectral axis of the cube.
    argname : str
        The argument name to quote in error messages.

    Returns
    -------
    curve : `FilterCurve`

    Raises
    ------
    UserError
        For a missing, empty or truncated file, an unknown filter name, or
        a curve whose wavelengths do not increase or whose throughput is
        negative.

    Examples
    --------
    >>> curve = read_filter_curve("F606W")
    >>> curve.name, curve.unit
    ('acs_wfc_f606w', Unit("Angstrom"))
    >>> read_filter_curve([6000, 7000], [1, -1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: filter: the throughput must not be negative, ...
    """
    if sensitivities is not None:
        if isinstance(wavelengths, u.Quantity):
            return _curve_from_quantity(wavelengths, sensitivities, argname)
        wave, thru = check_filter_curve(wavelengths, sensitivities, argname)
        return FilterCurve(wave, thru, None if unit_wave is None else u.Unit(unit_wave))
    if isinstance(wavelengths, FilterCurve):
        return wavelengths
    if isinstance(wavelengths, (str, os.PathLike)):
        path = os.fspath(wavelengths)
        if os.path.isdir(path):
            raise UserError(f"{argname}: {path} is a directory, not a filter curve")
        if os.path.exists(path) and _is_fits_name(path):
            return _curve_from_fits(path, unit_wave, argname)
        if os.path.exists(path):
            return _curve_from_ascii(path, None if unit_wave is None else u.Unit(unit_wave),
                                     argname)
        from ..bandpasses import hst_filter_bandpass

        try:
            bandpass = hst_filter_bandpass(path)
        except UserError as exc:
            raise UserError(f"{argname}: '{path}' is neither an existing file nor a "
                            f"known HST filter; {exc.message.split('; ', 1)[-1]}") from None
        return _curve_from_spectral_element(bandpass, argname)
    if hasattr(wavelengths, "waveset") and callable(wavelengths):
        return _curve_from_spectral_element(wavelengths, argname)
    from astropy.table import Table

    if isinstance(wavelengths, Table):
        return _curve_from_table(wavelengths, unit_wave, argname)
    raise UserError(f"{argname}: expected a file name, an HST filter name, a synphot "
                    f"bandpass, a Table, or wavelengths with sensitivities, not "
                    f"{type(wavelengths).__name__}")
