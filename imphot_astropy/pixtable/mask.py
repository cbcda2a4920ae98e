"""Masks of pixel-table rows from a mask image of the sky.

MPDAF's ``PixTable.mask_column`` marks the rows of a pixel table that fall
on the non-zero pixels of a mask image (typically the bright objects of
the field, to be left out of a sky or self-calibration estimate), and its
``PixTableMask`` writes that column to a FITS file and reads it back.
This module does the same on astropy objects, streaming through the
table's rows chunk by chunk.
"""

import datetime
import os

import numpy as np
from astropy.io import fits

from ..exceptions import UserError
from ..io import read_image, write_fits_atomically

__all__ = ["PixTableMask", "mask_column"]


def _base_name(name):
    """The base name of a file name, or '' (as MPDAF writes it)."""
    if name is None:
        return ""
    try:
        return os.path.basename(os.fspath(name))
    except TypeError:
        return ""


class PixTableMask:
    """A boolean column marking the rows of a pixel table that a mask image
    covers, with the names of the mask image and of the table.

    Parameters
    ----------
    filename : str, `os.PathLike` or None
        A file written by `write` (or by MPDAF's ``PixTableMask.write``) to
        read; the other arguments are then ignored, as in MPDAF.
    maskfile : str or None
        The name of the mask image.
    maskcol : array-like of bool or None
        One value per row of the table, True for masked rows.
    pixtable : str or None
        The name of the pixel table.

    Attributes
    ----------
    filename : str or None
        The file read, if any.
    maskfile, pixtable : str or None
        As given, or the base names stored in the file read.
    maskcol : `numpy.ndarray` of bool or None

    Raises
    ------
    UserError
        If the file cannot be read or has no ``MASKCOL`` extension.

    Examples
    --------
    >>> import os, tempfile
    >>> mask = PixTableMask(maskfile="objects.fits", pixtable="pt.fits",
    ...                     maskcol=[True, False, False])
    >>> tmp = tempfile.TemporaryDirectory()
    >>> name = os.path.join(tmp.name, "mask.fits")
    >>> mask.write(name)
    >>> back = PixTableMask(name)
    >>> back.maskcol.tolist(), back.maskfile, back.pixtable
    ([True, False, False], 'objects.fits', 'pt.fits')
    >>> tmp.cleanup()
    """

    def __init__(self, filename=None, maskfile=None, maskcol=None,
                 pixtable=None):
        self.filename = None
        if filename is None:
            self.maskfile = maskfile
            self.pixtable = pixtable
            self.maskcol = (None if maskcol is None
                            else np.asarray(maskcol, dtype=bool).ravel())
            return
        self.filename = os.fspath(filename)
        self._read(self.filename)

    def __repr__(self):
        nrows = None if self.maskcol is None else self.maskcol.size
        masked = None if self.maskcol is None else int(self.maskcol.sum())
        return (f"<PixTableMask({nrows} rows, {masked} masked, "
                f"mask={self.maskfile!r}, pixtable={self.pixtable!r})>")

    def _read(self, filename):
        if not os.path.isfile(filename):
            raise UserError(f"{filename}: no such file")
        try:
            with fits.open(filename) as hdul:
                header = hdul[0].header
                if "MASKCOL" not in hdul:
                    raise UserError(f"{filename}: not a pixel-table mask "
                                    "(no MASKCOL extension)")
                data = np.asarray(hdul["MASKCOL"].data)
                self.maskcol = data.reshape(data.shape[0], -1)[:, 0] != 0
                self.maskfile = header.get("MASK")
                self.pixtable = header.get("PIXTABLE")
        except (OSError, ValueError, TypeError) as err:
            raise UserError(f"{filename}: not a readable FITS file ({err})") \
                from None

    def write(self, filename):
        """Write the mask to a FITS file, atomically.

        The layout is MPDAF's: the names of the table and of the mask image
        in the ``PIXTABLE`` and ``MASK`` keywords of the primary header, the
        column as an image extension ``MASKCOL`` of shape (nrows, 1), with
        ``BUNIT = 'boolean'``. The values are stored as bytes (MPDAF writes
        32-bit integers; each reads the other's files).

        Parameters
        ----------
        filename : str or `os.PathLike`
            The output file (never the pixel table or the mask image).

        Raises
        ------
        UserError
            If there is no column to write, or ``filename`` names an input.

        Examples
        --------
        See `PixTableMask`.
        """
        if self.maskcol is None:
            raise UserError("PixTableMask.write: there is no mask column "
                            "(maskcol) to write")
        primary = fits.PrimaryHDU()
        header = primary.header
        header["DATE"] = (datetime.datetime.now().isoformat(),
                          "creation date")
        header["AUTHOR"] = ("imphot_astropy", "origin of the file")
        header["PIXTABLE"] = (_base_name(self.pixtable), "pixtable")
        header["MASK"] = (_base_name(self.maskfile),
                          "file to mask out all bright obj")
        column = fits.ImageHDU(
            self.maskcol.astype(np.uint8).reshape(-1, 1), name="MASKCOL")
        column.header["BUNIT"] = "boolean"
        inputs = [name for name in (self.pixtable, self.maskfile)
                  if isinstance(name, (str, os.PathLike))]
        write_fits_atomically(fits.HDUList([primary, column]), filename,
                              inputs=inputs, argname="filename")


