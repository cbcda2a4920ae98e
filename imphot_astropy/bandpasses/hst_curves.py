"""Throughput curves of HST and JWST filters, as synphot spectral elements.

The curves come from the ``astro-sedpy`` package (PyPI), which ships the
STScI total-system throughput tables of the ACS/WFC, WFC3/UVIS and WFC3/IR
filters and the NIRCam curves (both modules, and each module) of JWST. They
are read through sedpy's own `sedpy.observate.Filter`, which also drops the
leading and trailing samples below 1e-5 of the peak (their integrated
response is a few parts in a million of the total), so that a curve only
spans the wavelengths where the filter transmits.

No package ships WFPC2 (or ACS/HRC) curves. For those, the filter of the
same name of another HST camera stands in: WFPC2 F814W by ACS/WFC F814W
(their pivot wavelengths differ by 0.8%, 7996 against 8057 Angstrom), with a
`FilterStandInWarning` that names both, and a note in the curve's ``meta``
that the callers copy into their results. The image's own PHOTFLAM still
calibrates it; only the spectral weighting of the MUSE image is borrowed.
"""

import functools
import re
import warnings

import numpy as np
import astropy.units as u
from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from .cameras import (ACS_WFC, ACS_HRC, WFC3_UVIS, WFC3_IR, WFPC2, NIRCAM, NIRCAM_A,
                      NIRCAM_B, HST_CAMERAS, split_camera_filter)

__all__ = ["hst_filter_bandpass", "hst_filter_curve_names", "camera_filter_bandpass",
           "image_filter_bandpass",
           "FilterStandInWarning"]

# The sedpy curve-name prefix of each camera that has curves.
_CURVE_PREFIXES = {ACS_WFC: "acs_wfc", WFC3_UVIS: "wfc3_uvis", WFC3_IR: "wfc3_ir",
                   NIRCAM: "jwst", NIRCAM_A: "jwst_moda", NIRCAM_B: "jwst_modb"}

# Which cameras' curves may stand in for a camera's own, in order of
# preference. HST cameras for HST cameras: ACS/WFC first (the camera of the
# deep fields, with the widest optical filter set), then WFC3/UVIS for the
# optical and WFC3/IR for the near infrared. A NIRCam module's curve is
# replaced by the mean of both modules. JWST never stands in for HST, nor
# HST for JWST.
_STAND_INS = {WFPC2: (ACS_WFC, WFC3_UVIS, WFC3_IR), ACS_HRC: (ACS_WFC, WFC3_UVIS),
              ACS_WFC: (WFC3_UVIS, WFC3_IR), WFC3_UVIS: (ACS_WFC,), WFC3_IR: (),
              NIRCAM_A: (NIRCAM,), NIRCAM_B: (NIRCAM,), NIRCAM: ()}

# A bare filter name means ACS/WFC, the camera of the deep fields MUSE
# observes (HDFS, UDF, CANDELS).
_DEFAULT_CAMERA = ACS_WFC

# NIRCam names in sedpy are "jwst_f090w": tell them from MIRI and NIRISS
# ("jwst_f560w", "jwst_niriss_f090w") by the wavelength in the name.
_NIRCAM_FILTER = re.compile(r"f(0[5-9]|[1-4]\d)\d(w2|w|m|n)")


class FilterStandInWarning(AstropyUserWarning):
    """The curve of another camera's filter of the same name stands in.

    The spectral weighting of the MUSE image is then that of the stand-in
    (for example ACS/WFC F814W for WFPC2 F814W, whose pivot wavelengths
    differ by 0.8%); pass the camera's own curve to avoid it.

    Examples
    --------
    >>> issubclass(FilterStandInWarning, UserWarning)
    True
    """


def _sedpy_filter_directory():
    from importlib.resources import files

    return files("sedpy") / "data" / "filters"


def _is_resolvable(name):
    for camera, prefix in _CURVE_PREFIXES.items():
        if not name.startswith(prefix + "_"):
            continue
        rest = name[len(prefix) + 1:]
        if camera in (NIRCAM, NIRCAM_A, NIRCAM_B):
            if _NIRCAM_FILTER.fullmatch(rest):
                return True
        elif "_" not in rest:
            return True
    return False


