"""Synthetic MUSE pixel tables with known contents, for tests and demos.

The synthetic instrument follows MUSE's layout: 24 IFUs, each cutting a
60" x 2.5" strip of the field into 4 stacks of 12 slices of 15" x 0.2";
each slice is 75 pixels wide on its CCD and 4112 pixels long in wavelength
(4750-9350 Angstrom). Rows sample the 24 x 48 x 75 x 4112 CCD pixels
evenly, in CCD order (IFU, slice, column, row) like the pipeline's tables,
so a table of N rows holds each CCD pixel at most once per exposure. The
sky holds a background and a few Gaussian stars (0.7" FWHM), with noise.
Every row's true IFU, slice, CCD pixel and sky position are available from
`SyntheticPixTable.rows`.
"""

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.modeling.projections import Pix2Sky_Gnomonic
from astropy.modeling.rotations import RotateNative2Celestial

from ..exceptions import UserError
from ..pixtable.origin import XOFFSET_KEYWORD, encode_origin
from ..pixtable.sky import sky_to_positioned
from ..pixtable.slicer import Slicer
from ..pixtable.columns import COLUMN_NAMES, REQUIRED_COLUMNS
from ..pixtable.writer import write_pixtable

__all__ = ["SyntheticPixTable", "make_synthetic_pixtable", "HDFS_CENTER",
           "SYNTHETIC_STARS"]

#: (RA, Dec) in degrees of the default field centre (the Hubble Deep Field
#: South, as observed by MUSE).
HDFS_CENTER = (338.2375, -60.5633)

#: Stars of the synthetic sky: (east offset, north offset) from the field
#: centre in arcsec, and peak value.
SYNTHETIC_STARS = ((5.3, -7.1, 2000.0), (-12.0, 14.2, 800.0),
                   (20.5, 3.3, 500.0), (-3.0, -20.0, 1200.0),
                   (0.4, 0.6, 300.0))

_NIFU, _NSLICE, _NX, _NY = 24, 48, 75, 4112
_NPIXELS = _NIFU * _NSLICE * _NX * _NY
_BLOCK = 1 << 20
_SIGMA = 0.7 / 2.3548          # arcsec
_SLICE_X0 = 85                 # CCD columns between slice starts


def _slice_start(ifu, sli):
    """Zero-based CCD column of the first pixel of a slice."""
    return 2 + (sli - 1) * _SLICE_X0 + ifu % 4


