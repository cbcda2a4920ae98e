"""Writing the results of many fits to one table file, atomically."""

import os

from astropy.io import fits

from ..exceptions import UserError
from ..io import atomic_output, check_output_path, write_fits_atomically
from ..fitting import photometry_table

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


def write_photometry_table(results, path, inputs=(), argname="table"):
    """Write photometry results to one ECSV or FITS table, atomically.

    The table is `~imphot_astropy.fitting.photometry_table` of the results:
    a row per result (an image fit and a star fit of one file are two rows).
    It is written under a temporary name and renamed when complete, and it
    never replaces one of the ``inputs``.

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
    table = photometry_table(flat)
    if kind == "fits":
        hdulist = fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(table)])
        write_fits_atomically(hdulist, path, inputs, argname)
        return table
    with atomic_output(path, inputs, argname) as tmpname:
        table.write(tmpname, format="ascii.ecsv", overwrite=True)
    return table
