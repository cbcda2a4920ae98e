"""Photometric characteristics of HST filters."""

import math

from ..exceptions import UserError

__all__ = ["HstFilterInfo"]

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

# Filter-wheel positions that mean "no filter" in ACS headers.
_CLEAR_POSITIONS = ("CLEAR1L", "CLEAR2L", "CLEAR1S", "CLEAR2S", "CLEAR")


def _normalise_filter_name(name):
    text = str(name).strip().upper()
    for prefix in ("ACS_WFC_", "ACS/WFC/", "ACS_WFC/", "WFC_"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def _filter_name_from_header(header):
    if header.get("FILTER"):
        return str(header["FILTER"])
    for key in ("FILTER1", "FILTER2"):
        value = header.get(key)
        if value and str(value).strip().upper() not in _CLEAR_POSITIONS:
            return str(value)
    return None


class HstFilterInfo:
    """The photometric characteristics of an HST filter.

    Parameters
    ----------
    hst : str, `~astropy.io.fits.Header`, or an image
        A filter name such as ``"F606W"`` or ``"ACS_WFC_F775W"``, a FITS
        header, or an HST image (file name, HDU, NDData/CCDData) whose header
        has FILTER, or FILTER1/FILTER2 at a position that is not CLEAR.
    filter_name : str, optional
        The filter to use when the header does not say (for example
        ``HST-HDFS.fits``, which has no FILTER keyword).

    Attributes
    ----------
    filter_name : str
        The name of the filter, upper case, without instrument prefix.
    abmag_zero : float
        The AB magnitude of a source giving 1 electron/s.
    photflam : float
        The flux density (erg/cm2/s/Angstrom) of a source giving 1
        electron/s. It satisfies
        ``abmag_zero = -2.5 log10(photflam) - 5 log10(photplam) - 2.408``.
    photplam : float
        The pivot wavelength of the filter (Angstrom).
    photbw : float
        The RMS bandwidth of the filter (Angstrom).

    Examples
    --------
    >>> info = HstFilterInfo("F606W")
    >>> info.photplam, info.photflam
    (5921.1, 7.73e-20)
    """

    def __init__(self, hst, filter_name=None):
        if filter_name is not None:
            name = filter_name
        elif isinstance(hst, str) and not hst.lower().endswith((".fits", ".fits.gz", ".fit")):
            name = hst
        else:
            name = _filter_name_from_header(self._header_of(hst))
            if name is None:
                raise UserError("hst: the HST image header has no FILTER keyword "
                                "(nor FILTER1/FILTER2 naming a filter); give the "
                                "filter name explicitly")
        self.filter_name = _normalise_filter_name(name)
        try:
            info = _ACS_WFC_FILTERS[self.filter_name]
        except KeyError:
            known = ", ".join(sorted(_ACS_WFC_FILTERS))
            raise UserError(f"filter: unknown HST filter '{name}'; known filters "
                            f"are {known}") from None
        self.abmag_zero = info["abmag_zero"]
        self.photflam = info["photflam"]
        self.photplam = info["photplam"]
        self.photbw = info["photbw"]

    @staticmethod
    def _header_of(hst):
        from astropy.io import fits
        from ..io import read_image, ImageData

        if isinstance(hst, fits.Header):
            return hst
        image = hst if isinstance(hst, ImageData) else read_image(hst, "hst")
        merged = fits.Header(image.primary_header, copy=True)
        merged.update(image.header)
        return merged

    @staticmethod
    def photflam_from_abmag(abmag_zero, photplam):
        """PHOTFLAM implied by an AB zero point and a pivot wavelength.

        Examples
        --------
        >>> round(HstFilterInfo.photflam_from_abmag(26.51, 5921.1) / 7.73e-20, 2)
        1.0
        """
        return 10.0**(-0.4 * abmag_zero - 2.0 * math.log10(photplam) - 0.9632)

    def __repr__(self):
        return (f"HstFilterInfo(filter_name={self.filter_name!r}, "
                f"abmag_zero={self.abmag_zero}, photplam={self.photplam}, "
                f"photflam={self.photflam}, photbw={self.photbw})")