class SyntheticPixTable:
    """A synthetic pixel table defined row by row.

    Parameters
    ----------
    nrows : int
        Number of rows (at most 355,276,800 per exposure).
    projection : {'projected', 'positioned'}
        The kind of positions to store (see `imphot_astropy.pixtable.sky`).
    center : (float, float)
        RA and Dec of the field centre, degrees.
    position_unit : `~astropy.units.UnitBase`, optional
        Unit of xpos and ypos: radians for 'projected' and degrees for
        'positioned' tables by default (as the pipeline writes them).
    nexp : int
        Number of exposures; each is a full sampling of the field, shifted
        by a small dither, stored one after the other.
    weight : bool
        Whether to include a weight column.
    seed : int
        Seed of the random numbers.

    Examples
    --------
    >>> synth = SyntheticPixTable(1000, seed=3)
    >>> truth = synth.rows(0, 5)
    >>> truth["ifu"].tolist()
    [1, 1, 1, 1, 1]
    >>> sorted(synth.rows(990, 1000)["ifu"].tolist())[-1]
    24
    """

    def __init__(self, nrows, projection="projected", center=HDFS_CENTER,
                 position_unit=None, nexp=1, weight=False, seed=0):
        if projection not in ("projected", "positioned"):
            raise UserError(f"projection: expected 'projected' or "
                            f"'positioned', got {projection!r}")
        if nexp < 1 or nrows < nexp or nrows > nexp * _NPIXELS:
            raise UserError(f"nrows: must be in {nexp}-{nexp * _NPIXELS} for "
                            f"{nexp} exposure(s), got {nrows}")
        self.nrows = int(nrows)
        self.projection = projection
        self.center = (float(center[0]), float(center[1]))
        if position_unit is None:
            position_unit = u.rad if projection == "projected" else u.deg
        self.position_unit = u.Unit(position_unit)
        self.nexp = int(nexp)
        self.weight = bool(weight)
        self.seed = int(seed)
        bounds = np.linspace(0, self.nrows, self.nexp + 1).round()
        self.exposure_rows = [(int(a), int(b) - 1)
                              for a, b in zip(bounds[:-1], bounds[1:])]

    @property
    def names(self):
        """The columns of the table."""
        return [n for n in COLUMN_NAMES
                if n in REQUIRED_COLUMNS or (n == "weight" and self.weight)]

    def header(self):
        """Return the primary header of the table.

        Examples
        --------
        >>> SyntheticPixTable(100).header()["HIERARCH ESO DRS MUSE PIXTABLE WCS"]
        'projected (intermediate)'
        """
        header = fits.Header()
        ra0, dec0 = self.center
        key = "HIERARCH ESO DRS MUSE PIXTABLE "
        if self.projection == "projected":
            header[key + "WCS"] = ("projected (intermediate)",
                                   "Gnomonic")
        else:
            header[key + "WCS"] = ("positioned (final)",
                                   "absolute")
            header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
            header["CUNIT1"], header["CUNIT2"] = "deg", "deg"
            header["CRVAL1"], header["CRVAL2"] = ra0, dec0
        header["RA"] = (ra0, "[deg] field centre")
        header["DEC"] = (dec0, "[deg] field centre")
        header[key + "FLUXCAL"] = (True, "flux-calibrated")
        header[key + "SKYSUB"] = (False, "not sky-subtracted")
        header[key + "MERGED"] = (_NIFU, "IFUs merged into this table")
        header[key + "LIMITS IFU LOW"] = 1
        header[key + "LIMITS IFU HIGH"] = _NIFU
        header[key + "LIMITS SLICE LOW"] = 1
        header[key + "LIMITS SLICE HIGH"] = _NSLICE
        if self.weight:
            header[key + "WEIGHTED"] = True
        if self.nexp > 1:
            header[key + "COMBINED"] = self.nexp
            for number, (first, last) in enumerate(self.exposure_rows, 1):
                header[key + f"EXP{number} FIRST"] = first
                header[key + f"EXP{number} LAST"] = last
        for ifu in range(1, _NIFU + 1):
            for sli in range(1, _NSLICE + 1):
                header["HIERARCH " + XOFFSET_KEYWORD.format(ifu, sli)] = (
                    _slice_start(ifu, sli) - 2)
        return header

    def rows(self, start, stop):
        """Return the true contents of rows ``start:stop``.

        Returns
        -------
        dict
            The table's columns (``xpos``, ``ypos``, ``lambda``, ``data``,
            ``dq``, ``stat``, ``origin``, optionally ``weight``) in the
            types written, plus the truth: ``ifu``, ``slice``, ``xpix``,
            ``ypix`` (zero-based), ``exp``, ``ra`` and ``dec`` (degrees,
            float64, before rounding the positions to float32).

        Examples
        --------
        See `SyntheticPixTable`.
        """
        start, stop = max(0, int(start)), min(self.nrows, int(stop))
        parts = [self._block(b) for b in range(start // _BLOCK,
                                                (stop - 1) // _BLOCK + 1)]
        if not parts or stop <= start:
            return {key: value[:0] for key, value in self._block(0).items()}
        first = (start // _BLOCK) * _BLOCK
        return {key: np.concatenate([p[key] for p in parts])[
            start - first:stop - first] for key in parts[0]}

    def _block(self, block):
        start = block * _BLOCK
        stop = min(self.nrows, start + _BLOCK)
        rng = np.random.default_rng([self.seed, block])
        index = np.arange(start, stop, dtype=np.int64)
        exp = np.searchsorted([b for _, b in self.exposure_rows], index,
                              side="left")
        first = np.array([a for a, _ in self.exposure_rows])[exp]
        count = np.array([b - a + 1 for a, b in self.exposure_rows])[exp]
        # Even sampling of the CCD pixels, with a random jitter inside
        # each row's share so that no pixel is sampled twice.
        jitter = rng.random(index.size)
        pixel = np.floor((index - first + jitter) * (_NPIXELS / count))
        pixel = np.minimum(pixel.astype(np.int64), _NPIXELS - 1)
        ypix = pixel % _NY
        xrel = (pixel // _NY) % _NX
        sli = (pixel // (_NY * _NX)) % _NSLICE + 1
        ifu = pixel // (_NY * _NX * _NSLICE) + 1
        xpix = _slice_start(ifu, sli) + xrel
        lbda = (4750.0 + 4600.0 * (ypix + 0.5) / _NY + 0.02 * xrel
                + 0.5 * (sli % 3))
        xi, eta = self._tangent_plane(ifu, sli, xrel, lbda, exp, rng)
        ra, dec, xpos, ypos = self._positions(xi, eta)
        data, stat = self._fluxes(xi, eta, lbda, rng)
        dq = np.where(rng.random(index.size) < 0.002,
                      1 << rng.integers(0, 16, index.size), 0)
        out = {
            "xpos": xpos.astype(np.float32), "ypos": ypos.astype(np.float32),
            "lambda": lbda.astype(np.float32), "data": data.astype(np.float32),
            "dq": dq.astype(np.int32), "stat": stat.astype(np.float32),
            "origin": encode_origin(ifu, sli, ypix, xpix, self._offsets()),
            "ifu": ifu, "slice": sli, "xpix": xpix, "ypix": ypix,
            "exp": exp + 1, "ra": ra, "dec": dec}
        if self.weight:
            out["weight"] = (1.0 + 0.1 * np.sin(index)).astype(np.float32)
        return out

    def _offsets(self):
        table = np.full((_NIFU + 1, _NSLICE + 1), -1, dtype=np.int64)
        ifu, sli = np.meshgrid(np.arange(1, _NIFU + 1),
                               np.arange(1, _NSLICE + 1), indexing="ij")
        table[1:, 1:] = _slice_start(ifu, sli) - 2
        return table

    @staticmethod
    def _tangent_plane(ifu, sli, xrel, lbda, exp, rng):
        """East and north offsets (arcsec) of rows from the field centre."""
        sky = Slicer.ccd2sky(sli)
        stack, _ = Slicer.sky2optical(sky)
        xi = -30.0 + (4 - stack) * 15.0 + (xrel + 0.5) * 0.2
        eta = 30.0 - (ifu - 1) * 2.5 - ((sky - 1) % 12 + 0.5) * 0.2
        # Atmospheric refraction moves the rows with wavelength; the
        # exposures are dithered.
        drift = (lbda - 7000.0) / 2300.0
        xi = xi + 0.1 * drift + 0.31 * exp + rng.uniform(-0.02, 0.02,
                                                         xi.size)
        eta = eta + 0.05 * drift - 0.17 * exp + rng.uniform(-0.02, 0.02,
                                                            xi.size)
        return xi, eta

    def sky_position(self, east, north):
        """Return the (RA, Dec) in degrees of tangent-plane offsets.

        Parameters
        ----------
        east, north : float or array-like
            Offsets from the field centre in arcsec, in the tangent plane
            (gnomonic standard coordinates), for example those of
            `SYNTHETIC_STARS`.

        Examples
        --------
        >>> ra, dec = SyntheticPixTable(10, center=(10.0, 0.0)).sky_position(
        ...     0.0, 36.0)
        >>> round(float(ra), 9), round(float(dec), 9)
        (10.0, 0.01)
        """
        phi, theta = Pix2Sky_Gnomonic()(np.asarray(east) / 3600.0,
                                        np.asarray(north) / 3600.0)
        ra, dec = RotateNative2Celestial(*self.center, 180.0)(phi, theta)
        return np.mod(ra, 360.0), dec

    def _positions(self, xi, eta):
        phi, theta = Pix2Sky_Gnomonic()(xi / 3600.0, eta / 3600.0)
        ra0, dec0 = self.center
        ra, dec = RotateNative2Celestial(ra0, dec0, 180.0)(phi, theta)
        ra = np.mod(ra, 360.0)
        if self.projection == "projected":
            xpos = np.mod(phi + 180.0, 360.0) - 180.0
            ypos = theta - 90.0
        else:
            xpos, ypos = sky_to_positioned(ra, dec, ra0, dec0)
        factor = u.deg.to(self.position_unit)
        return ra, dec, xpos * factor, ypos * factor

    @staticmethod
    def _fluxes(xi, eta, lbda, rng):
        signal = 100.0 + 20.0 * np.sin(lbda / 300.0)
        for east, north, peak in SYNTHETIC_STARS:
            r2 = (xi - east) ** 2 + (eta - north) ** 2
            signal = signal + peak * np.exp(-0.5 * r2 / _SIGMA ** 2)
        stat = np.abs(signal) + 25.0
        data = signal + rng.normal(size=xi.size) * np.sqrt(stat)
        return data, stat

    def units(self):
        """Units of the columns.

        Examples
        --------
        >>> SyntheticPixTable(100, projection="positioned").units()["xpos"]
        Unit("deg")
        """
        flux = u.Unit("1e-20 erg / (s cm2 Angstrom)")
        return {"xpos": self.position_unit, "ypos": self.position_unit,
                "lambda": u.AA, "data": flux, "stat": flux ** 2}

    def write(self, filename, save_as_ima=True):
        """Write the table (atomically, in chunks of 2**20 rows).

        Parameters
        ----------
        filename : str or `os.PathLike`
            Output file.
        save_as_ima : bool
            True for one image extension per column, False for a binary
            table.

        Examples
        --------
        See `make_synthetic_pixtable`.
        """
        names = self.names
        chunks = ((start, min(self.nrows, start + _BLOCK),
                   self._block(start // _BLOCK))
                  for start in range(0, self.nrows, _BLOCK))
        write_pixtable(filename, self.header(), self.nrows, self.units(),
                       chunks, names, save_as_ima=save_as_ima)


def make_synthetic_pixtable(filename, nrows=100000, projection="projected",
                            save_as_ima=True, center=HDFS_CENTER,
                            position_unit=None, nexp=1, weight=False,
                            seed=0):
    """Write a synthetic MUSE pixel table with known contents.

    Parameters
    ----------
    filename : str or `os.PathLike`
        Output file.
    nrows : int
        Number of rows.
    projection : {'projected', 'positioned'}
        Kind of positions.
    save_as_ima : bool
        True (default) for one image extension per column, False for a
        binary table.
    center : (float, float)
        RA and Dec of the field centre (degrees).
    position_unit : `~astropy.units.UnitBase`, optional
        Unit of xpos/ypos (radians for 'projected', degrees for
        'positioned' by default).
    nexp : int
        Number of exposures.
    weight : bool
        Include a weight column.
    seed : int
        Random seed.

    See Also
    --------
    SyntheticPixTable : the same table, with the true contents of each row.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.pixtable import PixTable
    >>> tmp = tempfile.TemporaryDirectory()
    >>> name = os.path.join(tmp.name, "pt.fits")
    >>> make_synthetic_pixtable(name, nrows=5000, projection="positioned",
    ...                         save_as_ima=False, nexp=2)
    >>> pix = PixTable(name)
    >>> pix.nrows, pix.projection, pix.ima, pix.get_keyword("COMBINED")
    (5000, 'positioned', False, 2)
    >>> tmp.cleanup()
    """
    SyntheticPixTable(nrows, projection=projection, center=center,
                      position_unit=position_unit, nexp=nexp, weight=weight,
                      seed=seed).write(filename, save_as_ima=save_as_ima)
