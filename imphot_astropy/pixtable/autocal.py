"""Merging the self-calibration factors of several MUSE exposures.

The MUSE pipeline's self-calibration (``autocalib="deepfield"``) writes, per
exposure, an AUTOCAL_FACTORS table: one correction factor (``corr``) per
IFU, slice and wavelength segment (``quad``), with the number of points it
was computed from (``npts``). MPDAF's ``merge_autocal_factors`` combines the
tables of several exposures with a sigma-clipped mean; this module does the
same with astropy.
"""

import os

import numpy as np
from astropy.io import fits
from astropy.stats import sigma_clip
from astropy.table import Table

from ..exceptions import UserError
from ..io import write_fits_atomically

__all__ = ["merge_autocal_factors"]

_NIFUS, _NSLICES = 24, 48
# The wavelength segments are described by these primary-header keywords.
_SEGMENT_KEYS = "ESO DRS MUSE LAMBDA* MIN"


def _read_factors(filename):
    try:
        table = Table.read(filename, format="fits")
        with fits.open(filename) as hdul:
            # The segments' keywords: in the primary header of the
            # pipeline's files, in the table's of some others.
            headers = [hdul[0].header] + [h.header for h in hdul[1:2]]
            header = next((h for h in headers if len(h[_SEGMENT_KEYS])),
                          headers[0])
    except (OSError, ValueError, TypeError) as err:
        raise UserError(f"flist: cannot read {filename} as a FITS table "
                        f"({err})") from None
    missing = {"corr", "npts"} - set(table.colnames)
    if missing:
        raise UserError(f"flist: {filename} has no column "
                        + ", ".join(sorted(missing))
                        + " (not an AUTOCAL_FACTORS table)")
    return table, header


def merge_autocal_factors(flist, outfile=None, sigma=3.0, maxiters=5):
    """Merge the AUTOCAL_FACTORS tables of several exposures.

    For each IFU, slice and wavelength segment, the factors of the
    exposures are combined with a sigma-clipped mean (factors computed from
    no point are left out).

    Parameters
    ----------
    flist : list of str or `os.PathLike`
        The AUTOCAL_FACTORS files, all with the same segments.
    outfile : str or `os.PathLike`, optional
        If given, the merged table is written there (after the primary
        header of the first file), atomically; never over an input.
    sigma, maxiters : float, int
        Clipping threshold and iterations (`astropy.stats.sigma_clip`;
        MPDAF's defaults).

    Returns
    -------
    `~astropy.table.Table`
        The first file's table without ``npts`` and ``corr_orig``, with
        ``corr`` the clipped mean, ``std_corr`` the clipped standard
        deviation, and ``nkeep`` and ``nrej`` the numbers of factors kept
        and rejected.

    Raises
    ------
    UserError
        If a file cannot be read, or the tables do not have one row per
        IFU, slice and segment of the first file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.table import Table
    >>> tmp = tempfile.TemporaryDirectory()
    >>> names = []
    >>> for i, value in enumerate([1.0, 1.02, 0.98]):
    ...     t = Table({"ifu": np.repeat(np.arange(1, 25), 48),
    ...                "sli": np.tile(np.arange(1, 49), 24),
    ...                "quad": np.ones(1152, int), "npts": np.full(1152, 50),
    ...                "corr": np.full(1152, value),
    ...                "corr_orig": np.full(1152, value)})
    ...     t.meta["HIERARCH ESO DRS MUSE LAMBDA1 MIN"] = 4750.0
    ...     names.append(os.path.join(tmp.name, f"f{i}.fits"))
    ...     t.write(names[-1])
    >>> merged = merge_autocal_factors(names)
    >>> round(float(merged["corr"][0]), 6), int(merged["nkeep"][0])
    (1.0, 3)
    >>> tmp.cleanup()
    """
    flist = [os.fspath(name) for name in flist]
    if not flist:
        raise UserError("flist: no file given")
    first, header = _read_factors(flist[0])
    nseg = len(header[_SEGMENT_KEYS])
    if not nseg:
        raise UserError(f"flist: {flist[0]} has no {_SEGMENT_KEYS} keywords "
                        "(the wavelength segments of AUTOCAL_FACTORS)")
    nrows = _NIFUS * _NSLICES * nseg
    factors = []
    for filename in flist:
        table = first if filename == flist[0] else _read_factors(filename)[0]
        if len(table) != nrows:
            raise UserError(f"flist: {filename} has {len(table)} rows, not "
                            f"{nrows} (24 IFUs x 48 slices x {nseg} "
                            f"segments of {flist[0]})")
        corr = np.array(table["corr"], dtype=float)
        corr[np.asarray(table["npts"]) == 0] = np.nan
        factors.append(corr)
    clipped = sigma_clip(np.ma.masked_invalid(factors), sigma=sigma,
                         maxiters=maxiters, axis=0)
    merged = first.copy()
    merged.remove_columns([c for c in ("npts", "corr_orig")
                           if c in merged.colnames])
    merged["std_corr"] = np.ma.std(clipped, axis=0).filled(np.nan)
    merged["corr"] = np.ma.mean(clipped, axis=0).filled(np.nan)
    merged["nkeep"] = np.count_nonzero(~clipped.mask, axis=0)
    merged["nrej"] = np.count_nonzero(clipped.mask, axis=0)
    if outfile is not None:
        with fits.open(flist[0]) as hdul:
            primary = fits.PrimaryHDU(header=hdul[0].header.copy())
        write_fits_atomically(
            fits.HDUList([primary, fits.table_to_hdu(merged)]), outfile,
            inputs=flist, argname="outfile")
    return merged
