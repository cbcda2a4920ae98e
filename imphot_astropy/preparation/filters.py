"""Photometric characteristics of HST filters."""

import math
import os

import astropy.units as u

from ..exceptions import UserError
from ..io.hdus import merged_header

__all__ = ["HstFilterInfo"]

ACS_WFC = "ACS/WFC"
WFPC2 = "WFPC2"

# Published ACS/WFC photometric keywords (abmag_zero, pivot wavelength in
# Angstrom, PHOTFLAM in erg/cm2/s/Angstrom per electron/s, RMS bandwidth in
# Angstrom), as listed by STScI's ACS zeropoint and bandwidth tables and the
# XDF release.
_ACS_WFC_FILTERS = {
    "F435W": dict(abmag_zero=25.68, photplam=4328.2, photflam=3.11e-19, photbw=298.2),
    "F475W": dict(abmag_zero=26.06, photplam=4746.9, photflam=1.82e-19, photbw=420.2),
    "F555W": dict(abmag_zero=25.72, photplam=5361.0, photflam=1.96e-19, photbw=360.1),
    "F606W": dict(abmag_zero=26.51, photplam=5921.1, photflam=7.73e-20, photbw=672.3),
    "F625W": dict(abmag_zero=25.91, photplam=6311.4, photflam=1.18e-19, photbw=415.4),
    "F775W": dict(abmag_zero=25.69, photplam=7692.4, photflam=9.74e-20, photbw=434.4),
    "F814W": dict(abmag_zero=25.94, photplam=8057.0, photflam=7.05e-20, photbw=652.0),
    "F850LP": dict(abmag_zero=24.87, photplam=9033.1, photflam=1.50e-19, photbw=525.7),
}

# WFPC2 images are calibrated in DN (data numbers, "counts") per second, not
# electrons: the STScI pipeline (calwp2 with the May 1997 synphot tables)
# writes, for PHOTMODE 'WFPC2,1,A2D7,F606W,,CAL' (analog-to-digital gain 7
# electrons/DN, the gain of nearly all science observations, including the
# Hubble Deep Fields), PHOTFLAM = 1.89972e-18 erg/cm2/s/Angstrom per DN/s,
# PHOTPLAM = 6001.294 Angstrom and PHOTBW = 637.8062 Angstrom; these are the
# values in the HDF-S WFPC2 release headers (``HST-HDFS.fits``). abmag_zero
# follows from abmag_zero = -2.5 log10(photflam) - 5 log10(photplam) - 2.408.
_WFPC2_GAIN = 7.0
_WFPC2_FILTERS = {
    "F606W": dict(abmag_zero=23.00, photplam=6001.294, photflam=1.89972e-18,
                  photbw=637.8062),
}

_INSTRUMENTS = {
    ACS_WFC: dict(filters=_ACS_WFC_FILTERS, rate_unit=u.electron / u.s, gain=None),
    WFPC2: dict(filters=_WFPC2_FILTERS, rate_unit=u.DN / u.s, gain=_WFPC2_GAIN),
}

# Filter-wheel positions that mean "no filter" in ACS headers.
_CLEAR_POSITIONS = ("CLEAR1L", "CLEAR2L", "CLEAR1S", "CLEAR2S", "CLEAR")

# Instrument prefixes accepted in filter names, e.g. "ACS_WFC_F775W" (the
# spelling of astro-sedpy's curves), "ACS/WFC/F606W", "WFPC2_F606W".
_PREFIXES = (("ACS_WFC_", ACS_WFC), ("ACS/WFC/", ACS_WFC), ("ACS_WFC/", ACS_WFC),
             ("ACS/WFC_", ACS_WFC), ("WFC_", ACS_WFC), ("ACS_", ACS_WFC),
             ("WFPC2_", WFPC2), ("WFPC2/", WFPC2), ("WFPC2,", WFPC2))


def _split_filter_name(name):
    """Return (instrument or None, bare upper-case filter name)."""
    text = str(name).strip().upper()
    for prefix, instrument in _PREFIXES:
        if text.startswith(prefix):
            return instrument, text[len(prefix):].strip()
    return None, text


def _instrument_from_header(header):
    """ACS_WFC, WFPC2, or None when the header does not say."""
    if header is None:
        return None
    instrume = str(header.get("INSTRUME", "")).strip().upper()
    if instrume.startswith("WFPC2"):
        return WFPC2
    if instrume.startswith("ACS"):
        return ACS_WFC
    return None


