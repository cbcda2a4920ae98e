"""Which HDU of a FITS file holds the image or cube, and its headers.

Every entry point of the package (the fitters, the preparation steps, the
filter lookup and the cube reader) chooses the data HDU of a file here, with
one documented priority, so that a file is read the same way whatever reads
it. The priority (`select_data_hdu`):

1. An HDU named ``DATA`` (MUSE pipeline products) or ``SCI`` (HST
   pipeline products), if exactly one HDU has that name.
2. Otherwise, the one image HDU (primary or extension) with data of the
   accepted dimensions that is not an auxiliary plane (``STAT``, ``VAR``,
   ``ERR``, ``DQ``, ``WHT``, ``CTX``, or CCDData's ``UNCERT`` and ``MASK``;
   see `AUXILIARY_EXTNAMES`).

Anything else is ambiguous and refused with a `~imphot_astropy.UserError`
that names the file and lists its HDUs, rather than guessed: a file with
only auxiliary planes (its variance would be fitted as the image), several
candidate images, or several DATA/SCI HDUs.
"""

import os

import numpy as np
from astropy.io import fits

from ..exceptions import UserError

__all__ = ["select_data_hdu", "describe_hdus", "header_from_meta", "merged_header",
           "data_headers", "check_not_truncated", "check_hdus_readable",
           "AUXILIARY_EXTNAMES", "header_shape", "check_not_cut_after_primary"]

#: The names of HDUs that hold planes beside the data (variance, errors,
#: data-quality flags, weights, contexts); never chosen as the data.
#: The names cover MUSE (STAT, DQ), HST (ERR, DQ, WHT, CTX, SAMP, TIME) and
#: the files `~astropy.nddata.CCDData` writes (UNCERT, MASK, FLAGS).
AUXILIARY_EXTNAMES = frozenset({"STAT", "VAR", "VARIANCE", "ERR", "ERROR", "SIGMA", "RMS",
                                "NOISE", "DQ", "QUALITY", "MASK", "FLAGS", "UNCERT",
                                "WHT", "WEIGHT", "CTX", "CON", "EXP", "SAMP", "TIME"})

_DATA_EXTNAMES = ("DATA", "SCI")
_IMAGE_HDUS = (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)
# The HDU types of a readable file; astropy makes a bare _ValidHDU (with no
# info(), no data) of a header whose first card is neither SIMPLE nor a known
# XTENSION.
_KNOWN_HDUS = _IMAGE_HDUS + (fits.BinTableHDU, fits.TableHDU, fits.GroupsHDU)
_FITS_BLOCK = 2880


def header_shape(header):
    """The numpy shape declared by a header, read without touching the data.

    Tile-compressed images declare their shape in ``ZNAXISn``, the others in
    ``NAXISn``; numpy order is the reverse of FITS order.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`

    Returns
    -------
    shape : tuple of int
        Empty for a header without data.

    Examples
    --------
    >>> from astropy.io import fits
    >>> header_shape(fits.ImageHDU(np.zeros((3, 4, 5), np.float32)).header)
    (3, 4, 5)
    >>> header_shape(fits.PrimaryHDU().header)
    ()
    """
    naxis = int(header.get("NAXIS", 0) or 0)
    if isinstance(header.get("ZNAXIS"), int):  # tile-compressed image
        return tuple(int(header.get(f"ZNAXIS{i}", 0)) for i in range(header["ZNAXIS"], 0, -1))
    return tuple(int(header.get(f"NAXIS{i}", 0)) for i in range(naxis, 0, -1))


def _shape_of(hdu):
    if isinstance(hdu, fits.CompImageHDU):
        return tuple(hdu.shape)
    return header_shape(hdu.header)


def describe_hdus(hdulist):
    """A one-line list of a file's HDUs: index, name and shape.

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`

    Returns
    -------
    text : str

    Examples
    --------
    >>> from astropy.io import fits
    >>> import numpy as np
    >>> hdus = fits.HDUList([fits.PrimaryHDU(),
    ...                      fits.ImageHDU(np.zeros((2, 3)), name="STAT")])
    >>> describe_hdus(hdus)
    '0 PRIMARY (no data); 1 STAT (2, 3)'
    """
    parts = []
    for index, hdu in enumerate(hdulist):
        shape = _shape_of(hdu)
        what = str(shape) if shape and all(shape) else "(no data)"
        if not isinstance(hdu, _IMAGE_HDUS):
            what += f" {type(hdu).__name__}"
        parts.append(f"{index} {hdu.name or '(unnamed)'} {what}")
    return "; ".join(parts)


def _refuse(hdulist, label, why):
    raise UserError(f"{label}: {why}; its HDUs are: {describe_hdus(hdulist)}. Give "
                    "the image HDU itself, or name it DATA (MUSE) or SCI (HST)")