@functools.lru_cache(maxsize=1)
def _installed_curve_names():
    names = []
    for entry in _sedpy_filter_directory().iterdir():
        name = entry.name
        if name.endswith(".par") and _is_resolvable(name[:-len(".par")]):
            names.append(name[:-len(".par")])
    return tuple(sorted(names))


def hst_filter_curve_names():
    """Return the names of the filter curves that can be resolved.

    Returns
    -------
    names : list of str
        Lower-case sedpy curve names such as ``"acs_wfc_f775w"``,
        ``"wfc3_uvis_f606w"`` or ``"jwst_f090w"`` (NIRCam, both modules).

    Examples
    --------
    >>> names = hst_filter_curve_names()
    >>> "acs_wfc_f606w" in names and "jwst_f090w" in names
    True
    """
    return list(_installed_curve_names())


@functools.lru_cache(maxsize=32)
def _load_curve(curve_name):
    import sedpy.observate

    sedpy_filter = sedpy.observate.Filter(curve_name)
    wavelengths = np.array(sedpy_filter.wavelength, dtype=float)
    throughput = np.array(sedpy_filter.transmission, dtype=float)
    wavelengths.flags.writeable = False
    throughput.flags.writeable = False
    return wavelengths, throughput


def _spectral_element(curve_name, meta):
    from synphot import SpectralElement, Empirical1D

    wavelengths, throughput = _load_curve(curve_name)
    return SpectralElement(Empirical1D, points=wavelengths * u.AA,
                           lookup_table=throughput, keep_neg=False,
                           fill_value=0.0, meta=dict(meta, name=curve_name))


def _curve_name(camera, filter_name):
    prefix = _CURVE_PREFIXES.get(camera)
    if prefix is None or not re.fullmatch(r"[A-Z0-9]+", filter_name or ""):
        return None
    name = f"{prefix}_{filter_name.lower()}"
    return name if name in _installed_curve_names() else None


def _known_filters(camera):
    prefix = _CURVE_PREFIXES.get(camera)
    if prefix is None:
        return "none installed"
    names = [n[len(prefix) + 1:].upper() for n in _installed_curve_names()
             if n.startswith(prefix + "_") and "_" not in n[len(prefix) + 1:]]
    return ", ".join(names) or "none installed"


def camera_filter_bandpass(camera, filter_name, argname="filter"):
    """The throughput of a camera's filter, or of a stand-in, as synphot element.

    Parameters
    ----------
    camera : str or None
        ``"ACS/WFC"``, ``"ACS/HRC"``, ``"WFC3/UVIS"``, ``"WFC3/IR"``,
        ``"WFPC2"``, ``"NIRCAM"`` (or ``"NIRCAM/A"``, ``"NIRCAM/B"`` for one
        module); None means ACS/WFC.
    filter_name : str
        The bare filter name, e.g. ``"F814W"``.
    argname : str
        The argument or file to quote in errors.

    Returns
    -------
    bandpass : `synphot.SpectralElement`
        ``meta["name"]`` is the curve's name; ``meta["camera"]`` and
        ``meta["filter"]`` say what was asked for, and when another camera's
        curve stands in, ``meta["stand_in_for"]`` says for which
        (``"WFPC2 F814W"``), after a `FilterStandInWarning`.

    Raises
    ------
    UserError
        If neither the camera's curve nor a stand-in is installed; the
        message names what was looked for and how to pass a curve.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     bp = camera_filter_bandpass("WFPC2", "F814W")
    >>> bp.meta["name"], bp.meta["stand_in_for"]
    ('acs_wfc_f814w', 'WFPC2 F814W')
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    no WFPC2 F814W throughput curve is installed; ACS/WFC F814W stands in for it ...
    """
    camera = camera or _DEFAULT_CAMERA
    filter_name = str(filter_name).strip().upper()
    meta = {"camera": camera, "filter": filter_name}
    own = _curve_name(camera, filter_name)
    if own is not None:
        return _spectral_element(own, meta)
    looked_for = [f"{camera} {filter_name}"]
    for other in _STAND_INS.get(camera, ()):
        name = _curve_name(other, filter_name)
        looked_for.append(f"{other} {filter_name}")
        if name is not None:
            what = f"{camera} {filter_name}"
            warnings.warn(f"no {what} throughput curve is installed; {other} "
                          f"{filter_name} stands in for it ({name}), so the MUSE image "
                          f"has that camera's spectral weighting; pass the {what} curve "
                          "(a synphot SpectralElement, a table or a two-column file) to "
                          # One place of issue: a run shows each such warning once.
                          "use its own", FilterStandInWarning, stacklevel=1)
            return _spectral_element(name, dict(meta, stand_in_for=what))
    if camera in HST_CAMERAS or camera == _DEFAULT_CAMERA:
        family = "HST"
    else:
        family = "JWST"
    raise UserError(f"{argname}: unknown {family} filter '{filter_name}' for {camera}: "
                    f"no throughput curve of {' or '.join(looked_for)} is installed "
                    f"(the {camera} curves installed are: {_known_filters(camera)}); "
                    "pass the filter's curve instead: a synphot SpectralElement, an "
                    "astropy Table or a two-column file of wavelength (Angstrom) and "
                    "throughput")


