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

`make_star_pixtable` makes the small table of the rows around one star
whose PSF is a known Moffat, circular or elliptical, for the truth tests of
`~imphot_astropy.fitting.fit_pixtable_star`.
"""

import numbers

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.modeling.functional_models import Moffat2D
from astropy.modeling.projections import Pix2Sky_Gnomonic
from astropy.modeling.rotations import RotateNative2Celestial

from ..exceptions import UserError
from ..utils.validation import optional_number
from ..pixtable.origin import XOFFSET_KEYWORD, encode_origin
from ..pixtable.sky import sky_to_positioned
from ..pixtable.slicer import Slicer
from ..pixtable.columns import COLUMN_NAMES, REQUIRED_COLUMNS
from ..pixtable.pixtable import PixTable
from ..pixtable.writer import write_pixtable

__all__ = ["SyntheticPixTable", "make_synthetic_pixtable", "make_star_pixtable",
           "HDFS_CENTER", "SYNTHETIC_STARS"]

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


def make_star_pixtable(lbda=((6000.0, 6100.0),), fwhm=0.65, beta=2.5, e=0.0, theta=0.0,
                       fwhm_slope=0.0, flux=2.0e5, background=50.0, star=HDFS_CENTER,
                       nexp=2, size=3.4, seed=0):
    """A 'positioned' pixel table of the rows around one star of known PSF.

    Each exposure samples the sky on the slices' 0.2" grid within ``size``
    arcsec of the star (dithered by up to 0.1"); a quarter of the CCD rows
    (1.25 Angstrom apart) within 10 Angstrom of each range of ``lbda`` are
    kept per exposure, each placing the slice pixels at slightly different
    positions (distortions and 0.03" errors), so the samples lie at
    irregular positions, as in a real pixel table. The values are the star,
    a Moffat of total flux ``flux`` over 0.2" spaxels, plus ``background``,
    with Gaussian noise of variance ``stat`` = signal + 30.

    The star is rendered with astropy's
    `~astropy.modeling.functional_models.Moffat2D` (its core width from
    ``Moffat2D.fwhm``) at the stretched radius, normalised by the volume of
    an elliptical Moffat, ``pi alpha**2 (1 - e) / (beta - 1)``, not with the
    fitters' code.

    Parameters
    ----------
    lbda : (float, float) or list of (float, float)
        Wavelength ranges (Angstrom) to sample: one (min, max) pair or a
        list of them, as `~imphot_astropy.fit_pixtable_star` takes them.
    fwhm, beta : float
        The Moffat's FWHM along the major axis (arcsec) at 7000 Angstrom,
        and its exponent.
    e, theta : float
        Ellipticity (1 - minor/major) and position angle of the major axis,
        in degrees from west toward north (from +x toward +y of a MUSE
        image with north up and east to the left, the convention of the
        image and star fits).
    fwhm_slope : float
        The change of the FWHM per Angstrom.
    flux, background : float
        The star's flux and the background per sample.
    star : (float, float)
        RA and Dec of the star (degrees), also the table's reference point.
    nexp : int
        Number of exposures.
    size : float
        Half-width (arcsec) of the square sampled around the star.
    seed : int
        Seed of the random numbers.

    Returns
    -------
    pixtable : `~imphot_astropy.PixTable`
        The rows, in memory.
    truth : dict
        The arguments, with ``lbda`` a list of pairs and ``fwhm`` a
        function of wavelength.

    Raises
    ------
    UserError
        For an argument out of its range: an empty wavelength range, a
        FWHM that is not positive at every sampled wavelength, beta not
        above 1, an ellipticity outside [0, 1), fewer than one exposure...

    Examples
    --------
    >>> pix, truth = make_star_pixtable(e=0.15, theta=30.0, nexp=1)
    >>> pix.projection, pix.nrows > 20000, truth["e"]
    ('positioned', True, 0.15)
    """
    lbda = _wavelength_ranges(lbda)
    fwhm, beta = _number(fwhm, "fwhm", 0.0), _number(beta, "beta", 1.0)
    e, theta = _number(e, "e"), _number(theta, "theta")
    if not 0.0 <= e < 1.0:
        raise UserError(f"e: expected an ellipticity in [0, 1), not {e}")
    fwhm_slope, flux = _number(fwhm_slope, "fwhm_slope"), _number(flux, "flux")
    background, size = _number(background, "background"), _number(size, "size", 0.0)
    if not (isinstance(nexp, numbers.Integral) and not isinstance(nexp, (bool, np.bool_))
            and nexp >= 1):
        raise UserError(f"nexp: expected a whole number of exposures >= 1, not {nexp!r}")
    rng = np.random.default_rng(seed)
    east, north, lam = _star_sample_positions(lbda, int(nexp), size, rng)

    def fwhm_at(wavelength):
        return fwhm + fwhm_slope * (np.asarray(wavelength) - 7000.0)

    if not np.all(fwhm_at(lam) > 0):
        worst = float(lam[np.argmin(fwhm_at(lam))])
        raise UserError(f"fwhm_slope: the FWHM {fwhm} + {fwhm_slope} (lambda - 7000) is not "
                        f"positive at {worst:g} Angstrom")

    signal = background + flux * _elliptical_moffat_spaxels(east, north, fwhm_at(lam), beta,
                                                            e, theta)
    stat = signal + 30.0
    data = rng.normal(signal, np.sqrt(stat))
    phi, tilt = Pix2Sky_Gnomonic()(east / 3600.0, north / 3600.0)
    ra, dec = RotateNative2Celestial(star[0], star[1], 180.0)(phi, tilt)
    xpos, ypos = sky_to_positioned(np.mod(ra, 360.0), dec, *star)
    pix = PixTable(xpos=xpos.astype(np.float32), ypos=ypos.astype(np.float32),
                   lbda=lam.astype(np.float32),
                   data=data.astype(np.float32), dq=np.zeros(lam.size, dtype=np.int32),
                   stat=stat.astype(np.float32), origin=np.zeros(lam.size, dtype=np.int64),
                   wcs=u.deg, unit_data=u.Unit("1e-20 erg / (s cm2 Angstrom)"))
    pix.set_keyword("WCS", "positioned (final)")
    pix.primary_header["CRVAL1"], pix.primary_header["CRVAL2"] = star
    truth = dict(lbda=list(lbda), fwhm=fwhm_at, beta=beta, e=e, theta=theta, flux=flux,
                 background=background, star=tuple(star))
    return pix, truth


def _number(value, argname, minimum=None):
    """A finite float (above ``minimum`` if given); anything else is a `UserError`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise UserError(f"{argname}: expected a number, not {value!r}")
    return optional_number(value, argname, minimum)


def _wavelength_ranges(lbda):
    """``lbda`` as a list of (min, max) pairs: one pair alone, or a list of them."""
    pairs = [lbda] if (isinstance(lbda, (tuple, list)) and len(lbda) == 2
                       and np.ndim(lbda[0]) == 0) else lbda
    try:
        pairs = [(float(low), float(high)) for low, high in pairs]
    except (TypeError, ValueError):
        raise UserError(f"lbda: expected a (min, max) pair in Angstrom or a list of "
                        f"them, not {lbda!r}") from None
    for low, high in pairs:
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise UserError(f"lbda: the range ({low}, {high}) is empty")
    if not pairs:
        raise UserError("lbda: no wavelength range given")
    return pairs


def _star_sample_positions(lbda, nexp, size, rng):
    """East and north offsets (arcsec) and wavelengths of the star's samples."""
    grid = np.arange(-round(size / 0.2), round(size / 0.2) + 1) * 0.2
    east, north = (a.ravel() for a in np.meshgrid(grid, grid))
    rows = np.unique(np.concatenate([np.arange(low - 10.0, high + 10.0, 1.25)
                                     for low, high in lbda]))
    parts = []
    for _ in range(int(nexp)):
        dither = rng.uniform(-0.1, 0.1, 2)
        for lam in rows[rng.random(rows.size) < 0.25]:
            x = east + dither[0] + 0.02 * np.sin(lam / 300.0 + east)
            y = north + dither[1] + 0.02 * np.cos(lam / 250.0 + north)
            parts.append((x + rng.uniform(-0.03, 0.03, x.size),
                          y + rng.uniform(-0.03, 0.03, x.size), np.full(x.size, lam)))
    return tuple(np.concatenate(column) for column in zip(*parts))


def _elliptical_moffat_spaxels(east, north, fwhm, beta, e, theta):
    """A unit-flux elliptical Moffat at the star, per 0.2" spaxel (see `make_star_pixtable`)."""
    gamma = fwhm / Moffat2D(gamma=1.0, alpha=beta).fwhm
    angle = np.deg2rad(theta)
    # The major axis points west (-east) rotated toward north by theta.
    along = -east * np.cos(angle) + north * np.sin(angle)
    across = east * np.sin(angle) + north * np.cos(angle)
    volume = np.pi * gamma**2 * (1.0 - e) / (beta - 1.0)
    profile = Moffat2D.evaluate(along, across / (1.0 - e), 1.0 / volume, 0.0, 0.0, gamma, beta)
    return 0.04 * profile