def check_not_truncated(hdulist, index, label):
    """Raise `UserError` if a file ends before the data of one of its HDUs.

    Only uncompressed files opened from disk are checked (the size of a
    compressed file says nothing about its data).

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
    index : int
        The HDU whose data must be complete.
    label : str
        The file name to quote.

    Examples
    --------
    >>> from astropy.io import fits
    >>> check_not_truncated(fits.HDUList([fits.PrimaryHDU()]), 0, "x")  # in memory
    """
    filename = hdulist.filename()
    if not filename or not os.path.isfile(filename):
        return
    try:
        info = hdulist.fileinfo(index)
    except (IndexError, AttributeError):
        return
    if info is None or getattr(info.get("file"), "compression", None):
        return
    expected = int(info["datLoc"]) + int(info["datSpan"])
    size = os.path.getsize(filename)
    if size < expected:
        name = hdulist[index].name or f"HDU {index}"
        raise UserError(f"{label}: the file is truncated: its {name} HDU needs "
                        f"{expected} bytes but the file has only {size}")


def check_hdus_readable(hdulist, label):
    """Raise `UserError` if a file has a corrupted HDU header or is truncated.

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
        With every header read (``lazy_load_hdus=False``, or after ``len``).
    label : str
        The file name to quote.

    Examples
    --------
    >>> from astropy.io import fits
    >>> check_hdus_readable(fits.HDUList([fits.PrimaryHDU()]), "x")
    """
    _check_known_hdus(hdulist, label)
    for index in range(len(hdulist)):
        check_not_truncated(hdulist, index, label)
    _check_file_size(hdulist, label)


def _check_known_hdus(hdulist, label):
    """Refuse an HDU whose header astropy could not type (a corrupted first card)."""
    for index, hdu in enumerate(hdulist):
        if not isinstance(hdu, _KNOWN_HDUS):
            cards = list(hdu.header.cards)
            first = cards[0].image.strip() if cards else "(none)"
            raise UserError(f"{label}: the header of HDU {index} is corrupted: it does not "
                            f"start with SIMPLE or a known XTENSION (its first card reads "
                            f"{first!r}), so what the HDU holds cannot be read")


def check_not_cut_after_primary(hdulist, label):
    """A file that has only a primary header, without data, was cut after it.

    MUSE and HST products keep their data in extensions; a file reduced to
    its primary header (a copy stopped after the first 2880-byte blocks) is
    otherwise only "without data".

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
    label : str
        Names the file in the message.

    Raises
    ------
    UserError
        If the file is a lone primary header that declares no data.

    Examples
    --------
    >>> from astropy.io import fits
    >>> check_not_cut_after_primary(fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU()]), "a.fits")
    >>> check_not_cut_after_primary(fits.HDUList([fits.PrimaryHDU()]), "a.fits")
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: a.fits: the file is truncated: ...
    """
    if len(hdulist) != 1 or header_shape(hdulist[0].header):
        return
    filename = hdulist.filename()
    size = (f" ({os.path.getsize(filename)} bytes)" if filename and os.path.isfile(filename)
            else "")
    raise UserError(f"{label}: the file is truncated: it ends after its primary "
                    f"header{size}, which holds no data, and has no extension")


