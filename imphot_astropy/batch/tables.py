"""Writing the results of many fits to one table file, atomically."""

import json
import os

from astropy.io import fits

from ..exceptions import UserError
from ..io import atomic_output, check_output_path, write_fits_atomically
from ..fitting import photometry_table
from ..fitting.quality import flag_outliers

__all__ = ["write_photometry_table", "table_format"]

_FORMATS = {".ecsv": "ecsv", ".fits": "fits", ".fit": "fits", ".fts": "fits",
            ".fits.gz": "fits"}


def table_format(path, argname="table"):
    """The table format ("ecsv" or "fits") that a file name asks for.

    Raises
    ------
    UserError
        For any other extension.

    Examples
    --------
    >>> table_format("fits.ecsv"), table_format("all.FITS")
    ('ecsv', 'fits')
    """
    name = os.fspath(path).lower()
    for suffix, kind in sorted(_FORMATS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return kind
    raise UserError(f"{argname}: {path} must end in .ecsv or .fits, to say which "
                    "table format to write")


def _table_hdu(table):
    """A FITS table HDU whose header keeps the whole meta.

    FITS cards hold neither lists nor dicts, so the meta (package version,
    input files, fit options) goes into one JSON string, IMPMETA, spread
    over CONTINUE cards; IMPVERS repeats the package version.
    """
    plain = table.copy(copy_data=False)
    plain.meta.clear()
    hdu = fits.table_to_hdu(plain)
    hdu.header["IMPVERS"] = (str(table.meta.get("imphot_astropy_version", "")),
                             "imphot_astropy version")
    hdu.header["IMPMETA"] = (json.dumps(dict(table.meta), default=str),
                             "imphot_astropy table meta (JSON)")
    return hdu


def write_photometry_table(results, path, inputs=(), argname="table"):
    """Write photometry results to one ECSV or FITS table, atomically.

    The table is `~imphot_astropy.fitting.photometry_table` of the results:
    a row per result (an image fit and a star fit of one file are two rows).
    It is written under a temporary name and renamed when complete, and it
    never replaces one of the ``inputs``. The table's meta (package
    version, input files, HST filter, fit options) is kept: in the ECSV
    header, or as JSON in the IMPMETA keyword of a FITS table.

    Parameters
    ----------
    results : iterable of `~imphot_astropy.fitting.FittedPhotometry`
        The results; tuples of results (from the combined fitter) are
        flattened.
    path : str or `os.PathLike`
        The output file: ``.ecsv`` or ``.fits`` (``.fit``, ``.fts``,
        ``.fits.gz``).
    inputs : iterable of str
        The input files, which the output must not replace.
    argname : str
        The argument name quoted in error messages.

    Returns
    -------
    table : `~astropy.table.Table`
        What was written.

    Examples
    --------
    >>> import os, tempfile
    >>> from astropy.table import Table
    >>> path = os.path.join(tempfile.mkdtemp(), "fits.ecsv")
    >>> write_photometry_table([], path).colnames[:2]
    ['name', 'method']
    >>> len(Table.read(path))
    0
    """
    kind = table_format(path, argname)
    check_output_path(path, inputs, argname)
    flat = []
    for result in results:
        flat.extend(result if isinstance(result, (tuple, list)) else [result])
    # The outlier flag compares the exposures of one HST image and band.
    table = flag_outliers(photometry_table(flat), results=flat)
    if kind == "fits":
        hdulist = fits.HDUList([fits.PrimaryHDU(), _table_hdu(table)])
        write_fits_atomically(hdulist, path, inputs, argname)
        return table
    with atomic_output(path, inputs, argname) as tmpname:
        table.write(tmpname, format="ascii.ecsv", overwrite=True)
    return table
