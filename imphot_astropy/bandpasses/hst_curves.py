"""Throughput curves of HST filters, as synphot spectral elements.

The curves come from the ``astro-sedpy`` package (PyPI), which ships the
STScI total-system throughput tables of the ACS/WFC, WFC3/UVIS and WFC3/IR
filters. They are read through sedpy's own `sedpy.observate.Filter`, which
also drops the leading and trailing samples below 1e-5 of the peak (their
integrated response is a few parts in a million of the total), so that a
curve only spans the wavelengths where the filter transmits.
"""

import functools
import re

import numpy as np
import astropy.units as u

from ..exceptions import UserError

__all__ = ["hst_filter_bandpass", "hst_filter_curve_names"]

# The instruments whose curves sedpy ships, as prefixes of its curve names
# ("acs_wfc_f775w"). A bare filter name ("F775W") means ACS/WFC, the camera
# of the deep fields MUSE observes (HDFS, UDF, CANDELS).
_INSTRUMENT_PREFIXES = ("acs_wfc", "wfc3_uvis", "wfc3_ir")
_DEFAULT_INSTRUMENT = "acs_wfc"


def _sedpy_filter_directory():
    from importlib.resources import files

    return files("sedpy") / "data" / "filters"


def hst_filter_curve_names():
    """Return the names of the HST filter curves that can be resolved.

    Returns
    -------
    names : list of str
        Lower-case sedpy curve names such as ``"acs_wfc_f775w"``.

    Examples
    --------
    >>> names = hst_filter_curve_names()
    >>> "acs_wfc_f606w" in names and "acs_wfc_f850lp" in names
    True
    """
    directory = _sedpy_filter_directory()
    names = []
    for entry in directory.iterdir():
        name = entry.name
        if name.endswith(".par") and name.startswith(_INSTRUMENT_PREFIXES):
            names.append(name[:-len(".par")])
    return sorted(names)


def _curve_name(name):
    """Turn "F775W", "ACS_WFC_F775W", "ACS/WFC/F775W" into "acs_wfc_f775w"."""
    text = re.sub(r"[/\s-]+", "_", str(name).strip()).lower()
    if not re.fullmatch(r"[a-z0-9_]+", text):
        return None
    if text.startswith(_INSTRUMENT_PREFIXES):
        return text
    if text.startswith("wfc_"):          # ACS/WFC's own short prefix
        text = text[len("wfc_"):]
    return f"{_DEFAULT_INSTRUMENT}_{text}"


@functools.lru_cache(maxsize=32)
def _load_curve(curve_name):
    import sedpy.observate

    sedpy_filter = sedpy.observate.Filter(curve_name)
    wavelengths = np.array(sedpy_filter.wavelength, dtype=float)
    throughput = np.array(sedpy_filter.transmission, dtype=float)
    wavelengths.flags.writeable = False
    throughput.flags.writeable = False
    return wavelengths, throughput


def hst_filter_bandpass(name):
    """Return the throughput of an HST filter as a synphot spectral element.

    Parameters
    ----------
    name : str
        The filter: ``"F775W"`` (a bare name means ACS/WFC),
        ``"ACS_WFC_F775W"``, ``"acs_wfc_f775w"`` or ``"ACS/WFC/F775W"``.
        WFC3 filters are named with their prefix, e.g. ``"WFC3_UVIS_F606W"``
        or ``"wfc3_ir_f160w"``. At least the ACS/WFC filters F435W, F475W,
        F555W, F606W, F625W, F775W, F814W and F850LP are available; see
        `hst_filter_curve_names` for the full list.

    Returns
    -------
    bandpass : `synphot.SpectralElement`
        The total-system throughput (telescope, optics, filter and detector)
        versus wavelength, sampled as tabulated by STScI (1 to 2 Angstrom),
        linearly interpolated between samples and zero outside them. Its
        ``meta["name"]`` holds the curve's name.

    Raises
    ------
    UserError
        If no curve of that name is known.

    Notes
    -----
    The pivot wavelengths that synphot computes from these curves agree
    with the published ACS/WFC PHOTPLAM values to better than 0.04%, and
    their ``photbw`` with the published PHOTBW to better than 0.3% (the
    published values come from later throughput tables whose red tails
    differ slightly).

    Examples
    --------
    >>> bp = hst_filter_bandpass("F775W")
    >>> bp.meta["name"]
    'acs_wfc_f775w'
    >>> round(bp.pivot().to_value("Angstrom"))
    7693
    """
    from synphot import SpectralElement, Empirical1D

    curve_name = _curve_name(name)
    known = hst_filter_curve_names()
    if curve_name not in known:
        acs = ", ".join(n[len("acs_wfc_"):].upper() for n in known
                        if n.startswith("acs_wfc_"))
        raise UserError(f"filter: unknown HST filter '{name}'; known ACS/WFC "
                        f"filters are {acs} (WFC3 filters need their prefix, "
                        "e.g. WFC3_UVIS_F606W)")
    wavelengths, throughput = _load_curve(curve_name)
    return SpectralElement(Empirical1D, points=wavelengths * u.AA,
                           lookup_table=throughput, keep_neg=False,
                           fill_value=0.0, meta={"name": curve_name})