def _string_value(header, key):
    value = header.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _filter_name_from_header(header):
    """The filter named by a header, or None.

    WFPC2 headers name the filters in FILTNAM1/FILTNAM2 (their FILTER1 and
    FILTER2 are wheel numbers); ACS headers in FILTER, or in FILTER1/FILTER2
    when the other wheel is at a CLEAR position.
    """
    if _instrument_from_header(header) == WFPC2:
        names = [_string_value(header, key) for key in ("FILTNAM1", "FILTNAM2")]
        names = [name for name in names if name]
        if len(names) == 1:
            return names[0]
    name = _string_value(header, "FILTER")
    if name:
        return name
    for key in ("FILTER1", "FILTER2"):
        value = _string_value(header, key)
        if value and value.upper() not in _CLEAR_POSITIONS:
            return value
    return None


def _header_of(hst):
    """The merged primary + data header of an HST image, reading no pixels."""
    from astropy.io import fits
    from astropy.nddata import NDData
    from ..io import ImageData, open_fits, header_from_meta

    if isinstance(hst, fits.Header):
        return hst
    if isinstance(hst, ImageData):
        return merged_header(hst.primary_header, hst.header)
    if isinstance(hst, NDData):
        return header_from_meta(hst.meta, copy=True)
    if isinstance(hst, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        return hst.header
    if isinstance(hst, fits.HDUList):
        return _merge_hdulist_headers(hst, hst.filename() or "hst")
    if isinstance(hst, (str, os.PathLike)):
        path = os.fspath(hst)
        with open_fits(path, "hst") as hdulist:
            return _merge_hdulist_headers(hdulist, path)
    raise UserError(f"hst: expected a filter name, a FITS header, file, HDU or "
                    f"image, not {type(hst).__name__}")


def _merge_hdulist_headers(hdulist, label):
    from ..io import data_headers

    _, header, primary = data_headers(hdulist, label)
    return merged_header(primary, header)


def _looks_like_file_name(text):
    return (text.lower().endswith((".fits", ".fits.gz", ".fit", ".fts"))
            or os.path.isfile(text))


class HstFilterInfo:
    """The photometric characteristics of an HST filter.

    Known filters: ACS/WFC F435W, F475W, F555W, F606W, F625W, F775W, F814W,
    F850LP (calibrated in electrons/s), and WFPC2 F606W (calibrated in DN/s
    at the usual analog-to-digital gain of 7 electrons/DN).

    Parameters
    ----------
    hst : str, `~astropy.io.fits.Header`, or an image
        A filter name such as ``"F606W"``, ``"ACS_WFC_F775W"`` or
        ``"WFPC2_F606W"``; or a FITS header, or an HST image (file name, HDU,
        HDUList, NDData/CCDData, `~imphot_astropy.io.ImageData`) whose header
        names the filter (FILTER, FILTER1/FILTER2 at a position that is not
        CLEAR, or for WFPC2 FILTNAM1/FILTNAM2). Only headers are read.
    filter_name : str, optional
        The filter to use when the header does not say (for example
        ``HST-HDFS.fits``, which has no FILTER keyword), or to override it.
        A name without an instrument prefix refers to the instrument named
        by the header's INSTRUME keyword, else to ACS/WFC.

    Attributes
    ----------
    filter_name : str
        The name of the filter, upper case, without instrument prefix.
    instrument : str
        ``"ACS/WFC"`` or ``"WFPC2"``.
    rate_unit : `~astropy.units.UnitBase`
        The count-rate unit that `photflam` refers to: electron/s for
        ACS/WFC, DN/s for WFPC2.
    gain : float or None
        Electrons per DN of the calibration (WFPC2), None for ACS/WFC.
    abmag_zero : float
        The AB magnitude of a source giving 1 `rate_unit`.
    photflam : float
        The flux density (erg/cm2/s/Angstrom) of a source giving 1
        `rate_unit`. It satisfies
        ``abmag_zero = -2.5 log10(photflam) - 5 log10(photplam) - 2.408``.
    photplam : float
        The pivot wavelength of the filter (Angstrom).
    photbw : float
        The RMS bandwidth of the filter (Angstrom).

    Raises
    ------
    UserError
        If the filter is unknown, or the header does not name one and no
        ``filter_name`` is given.

    Examples
    --------
    >>> info = HstFilterInfo("F606W")
    >>> info.photplam, info.photflam
    (5921.1, 7.73e-20)
    >>> HstFilterInfo("WFPC2_F606W").rate_unit
    Unit("DN / s")
    """

    def __init__(self, hst, filter_name=None):
        header = None
        if isinstance(hst, str) and not _looks_like_file_name(hst) and filter_name is None:
            name = hst
        else:
            header = _header_of(hst)
            name = filter_name if filter_name is not None else _filter_name_from_header(header)
            if name is None:
                raise UserError("hst: the HST image header has no FILTER keyword "
                                "(nor FILTER1/FILTER2 or FILTNAM1 naming a filter); "
                                "give the filter name explicitly (filter_name=, "
                                "or --filter on the command line)")
        instrument, bare = _split_filter_name(name)
        if instrument is None:
            instrument = _instrument_from_header(header) or ACS_WFC
        table = _INSTRUMENTS[instrument]
        try:
            info = table["filters"][bare]
        except KeyError:
            known = "; ".join(f"{inst}: {', '.join(sorted(spec['filters']))}"
                              for inst, spec in _INSTRUMENTS.items())
            raise UserError(f"filter: unknown HST filter '{name}' for {instrument}; "
                            f"known filters are {known}") from None
        self._check_gain(header, instrument)
        self.filter_name = bare
        self.instrument = instrument
        self.rate_unit = table["rate_unit"]
        self.gain = table["gain"]
        self.abmag_zero = info["abmag_zero"]
        self.photflam = info["photflam"]
        self.photplam = info["photplam"]
        self.photbw = info["photbw"]

    @staticmethod
    def _check_gain(header, instrument):
        """Refuse WFPC2 data taken at a gain whose calibration is not tabulated."""
        if instrument != WFPC2 or header is None or header.get("ATODGAIN") is None:
            return
        try:
            gain = float(header["ATODGAIN"])
        except (TypeError, ValueError):
            return
        if abs(gain - _WFPC2_GAIN) > 1e-6:
            raise UserError(f"hst: ATODGAIN = {gain:g}; only the WFPC2 calibration "
                            f"at gain {_WFPC2_GAIN:g} electrons/DN is known")

    @property
    def flam_unit(self):
        """The unit of `photflam`: erg / (s cm2 Angstrom)."""
        return u.erg / (u.s * u.cm**2 * u.AA)

    def equivalencies(self):
        """Astropy unit equivalencies from HST count rates to flux density.

        With these, ``(1 * rate).to(flux_unit, equivalencies=...)`` converts
        a count rate (electron/s, or for WFPC2 DN/s or count/s, and
        electron/s through the gain) to any flux-density-per-wavelength unit.

        Returns
        -------
        equivalencies : list of tuple

        Examples
        --------
        >>> import astropy.units as u
        >>> info = HstFilterInfo("F775W")
        >>> (1 * u.electron / u.s).to(1e-20 * info.flam_unit,
        ...                           equivalencies=info.equivalencies())
        <Quantity 9.74 1e-20 erg / (Angstrom s cm2)>
        """
        flam = self.flam_unit
        photflam = self.photflam
        pairs = [(self.rate_unit, photflam)]
        if self.instrument == WFPC2:
            # WFPC2 "counts" are DN; electrons convert through the gain.
            pairs += [(u.count / u.s, photflam), (u.electron / u.s, photflam / self.gain)]
        return [(rate, flam, (lambda x, f=f: x * f), (lambda x, f=f: x / f))
                for rate, f in pairs]

    @staticmethod
    def photflam_from_abmag(abmag_zero, photplam):
        """PHOTFLAM implied by an AB zero point and a pivot wavelength.

        Examples
        --------
        >>> round(HstFilterInfo.photflam_from_abmag(26.51, 5921.1) / 7.73e-20, 2)
        1.0
        """
        return 10.0**(-0.4 * abmag_zero - 2.0 * math.log10(photplam) - 0.9632)

    def bandpass(self):
        """The filter's throughput as a `synphot.SpectralElement`.

        The curves are the STScI tables shipped by the astro-sedpy package
        (ACS/WFC and WFC3); it has none for WFPC2.

        Examples
        --------
        >>> bp = HstFilterInfo("F775W").bandpass()
        >>> round(float(bp.pivot().value) / 7692.4, 3)
        1.0
        """
        from ..bandpasses import hst_filter_bandpass

        if self.instrument != ACS_WFC:
            raise UserError(f"filter: no throughput curve of {self.instrument} "
                            f"{self.filter_name} is available (astro-sedpy ships "
                            "ACS/WFC and WFC3 curves only)")
        return hst_filter_bandpass(self.filter_name)

    def __repr__(self):
        return (f"HstFilterInfo(filter_name={self.filter_name!r}, "
                f"instrument={self.instrument!r}, "
                f"abmag_zero={self.abmag_zero}, photplam={self.photplam}, "
                f"photflam={self.photflam}, photbw={self.photbw})")
