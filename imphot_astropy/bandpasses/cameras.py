"""Which camera and filter took an image, from a filter name or a FITS header.

The archives name them in different keywords: HST drizzled products put
INSTRUME, DETECTOR and FILTER (ACS: FILTER1/FILTER2, one of them at a CLEAR
position; WFPC2: FILTNAM1/FILTNAM2, its FILTER1/FILTER2 being wheel numbers)
in the primary header and PHOTMODE (``'WFPC2,1,A2D7,F814W,,CAL'``,
``'ACS WFC1 F775W MJD#57000'``, ``'WFC3,UVIS1,F606W'``) in the SCI header;
JWST i2d images put INSTRUME (``'NIRCAM'``), DETECTOR (``'NRCB1'``, or
``'MULTIPLE'`` for a mosaic) and FILTER in the primary header. The caller
merges the headers; this module only reads keywords.
"""

import re

__all__ = ["ACS_WFC", "ACS_HRC", "WFC3_UVIS", "WFC3_IR", "WFPC2", "NIRCAM", "HST_CAMERAS",
           "split_camera_filter", "camera_from_header", "filter_from_header"]

ACS_WFC = "ACS/WFC"
ACS_HRC = "ACS/HRC"
WFC3_UVIS = "WFC3/UVIS"
WFC3_IR = "WFC3/IR"
WFPC2 = "WFPC2"
NIRCAM = "NIRCAM"
# The cameras of one NIRCam module (their curves differ by a few percent).
NIRCAM_A = "NIRCAM/A"
NIRCAM_B = "NIRCAM/B"

#: The HST cameras (their filters of the same name can stand in for each
#: other's curves, see `~imphot_astropy.bandpasses.camera_filter_bandpass`).
HST_CAMERAS = (ACS_WFC, ACS_HRC, WFC3_UVIS, WFC3_IR, WFPC2)

# Prefixes of filter names, after lower-casing and turning "/", ",", "-"
# and spaces into "_": "ACS/WFC/F775W", "WFC3_UVIS_F606W", "wfpc2_f814w",
# "NIRCam F090W", and sedpy's own curve names ("jwst_moda_f090w"). Longest
# first, so that "acs_wfc_" wins over "acs_".
_NAME_PREFIXES = (
    ("wfc3_uvis_", WFC3_UVIS), ("wfc3_ir_", WFC3_IR), ("acs_wfc_", ACS_WFC),
    ("acs_hrc_", ACS_HRC), ("jwst_nircam_", NIRCAM), ("jwst_moda_", NIRCAM_A),
    ("jwst_modb_", NIRCAM_B), ("nircam_a_", NIRCAM_A), ("nircam_b_", NIRCAM_B),
    ("nircam_", NIRCAM), ("wfpc2_", WFPC2), ("jwst_", NIRCAM), ("acs_", ACS_WFC),
    ("wfc_", ACS_WFC), ("uvis_", WFC3_UVIS), ("ir_", WFC3_IR))

# Filter-wheel positions that mean "no filter" in ACS headers.
_CLEAR_POSITIONS = ("CLEAR1L", "CLEAR2L", "CLEAR1S", "CLEAR2S", "CLEAR")

# A filter in a PHOTMODE or a name: F606W, F850LP, F098M, F502N, F1000W...
_FILTER_PATTERN = re.compile(r"F\d{3,4}(W2|W|LP|M|N|X)?")


def split_camera_filter(name):
    """Split a filter name into its camera (or None) and the bare filter.

    Parameters
    ----------
    name : str
        ``"F775W"``, ``"ACS_WFC_F775W"``, ``"ACS/WFC/F775W"``,
        ``"WFC3_UVIS_F606W"``, ``"WFPC2_F814W"``, ``"NIRCAM_F090W"``...

    Returns
    -------
    camera : str or None
        ``"ACS/WFC"``, ``"WFC3/UVIS"``, ``"WFC3/IR"``, ``"WFPC2"``,
        ``"NIRCAM"``... or None when the name has no camera prefix.
    filter_name : str
        The filter, upper case.

    Examples
    --------
    >>> split_camera_filter("wfc3/uvis/f606w")
    ('WFC3/UVIS', 'F606W')
    >>> split_camera_filter(" F814W ")
    (None, 'F814W')
    """
    text = re.sub(r"[/\s,-]+", "_", str(name).strip()).lower()
    for prefix, camera in _NAME_PREFIXES:
        if text.startswith(prefix):
            return camera, text[len(prefix):].strip("_").upper()
    return None, text.strip("_").upper()


