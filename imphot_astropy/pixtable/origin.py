"""Encoding and decoding of the ``origin`` column of MUSE pixel tables.

Each row of a pixel table remembers where on which detector it came from in
one 32-bit integer (the MUSE pipeline's convention)::

    origin = (x - xoffset) << 24 | y << 11 | ifu << 6 | slice

with ``x`` and ``y`` the one-based pixel coordinates on the CCD, ``ifu``
(1-24) the spectrograph, ``slice`` (1-48) the slice in the CCD numbering,
and ``xoffset`` the x offset of that slice on that CCD, which the primary
header stores as ``HIERARCH ESO DRS MUSE PIXTABLE EXP0 IFUnn SLICEnn
XOFFSET``. The functions here return and take *zero-based* pixel indices
``xpix = x - 1`` and ``ypix = y - 1``, so that they index a numpy image of
the CCD directly (as MPDAF does).

These are array-level functions: they know headers but not files.
"""

import re

import numpy as np

from ..exceptions import UserError

__all__ = ["NIFUS", "xoffsets_from_header", "decode_ifu", "decode_slice",
           "decode_ypix", "decode_xoffset", "decode_xpix", "encode_origin",
           "XOFFSET_KEYWORD"]

#: Number of IFUs (spectrographs) of MUSE.
NIFUS = 24
_NSLICES = 48

# Bit fields of the origin value: (shift, mask).
_SLICE_FIELD = (0, 0x3F)
_IFU_FIELD = (6, 0x1F)
_Y_FIELD = (11, 0x1FFF)
_X_FIELD = (24, 0x7F)

#: Primary-header keyword (without the HIERARCH prefix) holding the x
#: offset of slice ``sl`` of IFU ``ifu``, to be formatted with ``ifu, sl``.
XOFFSET_KEYWORD = "ESO DRS MUSE PIXTABLE EXP0 IFU{:02d} SLICE{:02d} XOFFSET"
_XOFFSET_PATTERN = re.compile(
    r"^(?:HIERARCH )?ESO DRS MUSE PIXTABLE EXP0 IFU(\d+) SLICE(\d+) XOFFSET$")


def _field(origin, field):
    shift, mask = field
    return (np.asarray(origin) >> shift) & mask


def xoffsets_from_header(header):
    """Read the slice x offsets of a pixel table's primary header.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`
        The primary header of the pixel table.

    Returns
    -------
    `numpy.ndarray`
        An int64 array of shape (25, 49) indexed by ``[ifu, slice]``, holding
        -1 where the header has no offset for that IFU and slice.

    Examples
    --------
    >>> from astropy.io import fits
    >>> hdr = fits.Header()
    >>> hdr["HIERARCH " + XOFFSET_KEYWORD.format(3, 7)] = 512
    >>> table = xoffsets_from_header(hdr)
    >>> int(table[3, 7]), int(table[3, 8])
    (512, -1)
    """
    table = np.full((NIFUS + 1, _NSLICES + 1), -1, dtype=np.int64)
    for key, value in header.items():
        match = _XOFFSET_PATTERN.match(key)
        if match is None:
            continue
        ifu, sl = int(match.group(1)), int(match.group(2))
        if 1 <= ifu <= NIFUS and 1 <= sl <= _NSLICES:
            table[ifu, sl] = int(value)
    return table


def decode_ifu(origin):
    """Return the IFU numbers (1-24) of origin values.

    Parameters
    ----------
    origin : int or array-like of int
        Values of the origin column.

    Returns
    -------
    int or `numpy.ndarray`

    Examples
    --------
    >>> decode_ifu((12 << 24) | (100 << 11) | (5 << 6) | 17)
    5
    """
    return _scalar(_field(origin, _IFU_FIELD), origin)


def decode_slice(origin):
    """Return the slice numbers (1-48, CCD scheme) of origin values.

    Parameters
    ----------
    origin : int or array-like of int
        Values of the origin column.

    Returns
    -------
    int or `numpy.ndarray`

    Examples
    --------
    >>> decode_slice((12 << 24) | (100 << 11) | (5 << 6) | 17)
    17
    """
    return _scalar(_field(origin, _SLICE_FIELD), origin)


def decode_ypix(origin):
    """Return the zero-based CCD row (y pixel index) of origin values.

    Parameters
    ----------
    origin : int or array-like of int
        Values of the origin column.

    Returns
    -------
    int or `numpy.ndarray`

    Examples
    --------
    >>> decode_ypix((12 << 24) | (100 << 11) | (5 << 6) | 17)
    99
    """
    return _scalar(_field(origin, _Y_FIELD) - 1, origin)