def _check_file_size(hdulist, label):
    """A file whose size is not a whole number of FITS blocks was cut short."""
    filename = hdulist.filename()
    if not filename or not os.path.isfile(filename):
        return
    try:
        compressed = getattr(hdulist.fileinfo(0).get("file"), "compression", None)
    except (IndexError, AttributeError):
        compressed = None
    size = os.path.getsize(filename)
    if not compressed and size % _FITS_BLOCK:
        whole = -(-size // _FITS_BLOCK) * _FITS_BLOCK
        raise UserError(f"{label}: the file is truncated: a FITS file is a whole "
                        f"number of {_FITS_BLOCK}-byte blocks (at least {whole} bytes "
                        f"here) but it has {size} bytes")


def select_data_hdu(hdulist, label, ndims=(2,)):
    """The index of the HDU that holds the image (or cube) of a FITS file.

    The priority is the module's (see `imphot_astropy.io.hdus`): a single
    HDU named DATA or SCI; else the single image HDU with data of ``ndims``
    dimensions that is not an auxiliary plane (STAT, DQ, ERR, ...).
    Ambiguous files are refused. The data of the chosen HDU are not read,
    so callers may read a section of it through a memory map.

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
    label : str
        The file (or argument) name to quote in errors.
    ndims : tuple of int
        The numbers of dimensions an unnamed candidate may have (2 for
        images, 3 for cubes).

    Returns
    -------
    index : int

    Raises
    ------
    UserError
        If no HDU, or more than one, qualifies; the message lists the HDUs.
        If the file is truncated before the chosen HDU's data.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> hdus = fits.HDUList([fits.PrimaryHDU(),
    ...                      fits.ImageHDU(np.zeros((2, 3), np.uint8), name="DQ"),
    ...                      fits.ImageHDU(np.zeros((2, 3)), name="SCIENCE")])
    >>> select_data_hdu(hdus, "x.fits")
    2
    """
    _check_known_hdus(hdulist, label)
    names = [(hdu.name or "").upper() for hdu in hdulist]
    for extname in _DATA_EXTNAMES:
        found = [i for i, name in enumerate(names) if name == extname]
        if len(found) > 1:
            _refuse(hdulist, label, f"the file has {len(found)} {extname} HDUs")
        if found and _shape_of(hdulist[found[0]]):
            check_not_truncated(hdulist, found[0], label)
            return found[0]
    candidates = []
    auxiliary = []
    for index, hdu in enumerate(hdulist):
        if not isinstance(hdu, _IMAGE_HDUS) or len(_shape_of(hdu)) not in ndims:
            continue
        (auxiliary if names[index] in AUXILIARY_EXTNAMES else candidates).append(index)
    what = " or ".join(f"{n}D" for n in ndims)
    if len(candidates) == 1:
        check_not_truncated(hdulist, candidates[0], label)
        return candidates[0]
    if len(candidates) > 1:
        _refuse(hdulist, label, f"the file has no DATA or SCI HDU and {len(candidates)} "
                f"{what} image HDUs; which one holds the data is ambiguous")
    if auxiliary:
        _refuse(hdulist, label, "the file has no DATA or SCI HDU, only auxiliary planes "
                f"({', '.join(names[i] for i in auxiliary)}), which are not the data")
    _check_file_size(hdulist, label)
    check_not_cut_after_primary(hdulist, label)
    _refuse(hdulist, label, f"the file has no DATA extension and no {what} image "
            "(nor a SCI extension)")


def data_headers(hdulist, label, ndims=(2,)):
    """The chosen data HDU's index, its header and the primary header.

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
    label : str
        The file name to quote in errors.
    ndims : tuple of int
        As for `select_data_hdu`.

    Returns
    -------
    index : int
    header : `~astropy.io.fits.Header`
        The header of the data HDU.
    primary : `~astropy.io.fits.Header` or None
        The primary header, if the data are in an extension.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2)), name="SCI")])
    >>> index, header, primary = data_headers(hdus, "x")
    >>> index, header["EXTNAME"], primary is hdus[0].header
    (1, 'SCI', True)
    """
    index = select_data_hdu(hdulist, label, ndims)
    primary = hdulist[0].header if index != 0 else None
    return index, hdulist[index].header, primary


def merged_header(primary, header):
    """primary + header (whose keywords win), as one header, built quickly.

    ``Header.update`` costs seconds on the 5000-card headers of drizzled
    HST products; building from a card list costs milliseconds. COMMENT and
    HISTORY cards come from ``header`` if it has any, else from ``primary``.

    Examples
    --------
    >>> from astropy.io import fits
    >>> h = merged_header(fits.Header({"A": 1, "B": 2}), fits.Header({"A": 3}))
    >>> h["A"], h["B"]
    (3, 2)
    """
    cards = {}
    commentary = {"primary": [], "header": []}
    for origin, source in (("primary", primary), ("header", header)):
        if source is None:
            continue
        for card in source.cards:
            key = card.keyword
            if key in ("HISTORY", "COMMENT"):
                commentary[origin].append(card)
            elif key:
                cards[key] = card
    return fits.Header(list(cards.values())
                       + (commentary["header"] or commentary["primary"]))


def header_from_meta(meta, copy=False):
    """A FITS header from an NDData ``meta`` (a Header, a dict, or None).

    A header is returned as it is (or copied); from a mapping, the entries
    whose key is a FITS keyword (a string of at most 8 characters) and whose
    value is a scalar a header can hold are kept, the rest dropped.

    Parameters
    ----------
    meta : `~astropy.io.fits.Header`, mapping or None
    copy : bool
        Copy a header rather than returning it.

    Returns
    -------
    header : `~astropy.io.fits.Header`

    Examples
    --------
    >>> list(header_from_meta({"FILTER": "F606W", "a_long_key": 1, "ARR": [1, 2]}))
    ['FILTER']
    """
    if isinstance(meta, fits.Header):
        return fits.Header(meta, copy=True) if copy else meta
    header = fits.Header()
    if not meta or not hasattr(meta, "items"):
        return header
    for key, value in meta.items():
        if not (isinstance(key, str) and 0 < len(key) <= 8):
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, (str, bool, int, float)):
            header[key] = value
    return header
