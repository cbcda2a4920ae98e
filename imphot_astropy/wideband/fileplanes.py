"""Planes of an uncompressed FITS image, read from the file on demand.

A memory map would read a 3 GB cube through page faults, which cost more
than the data transfer itself (0.59 s against 0.37 s for the 1.5 GB DATA
extension of a MUSE cube read with ``readinto``), and every page touched
stays in the process's resident memory while the map lives. So the cube
readers hand out `FilePlanes`: a description of a range of planes that a
reader fills into its own reused buffer with one positioned read
(``os.preadv``, safe from several threads on one file descriptor), and
that still turns into a memory map of just those planes for other uses.
"""

import os
import threading

import numpy as np

from ..exceptions import UserError

__all__ = ["FilePlanes", "FileHandle"]


class FileHandle:
    """One read-only descriptor of a file, shared by its FilePlanes.

    Positioned reads (``os.preadv``) let several threads read one
    descriptor at once; where the system has none, a lock serialises
    seek-and-read. A closed handle still reads, through a new file object,
    so planes handed out before a reader is closed stay readable.

    Parameters
    ----------
    path : str
        The file, opened read-only at once.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "bytes.bin")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(bytes(range(10)))
    >>> handle = FileHandle(path)
    >>> view = bytearray(4)
    >>> handle.read_at(memoryview(view), 3), list(view)
    (True, [3, 4, 5, 6])
    >>> handle.read_at(memoryview(view), 8)  # only 2 bytes are left
    False
    >>> handle.close()
    """

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._lock = threading.Lock()

    def read_at(self, view, position):
        """Fill the byte view from the file at ``position``; False if the file ends."""
        got, size = 0, len(view)
        while got < size:
            fd = self.fd
            if fd is None:                  # closed: read through a new handle
                with open(self.path, "rb", buffering=0) as handle:
                    handle.seek(position + got)
                    count = handle.readinto(view[got:])
            elif hasattr(os, "preadv"):
                count = os.preadv(fd, [view[got:]], position + got)
            else:                           # no positioned read: seek under a lock
                with self._lock:
                    os.lseek(fd, position + got, os.SEEK_SET)
                    count = os.readv(fd, [view[got:]])
            if not count:
                return False
            got += count
        return True

    def close(self):
        """Close the descriptor (later reads open the file anew)."""
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


class FilePlanes:
    """Planes start:stop of a FITS image stored uncompressed in a file.

    Made by the FITS cube reader (`~imphot_astropy.wideband.open_cube`);
    ``numpy.asarray`` gives a memory map of these planes only.

    Attributes
    ----------
    shape : tuple of int
        (stop - start, ny, nx).
    dtype : `numpy.dtype`
        The file's type (big-endian, as FITS stores it).

    Examples
    --------
    >>> import os, tempfile
    >>> from astropy.io import fits
    >>> from imphot_astropy.wideband.cubes import open_cube
    >>> header = fits.Header({"CTYPE3": "AWAV", "CUNIT3": "Angstrom", "CRVAL3": 5000.0,
    ...                       "CDELT3": 1.25, "CRPIX3": 1.0})
    >>> cube = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    >>> path = os.path.join(tempfile.mkdtemp(), "cube.fits")
    >>> fits.PrimaryHDU(cube, header).writeto(path)
    >>> with open_cube(path) as c:
    ...     planes = c.planes(1, 3)[0]
    ...     out = np.empty((1, 6), planes.dtype)
    ...     planes.read_into(1, 2, out)
    ...     print(planes.shape, out.astype(float).ravel(), float(np.asarray(planes).sum()))
    (2, 2, 3) [12. 13. 14. 15. 16. 17.] 138.0
    """

    def __init__(self, handle, dtype, offset, shape, start, stop, label):
        self._handle = handle
        self.dtype = np.dtype(dtype)
        self._offset = offset
        self._plane_bytes = int(shape[1]) * int(shape[2]) * self.dtype.itemsize
        self._start = start
        self.shape = (stop - start,) + tuple(int(n) for n in shape[1:])
        self._label = label

    ndim = 3

    def __len__(self):
        return self.shape[0]

    def memmap(self):
        """A read-only memory map of these planes only."""
        return np.memmap(self._handle.path, dtype=self.dtype, mode="r",
                         offset=self._offset + self._start * self._plane_bytes,
                         shape=self.shape)

    def __array__(self, dtype=None, copy=None):
        mapped = self.memmap()
        return mapped if dtype is None else mapped.astype(dtype)

    def __getitem__(self, index):
        return self.memmap()[index]

    def read_into(self, first, last, out):
        """Read planes first:last (relative to this range) into ``out``.

        ``out`` is a C-contiguous array of this object's dtype holding
        exactly those planes (any shape of that size).
        """
        if not (0 <= first <= last <= self.shape[0]):
            raise IndexError(f"planes {first}:{last} outside 0:{self.shape[0]}")
        if out.dtype != self.dtype or not out.flags.c_contiguous \
                or out.nbytes != (last - first) * self._plane_bytes:
            raise ValueError("read_into: out must be a C-contiguous array of the "
                             "planes' dtype and size")
        position = self._offset + (self._start + first) * self._plane_bytes
        view = memoryview(out.reshape(-1).view(np.uint8))
        if not self._handle.read_at(view, position):
            plane = self._start + first
            raise UserError(f"{self._label}: planes {plane}-{plane + last - first - 1} "
                            "cannot be read: the file is truncated")
