"""The MUSE pipeline's OFFSET_LIST table, from exposure fits.

``muse_exp_combine`` (and ``muse_scipost``) read an OFFSET_LIST FITS table
with one row per exposure: ``DATE_OBS`` (the exposure's DATE-OBS, which
identifies it), ``MJD_OBS``, ``RA_OFFSET`` and ``DEC_OFFSET`` in degrees
and optionally ``FLUX_SCALE``. The pipeline SUBTRACTS the offsets from the
exposure's coordinates (RA, Dec) before combining, and multiplies the
exposure's fluxes by FLUX_SCALE.

Our ``dra`` and ``ddec`` say how far MUSE features lie from HST ones (to
be subtracted from CRVAL1/CRVAL2), with ``dra`` an on-sky angle. The
pipeline's RA offset is a difference of right ascension, so
``RA_OFFSET = dra / cos(dec) / 3600`` and ``DEC_OFFSET = ddec / 3600``.
The flux scale ``scale`` is MUSE/HST, so ``FLUX_SCALE = 1 / scale`` makes
the exposure agree with HST.

Where the sign convention comes from. The pipeline's own documentation
says only which offsets were applied, not with which sign: its header
keywords ``ESO DRS MUSE OFFSETi DRA/DDEC`` are commented "[deg] (= %f
arcsec) RA offset applied" (``muse_dfs.h`` of the pipeline source), and
the MUSE Pipeline Reference Manual (muse-kit 2.1.1, "Xposure combination") describes
``muse_xcombine_find_offsets`` as "Get offsets and scale from table row
with matching DATE-OBS entry" of a "table with coordinate offsets to
apply". The sign is fixed by the tool that writes OFFSET_LIST tables for
the pipeline from a comparison with a reference image, pymusepipe
(github.com/emsellem/pymusepipe, ``src/pymusepipe/align_pipe.py``, release
2.17.6): ``save_fits_offset_table`` writes
``RA_OFFSET = total_off_arcsec[:, 0] / 3600. / cos(dec_muse)`` and
``DEC_OFFSET = total_off_arcsec[:, 1] / 3600.``, and ``_apply_alignment``
aligns an exposure with that same offset by ``CRPIX += offset in
pixels`` (the arcsec offset times the inverse of the CD matrix), which
moves the world coordinates of every pixel by minus the offset: the
corrected coordinates are the exposure's minus (RA_OFFSET, DEC_OFFSET),
as above. pymusepipe then gives that same table to the pipeline as the
OFFSET_LIST of ``muse_exp_combine`` (``combine.py``: ``self._sofdict
['OFFSET_LIST'] = [...]``) and of ``muse_scipost`` (``prep_recipes_pipe.py``),
so the pipeline applies it with that sign (an inference from a
widely used tool; the pipeline's C source, ``muse_xcombine.c``, was not
found in the sources searched). The peer tool (imphot) writes no
OFFSET_LIST. The round trip is tested in
``survey/tests/test_offset_list.py``: applying the written offsets that
way to the exposure's WCS makes a refit find zero offset.
"""

import os

import numpy as np
from astropy.io import fits
from astropy.table import Table

from ..exceptions import UserError
from ..io import write_fits_atomically

__all__ = ["write_offset_list", "offset_list_row"]

_COLUMNS = ("DATE_OBS", "MJD_OBS", "RA_OFFSET", "DEC_OFFSET")


def _flux_scale(result, flux_scale):
    joint = getattr(result, "joint", {})
    if flux_scale == "mean":
        scales = [j.scale.value for j in joint.values()]
    elif flux_scale in joint:
        scales = [joint[flux_scale].scale.value]
    else:
        raise UserError(f"flux_scale: expected None, 'mean' or one of the fitted "
                        f"bands {sorted(joint)}, not {flux_scale!r}")
    return 1.0 / float(np.mean(scales))


