"""Origin decoding, sky positions and detector images of `PixTable`."""

import numpy as np
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.wcs import WCS

from ..exceptions import UserError
from .mask import mask_column
from .origin import (decode_ifu, decode_slice, decode_xoffset, decode_xpix,
                     decode_ypix, encode_origin, xoffsets_from_header)
from .sky import positioned_to_sky, projected_to_sky

__all__ = []


class DetectorAndSky:
    """The ``origin2``, sky-position and detector-image methods of
    `PixTable` (a mixin)."""

    # -- origin decoding ---------------------------------------------------------
    def _xoffsets(self):
        return xoffsets_from_header(self.primary_header)

    def origin2ifu(self, origin):
        """Return the IFU numbers of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.origin2ifu((7 << 6) | 3)
        7
        """
        return decode_ifu(origin)

    def origin2slice(self, origin):
        """Return the slice numbers (CCD scheme) of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.origin2slice((7 << 6) | 3)
        3
        """
        return decode_slice(origin)

    def origin2ypix(self, origin):
        """Return the zero-based CCD rows of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.origin2ypix(11 << 11)
        10
        """
        return decode_ypix(origin)

    def origin2xoffset(self, origin, ifu=None, sli=None):
        """Return the x offsets of the slices of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.origin2xoffset((7 << 6) | 3)
        40
        """
        return decode_xoffset(origin, self._xoffsets(), ifu=ifu, sli=sli)

    def origin2xpix(self, origin, ifu=None, sli=None):
        """Return the zero-based CCD columns of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.origin2xpix((5 << 24) | (7 << 6) | 3)
        44
        """
        return decode_xpix(origin, self._xoffsets(), ifu=ifu, sli=sli)

    def origin2coords(self, origin):
        """Return (ifu, slice, ypix, xpix) of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.origin2coords((5 << 24) | (21 << 11) | (7 << 6) | 3)
        (7, 3, 20, 44)
        """
        ifu, sli = decode_ifu(origin), decode_slice(origin)
        return (ifu, sli, decode_ypix(origin),
                decode_xpix(origin, self._xoffsets(), ifu=ifu, sli=sli))

    def coords2origin(self, ifu, sli, ypix, xpix):
        """Encode (ifu, slice, ypix, xpix) into origin values, using this
        table's slice x offsets (the inverse of `origin2coords`).

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.coords2origin(7, 3, 20, 44) == (5 << 24) | (21 << 11) | (7 << 6) | 3
        True
        """
        return encode_origin(ifu, sli, ypix, xpix, self._xoffsets())

    # -- sky positions -------------------------------------------------------------
    def get_pos_sky(self, xpos=None, ypos=None):
        """Return the absolute sky positions (RA, Dec) in degrees.

        Works for 'projected' tables (native spherical coordinates about
        the ``RA``/``DEC`` keywords) and 'positioned' tables (offsets from
        ``CRVAL1``/``CRVAL2``), in whatever angle unit the columns are. For
        tables in pixels (before astrometry) the positions are returned
        as they are, in pixels, as MPDAF does for tables without a
        reference point.

        Parameters
        ----------
        xpos, ypos : array-like, optional
            Positions in the table's unit (``self.wcs``); the table's own
            columns by default (read in chunks).

        Returns
        -------
        ra, dec : `numpy.ndarray`
            Right ascension in [0, 360) and declination, in degrees (or
            xpos and ypos in pixels, as float64).

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[0., 1.], ypos=[0., -2.], lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[0] * 2, wcs=u.arcsec)
        >>> pix.set_keyword("WCS", "positioned (final)")
        >>> pix.primary_header["CRVAL1"] = 150.0
        >>> pix.primary_header["CRVAL2"] = 2.0
        >>> ra, dec = pix.get_pos_sky()
        >>> ((ra - 150.0) * 3600).round(6).tolist(), ((dec - 2.0) * 3600).round(6).tolist()
        ([0.0, 1.0], [0.0, -2.0])
        """
        if self._in_pixels:
            return self._pixel_positions(xpos, ypos)
        to_deg = self._position_to_deg("get_pos_sky")
        ra0, dec0 = self._reference_point()
        to_sky = (projected_to_sky if self.projection == "projected"
                  else positioned_to_sky)
        if xpos is not None or ypos is not None:
            if xpos is None or ypos is None:
                raise UserError("get_pos_sky: give both xpos and ypos, or "
                                "neither")
            return to_sky(np.asarray(xpos, dtype=float) * to_deg,
                          np.asarray(ypos, dtype=float) * to_deg, ra0, dec0)
        ra = np.empty(self.nrows)
        dec = np.empty(self.nrows)
        for start, stop, ra_chunk, dec_chunk in self.iter_pos_sky():
            ra[start:stop], dec[start:stop] = ra_chunk, dec_chunk
        return ra, dec

    def iter_pos_sky(self):
        """Yield the sky positions of the rows, chunk by chunk.

        Yields
        ------
        start, stop : int
            The rows of the chunk.
        ra, dec : `numpy.ndarray`
            Their right ascension and declination in degrees (see
            `get_pos_sky`; pixels for tables in pixels).

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[0., 1.], ypos=[0., 2.], lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[0] * 2)
        >>> [(a, b, x.tolist()) for a, b, x, _ in pix.iter_pos_sky()]
        [(0, 2, [0.0, 1.0])]
        """
        if self._in_pixels:
            to_deg, ra0, dec0 = 1.0, 0.0, 0.0
            to_sky = _pixel_identity
        else:
            to_deg = self._position_to_deg("get_pos_sky")
            ra0, dec0 = self._reference_point()
            to_sky = (projected_to_sky if self.projection == "projected"
                      else positioned_to_sky)
        with self._chunk_reader() as read:
            for start in range(0, self.nrows, self.chunk_rows):
                stop = min(self.nrows, start + self.chunk_rows)
                chunk = read(["xpos", "ypos"], start, stop)
                ra, dec = to_sky(
                    np.multiply(chunk["xpos"], to_deg, dtype=np.float64),
                    np.multiply(chunk["ypos"], to_deg, dtype=np.float64),
                    ra0, dec0)
                yield start, stop, ra, dec

    def _pixel_positions(self, xpos, ypos):
        if (xpos is None) != (ypos is None):
            raise UserError("get_pos_sky: give both xpos and ypos, or "
                            "neither")
        if xpos is not None:
            return (np.asarray(xpos, dtype=np.float64),
                    np.asarray(ypos, dtype=np.float64))
        return (self.get_xpos().astype(np.float64),
                self.get_ypos().astype(np.float64))

    def mask_column(self, maskfile=None):
        """Mark the rows that fall on the objects of a mask image.

        See `~imphot_astropy.pixtable.mask_column`.

        Parameters
        ----------
        maskfile : str, `os.PathLike`, HDU or `~astropy.nddata.NDData`, optional
            Mask image with a celestial WCS: 0 for the background, > 0 for
            objects. If None, no row is masked.

        Returns
        -------
        `~imphot_astropy.pixtable.PixTableMask`

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.mask_column().maskcol.tolist()
        [False]
        """
        return mask_column(self, maskfile)

    # -- detector images -----------------------------------------------------------
    def reconstruct_det_image(self, xstart=None, ystart=None, xstop=None,
                              ystop=None):
        """Rebuild the image of the CCD region the rows came from.

        The table must hold rows of one IFU only, and each CCD pixel at most
        once (one exposure): use `extract` with ``ifu=`` (and ``exp=``)
        first.

        Parameters
        ----------
        xstart, ystart, xstop, ystop : int, optional
            Zero-based CCD bounds (inclusive) of the image; by default those
            of the rows. Rows outside are left out.

        Returns
        -------
        `~astropy.nddata.CCDData`
            Data values in ``self.unit_data``; pixels without a row are NaN
            and masked. The WCS maps array pixel (0, 0) to CCD pixel
            (xstart, ystart); ``meta`` holds IFU, XSTART and YSTART.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> import os, tempfile
        >>> from imphot_astropy.datasets import make_synthetic_pixtable
        >>> tmp = tempfile.TemporaryDirectory()
        >>> name = os.path.join(tmp.name, "pt.fits")
        >>> make_synthetic_pixtable(name, nrows=50000, seed=2)
        >>> sub = PixTable(name).extract(ifu=3, sl=10)
        >>> image = sub.reconstruct_det_image()
        >>> int((~image.mask).sum()) == sub.nrows
        True
        >>> tmp.cleanup()
        """
        return self._det_image("data", self.unit_data,
                               (xstart, ystart, xstop, ystop))

    def reconstruct_det_waveimage(self):
        """Rebuild the image of wavelengths on the CCD region of the rows.

        Same conditions and layout as `reconstruct_det_image`.

        Returns
        -------
        `~astropy.nddata.CCDData`
            Wavelengths in ``self.wave``; NaN and masked where no row.

        Examples
        --------
        >>> from imphot_astropy.pixtable import PixTable
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3, 6e3],
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(1 << 24) | (1 << 11) | (1 << 6) | 1,
        ...                        (1 << 24) | (2 << 11) | (1 << 6) | 1])
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(1, 1)] = 0
        >>> pix.reconstruct_det_waveimage().data.ravel().tolist()
        [5000.0, 6000.0]
        """
        return self._det_image("lambda", self.wave,
                               (None, None, None, None))

    def _det_image(self, name, unit, bounds):
        if self.nrows == 0:
            raise UserError(f"{self._name}: the table has no rows")
        xoffsets = self._xoffsets()
        ifus, low, high = set(), [np.inf, np.inf], [-np.inf, -np.inf]
        with self._chunk_reader() as read:
            for start in range(0, self.nrows, self.chunk_rows):
                stop = min(self.nrows, start + self.chunk_rows)
                origin = read(["origin"], start, stop)["origin"]
                ifus.update(np.unique(decode_ifu(origin)).tolist())
                xpix = decode_xpix(origin, xoffsets)
                ypix = decode_ypix(origin)
                low = [min(low[0], xpix.min()), min(low[1], ypix.min())]
                high = [max(high[0], xpix.max()), max(high[1], ypix.max())]
        if len(ifus) != 1:
            raise UserError(f"{self._name}: the rows come from IFUs "
                            f"{sorted(ifus)}; a detector image needs one IFU "
                            "(use extract(ifu=...) first)")
        xstart, ystart, xstop, ystop = (
            int(default) if value is None else int(value)
            for value, default in zip(bounds, low + high))
        if xstop < xstart or ystop < ystart:
            raise UserError(f"xstart/xstop, ystart/ystop: empty region "
                            f"x {xstart}-{xstop}, y {ystart}-{ystop}")
        shape = (ystop - ystart + 1, xstop - xstart + 1)
        image = np.full(shape, np.nan)
        count = np.zeros(shape, dtype=np.int32)
        with self._chunk_reader() as read:
            for start in range(0, self.nrows, self.chunk_rows):
                stop = min(self.nrows, start + self.chunk_rows)
                chunk = read(["origin", name], start, stop)
                xpix = decode_xpix(chunk["origin"], xoffsets) - xstart
                ypix = decode_ypix(chunk["origin"]) - ystart
                inside = ((xpix >= 0) & (xpix < shape[1]) & (ypix >= 0)
                          & (ypix < shape[0]))
                image[ypix[inside], xpix[inside]] = chunk[name][inside]
                np.add.at(count, (ypix[inside], xpix[inside]), 1)
        if count.max() > 1:
            raise UserError(f"{self._name}: {int((count > 1).sum())} CCD "
                            "pixels appear in several rows (several "
                            "exposures?); select one with extract(exp=...)")
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["LINEAR", "LINEAR"]
        wcs.wcs.crpix = [1.0, 1.0]
        wcs.wcs.crval = [float(xstart), float(ystart)]
        wcs.wcs.cdelt = [1.0, 1.0]
        meta = fits.Header()
        meta["IFU"] = (int(next(iter(ifus))), "IFU of the rows")
        meta["XSTART"] = (xstart, "zero-based CCD column of pixel 0")
        meta["YSTART"] = (ystart, "zero-based CCD row of pixel 0")
        return CCDData(image, unit=unit, mask=np.isnan(image), wcs=wcs,
                       meta=meta)


def _pixel_identity(xpos, ypos, ra0, dec0):
    """Positions of a table in pixels: as they are."""
    return xpos, ypos
