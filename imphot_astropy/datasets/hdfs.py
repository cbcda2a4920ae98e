"""Locating the Hubble Deep Field South sample files.

The files are not shipped with the package (they are MPDAF's sample data);
a source checkout finds them in ``../shared/data/hdfs`` beside the
repository, or wherever the ``IMPHOT_HDFS_DIR`` environment variable points.
"""

import os
from pathlib import Path

__all__ = ["HDFS_FILES", "hdfs_directory", "hdfs_path"]

#: The sample files and what they hold.
HDFS_FILES = {
    "muse_image": "IMAGE-HDFS-1.34.fits",
    "hst_image": "HST-HDFS.fits",
    "hst_on_muse_grid": "HST-HDFS-on-MUSE-grid.fits",
    "muse_cube": "CUBE.fits",
}


def hdfs_directory():
    """The directory of the HDFS sample files, or None if not found.

    Examples
    --------
    >>> d = hdfs_directory()
    >>> d is None or (d / "IMAGE-HDFS-1.34.fits").exists()
    True
    """
    candidates = []
    if os.environ.get("IMPHOT_HDFS_DIR"):
        candidates.append(Path(os.environ["IMPHOT_HDFS_DIR"]))
    repo = Path(__file__).resolve().parents[2]
    candidates.append(repo.parent / "shared" / "data" / "hdfs")
    for candidate in candidates:
        if (candidate / HDFS_FILES["muse_image"]).exists():
            return candidate
    return None


def hdfs_path(key):
    """The path of one sample file (a key of `HDFS_FILES`), or None.

    Examples
    --------
    >>> p = hdfs_path("muse_image")
    >>> p is None or p.name == "IMAGE-HDFS-1.34.fits"
    True
    """
    directory = hdfs_directory()
    if directory is None:
        return None
    return directory / HDFS_FILES[key]
