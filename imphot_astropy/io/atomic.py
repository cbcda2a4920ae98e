"""Writing output files so that nothing is ever half written."""

import os
import tempfile
from pathlib import Path

from ..exceptions import UserError

__all__ = ["write_fits_atomically", "check_output_path"]


def check_output_path(path, inputs=(), argname="output"):
    """Refuse an output path that names one of the input files.

    Parameters
    ----------
    path : str or `os.PathLike`
        The output file name.
    inputs : iterable of str or None
        The names of the files that were read (None entries are ignored).
    argname : str
        The name of the argument to quote in the error message.

    Raises
    ------
    UserError
        If ``path`` is one of ``inputs``, or its directory does not exist.

    Examples
    --------
    >>> check_output_path("out.fits", inputs=["in.fits"])
    """
    target = Path(path).resolve()
    for name in inputs:
        if name is None:
            continue
        source = Path(name).resolve()
        if target == source or (target.exists() and source.exists()
                                 and os.path.samefile(target, source)):
            raise UserError(f"{argname}: {path} is an input file; refusing to "
                            "overwrite it")
    if not target.parent.is_dir():
        raise UserError(f"{argname}: the directory of {path} does not exist")


def write_fits_atomically(hdulist, path, inputs=(), argname="output"):
    """Write an HDUList to a temporary file, then rename it to ``path``.

    A reader never sees a partly written file, an interrupted write leaves
    the previous file (if any) in place, and an input file is never replaced.

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
        What to write.
    path : str or `os.PathLike`
        The final file name.
    inputs : iterable of str
        Input file names that must not be replaced.
    argname : str
        The argument name to quote in error messages.

    Examples
    --------
    >>> import tempfile, os
    >>> from astropy.io import fits
    >>> d = tempfile.mkdtemp()
    >>> write_fits_atomically(fits.HDUList([fits.PrimaryHDU()]),
    ...                       os.path.join(d, "x.fits"))
    >>> os.listdir(d)
    ['x.fits']
    """
    check_output_path(path, inputs, argname)
    path = Path(path)
    fd, tmpname = tempfile.mkstemp(prefix="." + path.name + ".",
                                   suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        hdulist.writeto(tmpname, overwrite=True)
        # mkstemp creates the file readable by its owner only; give it the
        # permissions an ordinary new file would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmpname, 0o666 & ~umask)
        os.replace(tmpname, path)
    except BaseException:
        if os.path.exists(tmpname):
            os.unlink(tmpname)
        raise