def hst_filter_bandpass(name):
    """Return the throughput of an HST or JWST filter as a synphot spectral element.

    Parameters
    ----------
    name : str
        The filter: ``"F775W"`` (a bare name means ACS/WFC),
        ``"ACS_WFC_F775W"``, ``"acs_wfc_f775w"`` or ``"ACS/WFC/F775W"``.
        Other cameras are named with their prefix: ``"WFC3_UVIS_F606W"``,
        ``"wfc3_ir_f160w"``, ``"WFPC2_F814W"``, ``"NIRCAM_F090W"``. At
        least the ACS/WFC filters F435W, F475W, F555W, F606W, F625W, F775W,
        F814W and F850LP are available; see `hst_filter_curve_names` for the
        full list, and `camera_filter_bandpass` for the stand-ins of cameras
        with no curve (WFPC2).

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
        If no curve of that name (nor a stand-in) is known.

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
    >>> hst_filter_bandpass("NIRCam/F090W").meta["name"]
    'jwst_f090w'
    """
    camera, filter_name = split_camera_filter(name)
    return camera_filter_bandpass(camera, filter_name, argname="filter")


def image_filter_bandpass(header, filter_name=None, argname="hst"):
    """The throughput curve of the camera and filter that took an image.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`
        The image's merged primary and data headers (INSTRUME, DETECTOR,
        FILTER, FILTNAM1, PHOTMODE...).
    filter_name : str, optional
        The filter, to override the header or name it when the header does
        not (with a camera prefix, it overrides the camera too).
    argname : str
        The argument or file to quote in errors.

    Returns
    -------
    bandpass : `synphot.SpectralElement`
        As from `camera_filter_bandpass` (a stand-in for WFPC2, with a
        warning and ``meta["stand_in_for"]``).

    Raises
    ------
    UserError
        If the header names no filter and none is given, or no curve is
        installed for it.

    Examples
    --------
    >>> from astropy.io import fits
    >>> header = fits.Header({"INSTRUME": "WFC3", "DETECTOR": "UVIS", "FILTER": "F814W"})
    >>> image_filter_bandpass(header).meta["name"]
    'wfc3_uvis_f814w'
    """
    from .cameras import camera_from_header, filter_from_header

    camera, bare = (None, None) if filter_name is None else split_camera_filter(filter_name)
    bare = bare or filter_from_header(header)
    if not bare:
        raise UserError(f"{argname}: the image's header names no filter (FILTER, "
                        "FILTER1/FILTER2, FILTNAM1 or PHOTMODE); give the filter's name "
                        "or its curve")
    return camera_filter_bandpass(camera or camera_from_header(header), bare,
                                  argname=argname)