def _text(header, key):
    value = header.get(key) if header is not None else None
    if isinstance(value, str) and value.strip():
        return value.strip().upper()
    return None


def _photmode_parts(header):
    """PHOTMODE's comma- or space-separated parts, upper case."""
    photmode = _text(header, "PHOTMODE")
    if photmode is None:
        return []
    return [part for part in re.split(r"[,\s]+", photmode) if part]


def camera_from_header(header):
    """The camera named by a header, or None when it names none.

    INSTRUME and DETECTOR first, else PHOTMODE (``'WFC3,IR,F160W'``).

    Parameters
    ----------
    header : `~astropy.io.fits.Header` or None
        The merged primary and data headers.

    Returns
    -------
    camera : str or None

    Examples
    --------
    >>> from astropy.io import fits
    >>> camera_from_header(fits.Header({"INSTRUME": "WFC3", "DETECTOR": "UVIS"}))
    'WFC3/UVIS'
    >>> camera_from_header(fits.Header({"PHOTMODE": "WFPC2,1,A2D7,F814W,,CAL"}))
    'WFPC2'
    """
    if header is None:
        return None
    instrument = _text(header, "INSTRUME")
    detector = _text(header, "DETECTOR")
    if instrument is None:
        parts = _photmode_parts(header)
        instrument = parts[0] if parts else None
        if detector is None and len(parts) > 1:
            detector = parts[1]
    if instrument is None:
        return None
    if instrument.startswith("WFPC2"):
        return WFPC2
    if instrument.startswith("ACS"):
        return ACS_HRC if detector is not None and detector.startswith("HRC") else ACS_WFC
    if instrument.startswith("WFC3"):
        # Without DETECTOR, PHOTMODE says 'WFC3,IR,...' or 'WFC3,UVIS1,...'.
        if detector is None:
            detector = next((p for p in _photmode_parts(header) if p.startswith(("IR", "UVIS"))),
                            None)
        if detector is not None and detector.startswith("IR"):
            return WFC3_IR
        return WFC3_UVIS if detector is not None and detector.startswith("UVIS") else None
    if instrument.startswith("NIRCAM"):
        if detector is not None and detector.startswith("NRCA"):
            return NIRCAM_A
        if detector is not None and detector.startswith("NRCB"):
            return NIRCAM_B
        return NIRCAM
    return None


def filter_from_header(header):
    """The filter named by a header, or None.

    WFPC2 headers name the filter in FILTNAM1/FILTNAM2 (their FILTER1 and
    FILTER2 are wheel numbers); ACS headers in FILTER, or in FILTER1/FILTER2
    when the other wheel is at a CLEAR position; WFC3 and JWST headers in
    FILTER. PHOTMODE is the last resort.

    Parameters
    ----------
    header : `~astropy.io.fits.Header` or None

    Returns
    -------
    filter_name : str or None
        Upper case.

    Examples
    --------
    >>> from astropy.io import fits
    >>> filter_from_header(fits.Header({"INSTRUME": "WFPC2", "FILTNAM1": "F814W",
    ...                                 "FILTER1": 29}))
    'F814W'
    >>> filter_from_header(fits.Header({"FILTER1": "CLEAR1L", "FILTER2": "F850LP"}))
    'F850LP'
    """
    if header is None:
        return None
    names = [_text(header, key) for key in ("FILTNAM1", "FILTNAM2")]
    names = [name for name in names if name]
    if len(names) == 1:
        return names[0]
    name = _text(header, "FILTER")
    if name and name not in _CLEAR_POSITIONS:
        return name
    for key in ("FILTER1", "FILTER2"):
        value = _text(header, key)
        if value and value not in _CLEAR_POSITIONS:
            return value
    filters = [part for part in _photmode_parts(header) if _FILTER_PATTERN.fullmatch(part)]
    return filters[0] if len(filters) == 1 else None