def mask_column(pixtable, maskfile=None):
    """Mark the rows of a pixel table that fall on a mask image's objects.

    Each row's sky position is looked up in the mask image (nearest pixel);
    rows on non-zero (or NaN) pixels are masked. The table is read chunk
    by chunk.

    Parameters
    ----------
    pixtable : `~imphot_astropy.PixTable`
        A table with sky positions ('projected' or 'positioned').
    maskfile : str, `os.PathLike`, HDU or `~astropy.nddata.NDData`, optional
        The mask image, with a celestial WCS: 0 for the background, > 0 for
        objects. If None, no row is masked.

    Returns
    -------
    `PixTableMask`

    Raises
    ------
    UserError
        If the mask image cannot be read or has no celestial WCS, or the
        table's positions are in pixels.

    Notes
    -----
    Rows outside the mask image are not masked; MPDAF gives them the value
    of the nearest edge pixel. MPDAF returns a plain array of False when no
    mask image is given; this returns a `PixTableMask` holding that array.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> from imphot_astropy.pixtable import PixTable
    >>> pix = PixTable(xpos=[0.0, 2 / 3600], ypos=[0.0, 0.0],
    ...                lbda=[5e3] * 2, data=[0.] * 2, dq=[0] * 2,
    ...                stat=[0.] * 2, origin=[0] * 2, wcs=u.deg)
    >>> pix.set_keyword("WCS", "positioned (final)")
    >>> pix.primary_header["CRVAL1"], pix.primary_header["CRVAL2"] = 150.0, 0.0
    >>> w = WCS(naxis=2)
    >>> w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.crval, w.wcs.crpix = [150.0, 0.0], [3.0, 3.0]
    >>> w.wcs.cdelt = [-1 / 3600, 1 / 3600]
    >>> objects = np.zeros((5, 5)); objects[2, 2] = 1
    >>> mask = mask_column(pix, CCDData(objects, unit="", wcs=w))
    >>> mask.maskcol.tolist()
    [True, False]
    """
    if maskfile is None:
        return PixTableMask(maskfile=None, pixtable=pixtable.filename,
                            maskcol=np.zeros(pixtable.nrows, dtype=bool))
    if pixtable.wcs.physical_type != "angle":
        raise UserError(f"{pixtable.filename or 'pixel table'}: positions "
                        f"in {pixtable.wcs}, not an angle: the rows cannot "
                        "be placed on a mask image")
    image = read_image(maskfile, argname="maskfile")
    objects = image.data != 0          # NaN != 0: masked, as in MPDAF
    ny, nx = objects.shape
    mask = np.zeros(pixtable.nrows, dtype=bool)
    for start, stop, ra, dec in pixtable.iter_pos_sky():
        # Nearest pixel: astropy rounds as floor(x + 0.5), like MPDAF.
        row, col = image.wcs.world_to_array_index_values(ra, dec)
        row, col = np.asarray(row), np.asarray(col)
        inside = (row >= 0) & (row < ny) & (col >= 0) & (col < nx)
        mask[start:stop][inside] = objects[row[inside], col[inside]]
    name = maskfile if isinstance(maskfile, (str, os.PathLike)) else None
    return PixTableMask(maskfile=name, pixtable=pixtable.filename,
                        maskcol=mask)