def decode_xoffset(origin, xoffsets, ifu=None, sli=None):
    """Return the x offsets of the slices that origin values come from.

    Parameters
    ----------
    origin : int or array-like of int
        Values of the origin column.
    xoffsets : `numpy.ndarray`
        The table returned by `xoffsets_from_header`.
    ifu, sli : array-like of int, optional
        The already decoded IFU and slice numbers, to save decoding them
        again.

    Returns
    -------
    int or `numpy.ndarray`

    Raises
    ------
    UserError
        If the header has no x offset for one of the IFU and slice pairs.

    Examples
    --------
    >>> import numpy as np
    >>> offsets = np.full((25, 49), -1)
    >>> offsets[5, 17] = 300
    >>> decode_xoffset((12 << 24) | (100 << 11) | (5 << 6) | 17, offsets)
    300
    """
    ifu = _field(origin, _IFU_FIELD) if ifu is None else np.asarray(ifu)
    sli = _field(origin, _SLICE_FIELD) if sli is None else np.asarray(sli)
    offset = xoffsets[ifu, sli]
    if np.any(offset < 0):
        bad = np.argmax(np.ravel(offset) < 0)
        raise UserError(
            "origin: the primary header has no keyword HIERARCH "
            + XOFFSET_KEYWORD.format(int(np.ravel(ifu)[bad]),
                                     int(np.ravel(sli)[bad]))
            + ", needed to decode the CCD x position")
    return _scalar(offset, origin)


def decode_xpix(origin, xoffsets, ifu=None, sli=None):
    """Return the zero-based CCD column (x pixel index) of origin values.

    Parameters
    ----------
    origin : int or array-like of int
        Values of the origin column.
    xoffsets : `numpy.ndarray`
        The table returned by `xoffsets_from_header`.
    ifu, sli : array-like of int, optional
        The already decoded IFU and slice numbers, to save decoding them
        again.

    Returns
    -------
    int or `numpy.ndarray`

    Raises
    ------
    UserError
        If the header has no x offset for one of the IFU and slice pairs.

    Examples
    --------
    >>> import numpy as np
    >>> offsets = np.full((25, 49), -1)
    >>> offsets[5, 17] = 300
    >>> decode_xpix((12 << 24) | (100 << 11) | (5 << 6) | 17, offsets)
    311
    """
    offset = decode_xoffset(origin, xoffsets, ifu=ifu, sli=sli)
    return _scalar(offset + _field(origin, _X_FIELD) - 1, origin)


def encode_origin(ifu, sli, ypix, xpix, xoffsets):
    """Pack IFU, slice and zero-based CCD pixel indices into origin values.

    This is the inverse of `decode_ifu`, `decode_slice`, `decode_ypix` and
    `decode_xpix`, for writers of pixel tables.

    Parameters
    ----------
    ifu : int or array-like of int
        IFU numbers, 1-24.
    sli : int or array-like of int
        Slice numbers in the CCD scheme, 1-48.
    ypix : int or array-like of int
        Zero-based CCD rows, 0-8190.
    xpix : int or array-like of int
        Zero-based CCD columns; ``xpix + 1 - xoffset`` must be in 0-127.
    xoffsets : `numpy.ndarray`
        The table returned by `xoffsets_from_header`.

    Returns
    -------
    int or `numpy.ndarray` of int32

    Raises
    ------
    UserError
        If a value does not fit its bit field or an x offset is missing.

    Examples
    --------
    >>> import numpy as np
    >>> offsets = np.full((25, 49), -1)
    >>> offsets[5, 17] = 300
    >>> code = encode_origin(5, 17, 99, 311, offsets)
    >>> code == (12 << 24) | (100 << 11) | (5 << 6) | 17
    True
    """
    arrays = np.broadcast_arrays(*(np.asarray(v) for v in
                                   (ifu, sli, ypix, xpix)))
    ifu_a, sli_a, y_a, x_a = (a.astype(np.int64) for a in arrays)
    _check_range(ifu_a, 1, NIFUS, "ifu")
    _check_range(sli_a, 1, _NSLICES, "sli")
    _check_range(y_a, 0, _Y_FIELD[1] - 1, "ypix")
    offset = xoffsets[ifu_a, sli_a]
    if np.any(offset < 0):
        bad = np.argmax(np.ravel(offset) < 0)
        raise UserError(
            "xoffsets: no x offset for IFU "
            f"{int(np.ravel(ifu_a)[bad])} slice {int(np.ravel(sli_a)[bad])}")
    xfield = x_a + 1 - offset
    _check_range(xfield, 0, _X_FIELD[1], "xpix + 1 - xoffset")
    code = ((xfield << _X_FIELD[0]) | ((y_a + 1) << _Y_FIELD[0])
            | (ifu_a << _IFU_FIELD[0]) | sli_a).astype(np.int32)
    return int(code) if code.ndim == 0 else code


def _check_range(values, low, high, name):
    if values.size and (values.min() < low or values.max() > high):
        raise UserError(f"{name}: values must be in {low}-{high}, got "
                        f"{values.min()}-{values.max()}")


def _scalar(result, like):
    return int(result) if np.ndim(like) == 0 else result
