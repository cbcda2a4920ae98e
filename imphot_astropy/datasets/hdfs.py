"""Locating the Hubble Deep Field South sample files.

The files are not shipped with the package (they are MPDAF's sample data).
They are looked for, in this order:

1. in the directory named by the ``IMPHOT_HDFS_DIR`` environment variable;
2. in ``../shared/data/hdfs`` beside the source checkout the package was
   imported from (an editable install, or tests run in the checkout);
3. in ``../shared/data/hdfs`` and ``shared/data/hdfs`` below the current
   directory (after a normal ``pip install .`` run from the checkout, the
   package lives in site-packages and knows nothing of the checkout).
"""

import os
from pathlib import Path

from ..exceptions import UserError

__all__ = ["HDFS_FILES", "HDFS_ENV_VARIABLE", "hdfs_directory", "hdfs_path"]

#: The sample files and what they hold.
HDFS_FILES = {
    "muse_image": "IMAGE-HDFS-1.34.fits",
    "hst_image": "HST-HDFS.fits",
    "hst_on_muse_grid": "HST-HDFS-on-MUSE-grid.fits",
    "muse_cube": "CUBE.fits",
}

#: The environment variable that names the sample data directory.
HDFS_ENV_VARIABLE = "IMPHOT_HDFS_DIR"


def _candidates():
    """Where to look, in order (see the module documentation)."""
    candidates = []
    if os.environ.get(HDFS_ENV_VARIABLE):
        candidates.append(Path(os.environ[HDFS_ENV_VARIABLE]).expanduser())
    checkout = Path(__file__).resolve().parents[2]
    candidates.append(checkout.parent / "shared" / "data" / "hdfs")
    cwd = Path.cwd()
    candidates.append(cwd.parent / "shared" / "data" / "hdfs")
    candidates.append(cwd / "shared" / "data" / "hdfs")
    return candidates


def hdfs_directory(required=True):
    """The directory of the HDFS sample files.

    Parameters
    ----------
    required : bool
        If True (default), raise `~imphot_astropy.UserError` when the files
        are not found; if False, return None then.

    Returns
    -------
    directory : `pathlib.Path` or None

    Raises
    ------
    UserError
        If ``required`` and the files are in none of the places searched
        (the message names them, and the ``IMPHOT_HDFS_DIR`` variable), or
        if ``IMPHOT_HDFS_DIR`` is set to a directory without them.

    Examples
    --------
    >>> d = hdfs_directory(required=False)
    >>> d is None or (d / "IMAGE-HDFS-1.34.fits").exists()
    True
    """
    marker = HDFS_FILES["muse_image"]
    candidates = _candidates()
    variable = os.environ.get(HDFS_ENV_VARIABLE)
    if variable and not (candidates[0] / marker).exists():
        if not required:
            return None
        raise UserError(f"{HDFS_ENV_VARIABLE}={variable}: no {marker} in that directory; "
                        "set it to the directory of the HDFS sample files")
    for candidate in candidates:
        if (candidate / marker).exists():
            return candidate
    if not required:
        return None
    searched = ", ".join(str(c) for c in candidates)
    raise UserError(f"the HDFS sample files ({marker}, ...) were not found (looked in "
                    f"{searched}); set the environment variable {HDFS_ENV_VARIABLE} to "
                    "the directory that holds them")


def hdfs_path(key, required=True):
    """The path of one sample file (a key of `HDFS_FILES`).

    Parameters
    ----------
    key : str
        A key of `HDFS_FILES`.
    required : bool
        As for `hdfs_directory`: if False, None when the files are not found.

    Examples
    --------
    >>> p = hdfs_path("muse_image", required=False)
    >>> p is None or p.name == "IMAGE-HDFS-1.34.fits"
    True
    """
    if key not in HDFS_FILES:
        raise UserError(f"key: expected one of {sorted(HDFS_FILES)}, not {key!r}")
    directory = hdfs_directory(required=required)
    if directory is None:
        return None
    return directory / HDFS_FILES[key]