def offset_list_row(result, flux_scale=None):
    """The OFFSET_LIST row of one exposure's fit.

    Parameters
    ----------
    result : `~imphot_astropy.survey.CubePhotometry`
        Or any object with ``date_obs``, ``mjd_obs``, ``dra``, ``ddec``
        (`~imphot_astropy.fitting.FittedValue`, arcsec) and ``wcs``.
    flux_scale : None, "mean" or a band name
        Add FLUX_SCALE = 1 / (the mean joint scale of the bands, or that of
        one band).

    Returns
    -------
    row : dict

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.fitting import FittedValue
    >>> from imphot_astropy.datasets import muse_wcs
    >>> r = SimpleNamespace(date_obs="2014-10-22T03:15:40.123", mjd_obs=56952.1,
    ...                     dra=FittedValue(0.36), ddec=FittedValue(-0.18),
    ...                     wcs=muse_wcs((10, 10), dec=0.0), shape=(10, 10))
    >>> row = offset_list_row(r)
    >>> round(row["RA_OFFSET"] * 3600, 6), round(row["DEC_OFFSET"] * 3600, 6)
    (0.36, -0.18)
    """
    if not getattr(result, "date_obs", None):
        raise UserError(f"results: the exposure {getattr(result, 'name', '?')} has no "
                        "DATE-OBS, which identifies its row in the OFFSET_LIST")
    ny, nx = result.shape
    _, dec = result.wcs.pixel_to_world_values((nx - 1) / 2.0, (ny - 1) / 2.0)
    row = {"DATE_OBS": str(result.date_obs),
           "MJD_OBS": np.nan if result.mjd_obs is None else float(result.mjd_obs),
           "RA_OFFSET": float(result.dra.value / np.cos(np.deg2rad(float(dec))) / 3600.0),
           "DEC_OFFSET": result.ddec.value / 3600.0}
    if flux_scale is not None:
        row["FLUX_SCALE"] = _flux_scale(result, flux_scale)
    return row


def _read_existing(path):
    try:
        table = Table.read(path, format="fits")
    except (OSError, ValueError) as exc:
        raise UserError(f"path: {path} exists but is not a readable FITS table ({exc})") \
            from None
    missing = [c for c in _COLUMNS if c not in table.colnames]
    if missing:
        raise UserError(f"path: {path} is not an OFFSET_LIST (no column {missing})")
    table["DATE_OBS"] = [str(v).strip() for v in table["DATE_OBS"]]
    return table


def write_offset_list(results, path, flux_scale=None, inputs=()):
    """Write (or update) the MUSE pipeline's OFFSET_LIST from exposure fits.

    Rows are identified by DATE_OBS: if ``path`` exists, the rows of
    refitted exposures are updated in place, other rows are kept as they
    are, and new exposures are appended. The file is written to a
    temporary name and renamed.

    Parameters
    ----------
    results : iterable of `~imphot_astropy.survey.CubePhotometry`
        Fits of any number of exposures (DATE-OBS and MJD-OBS from their
        cube headers).
    path : str or `os.PathLike`
        The OFFSET_LIST FITS file.
    flux_scale : None, "mean" or a band name
        Also write FLUX_SCALE (see `offset_list_row`). Rows of a merged
        table that are not refitted keep theirs; new rows of a table that
        had none get 1 where no scale is given.
    inputs : iterable of str
        Files that must not be replaced.

    Returns
    -------
    table : `~astropy.table.Table`
        The table written.

    Examples
    --------
    >>> import os, tempfile
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.fitting import FittedValue
    >>> from imphot_astropy.datasets import muse_wcs
    >>> r = SimpleNamespace(date_obs="2014-10-22T03:15:40.123", mjd_obs=56952.1,
    ...                     dra=FittedValue(0.36), ddec=FittedValue(-0.18),
    ...                     wcs=muse_wcs((10, 10)), shape=(10, 10))
    >>> path = os.path.join(tempfile.mkdtemp(), "OFFSET_LIST.fits")
    >>> len(write_offset_list([r], path)), len(write_offset_list([r], path))
    (1, 1)
    """
    rows = [offset_list_row(r, flux_scale) for r in results]
    dates = [r["DATE_OBS"] for r in rows]
    if len(set(dates)) != len(dates):
        raise UserError("results: two results have the same DATE-OBS")
    table = _read_existing(path) if os.path.exists(path) else None
    with_scale = flux_scale is not None or (table is not None
                                            and "FLUX_SCALE" in table.colnames)
    names = list(_COLUMNS) + (["FLUX_SCALE"] if with_scale else [])
    if table is None:
        table = Table(names=names, dtype=["U32", "f8", "f8", "f8"] + (["f8"] * with_scale))
    elif with_scale and "FLUX_SCALE" not in table.colnames:
        table["FLUX_SCALE"] = np.ones(len(table))
    width = max([len(d) for d in dates] + [table["DATE_OBS"].dtype.itemsize // 4, 1])
    table["DATE_OBS"] = table["DATE_OBS"].astype(f"U{width}")
    existing = {str(d): i for i, d in enumerate(table["DATE_OBS"])}
    for row in rows:
        values = {name: row.get(name, 1.0) for name in names}
        if row["DATE_OBS"] in existing:
            i = existing[row["DATE_OBS"]]
            for name in names:
                if name in row:
                    table[name][i] = row[name]
        else:
            table.add_row([values[n] for n in names])
    for name in ("RA_OFFSET", "DEC_OFFSET"):
        table[name].unit = "deg"
    table["MJD_OBS"].unit = "d"
    hdu = fits.table_to_hdu(table)
    hdu.name = "OFFSET_LIST"
    write_fits_atomically(fits.HDUList([fits.PrimaryHDU(), hdu]), path, inputs=inputs,
                          argname="path")
    return table
