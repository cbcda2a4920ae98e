"""Reading spectral cubes a few planes at a time, whatever they come in.

A `CubePlanes` object describes a cube (shape, plane edges in Angstrom,
celestial WCS, unit, headers) and hands out ranges of its spectral planes.
MUSE FITS files are read through a memory map of just the planes asked for,
so a 3 GB cube never has to fit in memory; NDData objects,
`spectral_cube.SpectralCube` and specutils 3D spectra are sliced.
"""

import os
import sys
import threading
import warnings

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import NDData, VarianceUncertainty, StdDevUncertainty
from astropy.wcs import WCS, FITSFixedWarning

from ..exceptions import UserError
from ..io import (flux_unit_from_header, select_data_hdu, header_from_meta, file_base_name,
                  is_mpdaf_object, mpdaf_hdulist, fits_open)
from .fileplanes import FilePlanes, FileHandle

__all__ = ["CubePlanes", "open_cube", "spectral_edges_from_wcs"]

# FITS BITPIX values and the numpy types of their (big-endian) data.
_BITPIX_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}

# The spectral quantities a world axis may hold, as astropy physical types.
_SPECTRAL_TYPES = ("length", "frequency", "energy", "wavenumber")

# Structural keywords not to copy from a cube's primary header to an image.
_STRUCTURAL = ("SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "EXTEND",
               "XTENSION", "PCOUNT", "GCOUNT", "BSCALE", "BZERO", "CHECKSUM", "DATASUM")


def _quiet_wcs(header, label):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            return WCS(header)
        except Exception as exc:  # astropy raises many kinds here
            raise UserError(f"{label}: the WCS in the header cannot be read "
                            f"({exc})") from None


def spectral_edges_from_wcs(wcs, shape, argname="cube"):
    """Find a cube's spectral axis in its WCS and the edges of its planes.

    The spectral axis is the one world axis whose unit is a wavelength,
    frequency, energy or wavenumber. This accepts axes that astropy does not
    flag as spectral, such as MUSE's ``CTYPE3 = 'LINEAR'`` with
    ``CUNIT3 = 'Angstrom'``.

    Parameters
    ----------
    wcs : `~astropy.wcs.WCS` or an APE 14 WCS
        The cube's 3D WCS.
    shape : tuple of int
        The numpy shape of the cube.
    argname : str
        The argument or file name to quote in error messages.

    Returns
    -------
    array_axis : int
        The numpy axis of the spectral planes.
    lower, upper : `numpy.ndarray`
        The wavelengths (Angstrom, vacuum/air as the cube declares) of the
        two edges of each plane, half a pixel either side of its centre.

    Examples
    --------
    >>> w = WCS(naxis=3)
    >>> w.wcs.ctype = ["RA---TAN", "DEC--TAN", "LINEAR"]
    >>> w.wcs.cunit = ["deg", "deg", "Angstrom"]
    >>> w.wcs.crval = [0, 0, 7300.0]; w.wcs.cdelt = [-5e-5, 5e-5, 1.25]
    >>> w.wcs.crpix = [1, 1, 1]
    >>> axis, lower, upper = spectral_edges_from_wcs(w, (4, 2, 3))
    >>> axis, lower
    (0, array([7299.375, 7300.625, 7301.875, 7303.125]))
    >>> upper
    array([7300.625, 7301.875, 7303.125, 7304.375])
    """
    if wcs is None:
        raise UserError(f"{argname}: the cube has no WCS, so no spectral axis")
    if isinstance(wcs, WCS):
        # wcslib normalises spectral units (nm becomes m) when it sets up the
        # WCS; do so on a copy first, so that the units read below are those
        # of the world values computed.
        wcs = wcs.deepcopy()
        wcs.wcs.set()
    low = getattr(wcs, "low_level_wcs", wcs)
    # On the type: evaluating world_axis_units here would warn about VOUnit.
    if not all(hasattr(type(low), name) for name in ("pixel_n_dim", "world_axis_units",
                                                     "pixel_to_world_values")):
        raise UserError(f"{argname}: the cube's WCS is a {type(wcs).__module__}."
                        f"{type(wcs).__name__}, not an astropy WCS (or another APE 14 "
                        "WCS)")
    ndim = len(shape)
    if low.pixel_n_dim != ndim:
        raise UserError(f"{argname}: the WCS has {low.pixel_n_dim} pixel axes but "
                        f"the data have {ndim}")
    with warnings.catch_warnings():
        # astropy formats the units as VOUnit, which frowns upon Angstrom.
        warnings.simplefilter("ignore", u.UnitsWarning)
        world_units = list(low.world_axis_units)
    candidates = []
    for index, unit_text in enumerate(world_units):
        try:
            unit = u.Unit(unit_text)
        except ValueError:
            continue
        if unit.physical_type in _SPECTRAL_TYPES:
            candidates.append((index, unit))
    if len(candidates) != 1:
        types = ", ".join(f"{t or '?'} [{un or 'no unit'}]" for t, un in
                          zip(getattr(low, "world_axis_physical_types", []),
                              world_units))
        what = "no" if not candidates else "more than one"
        raise UserError(f"{argname}: the cube has {what} spectral axis (a WCS axis "
                        f"in wavelength, frequency or energy units); its axes are: "
                        f"{types}")
    world_index, unit = candidates[0]
    pixel_axes = np.flatnonzero(low.axis_correlation_matrix[world_index])
    if len(pixel_axes) != 1:
        raise UserError(f"{argname}: the spectral axis of the WCS depends on "
                        "several pixel axes; planes of constant wavelength are "
                        "not defined")
    pixel_axis = int(pixel_axes[0])
    array_axis = ndim - 1 - pixel_axis
    nplanes = shape[array_axis]
    edges_pixel = np.arange(nplanes + 1) - 0.5
    pixels = [np.zeros(nplanes + 1) for _ in range(ndim)]
    pixels[pixel_axis] = edges_pixel
    world = low.pixel_to_world_values(*pixels)
    world = world[world_index] if low.world_n_dim > 1 else world
    edges = (np.asarray(world, dtype=float) * unit).to_value(u.AA, u.spectral())
    if not np.all(np.isfinite(edges)):
        raise UserError(f"{argname}: the spectral axis of the WCS gives non-finite "
                        "wavelengths")
    steps = np.diff(edges)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise UserError(f"{argname}: the wavelengths of the spectral axis are not "
                        "monotonic")
    return array_axis, edges[:-1], edges[1:]


def _celestial_of(wcs, spectral_pixel_axis):
    """The 2D celestial WCS of the remaining axes, or None if there is none."""
    if not isinstance(wcs, WCS) or not wcs.has_celestial:
        return None
    keep = [i + 1 for i in range(wcs.naxis) if i != spectral_pixel_axis]
    celestial = wcs.sub(keep)
    return celestial if celestial.is_celestial else None


def _variance_of(uncertainty, argname):
    if uncertainty is None:
        return None
    if isinstance(uncertainty, VarianceUncertainty):
        return uncertainty.array
    if isinstance(uncertainty, StdDevUncertainty):
        return np.asarray(uncertainty.array)**2
    try:
        return uncertainty.represent_as(VarianceUncertainty).array
    except Exception:
        raise UserError(f"{argname}: an uncertainty of type "
                        f"{type(uncertainty).__name__} cannot be turned into a "
                        "variance") from None


class CubePlanes:
    """A 3D cube seen as a sequence of spectral planes.

    Use `open_cube` to make one. Attributes: ``shape`` (nplanes, ny, nx),
    ``lower`` and ``upper`` (the wavelength edges of each plane, Angstrom),
    ``wcs`` (2D celestial WCS or None), ``unit``, ``has_variance``,
    ``header`` and ``primary_header`` (`~astropy.io.fits.Header`),
    ``filename``, ``name``, ``notes`` (what was assumed while reading), and
    ``concurrent`` (whether `planes` may be called from several threads).

    Examples
    --------
    >>> from imphot_astropy.wideband.cubes import open_cube
    >>> from imphot_astropy.datasets import hdfs_path
    >>> path = hdfs_path("muse_cube", required=False)
    >>> cube = open_cube(str(path)) if path else None
    >>> cube is None or cube.shape == (1595, 10, 20)
    True
    >>> if cube is not None:
    ...     cube.close()
    """

    concurrent = True

    def __init__(self, *, shape, lower, upper, wcs, unit, has_variance,
                 header=None, primary_header=None, filename=None, name="cube",
                 notes=()):
        self.shape = tuple(int(n) for n in shape)
        self.lower = lower
        self.upper = upper
        self.wcs = wcs
        self.unit = unit
        self.has_variance = has_variance
        self.header = header if header is not None else fits.Header()
        self.primary_header = primary_header if primary_header is not None else fits.Header()
        self.filename = filename
        self.name = name
        self.notes = list(notes)

    def planes(self, start, stop):
        """Return (data, variance or None, mask or None) for planes start:stop.

        Each is array-like of shape (stop - start, ny, nx); the mask is
        non-zero where a voxel is bad.
        """
        raise NotImplementedError

    def close(self):
        """Release open files."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _ArrayCube(CubePlanes):
    """A cube held by an in-memory (or dask) array, spectral axis first."""

    def __init__(self, data, variance, mask, **kwargs):
        super().__init__(has_variance=variance is not None, **kwargs)
        self._data, self._variance, self._mask = data, variance, mask

    def planes(self, start, stop):
        return (self._data[start:stop],
                None if self._variance is None else self._variance[start:stop],
                None if self._mask is None else self._mask[start:stop])


class _SpectralCubePlanes(CubePlanes):
    """A `spectral_cube.SpectralCube`; its masked voxels come back as NaN."""

    def __init__(self, cube, **kwargs):
        super().__init__(has_variance=False, **kwargs)
        self._cube = cube

    def planes(self, start, stop):
        planes = self._cube.filled_data[start:stop]
        return np.asarray(getattr(planes, "value", planes)), None, None


def _check_cube_shape(shape, label):
    if len(shape) != 3:
        raise UserError(f"{label}: expected a 3D cube, but the data have "
                        f"{len(shape)} dimensions")
    if min(shape) < 1:
        raise UserError(f"{label}: the cube is empty (shape {tuple(shape)})")


def _from_nddata(nd, argname):
    data = nd.data
    if not hasattr(data, "shape"):
        raise UserError(f"{argname}: the data of the {type(nd).__name__} are a "
                        f"{type(data).__name__}, not an array")
    _check_cube_shape(np.shape(data), argname)
    array_axis, lower, upper = spectral_edges_from_wcs(nd.wcs, np.shape(data), argname)
    # getattr: NDData has them all; other objects with data and wcs may not.
    variance = _variance_of(getattr(nd, "uncertainty", None), argname)
    mask = getattr(nd, "mask", None)
    for what, values in (("uncertainty", variance), ("mask", mask)):
        if values is not None and np.shape(values) != np.shape(data):
            raise UserError(f"{argname}: the {what} has shape {np.shape(values)}, but "
                            f"the data have shape {np.shape(data)}")
    if array_axis != 0:
        data = np.moveaxis(data, array_axis, 0)
        variance = None if variance is None else np.moveaxis(variance, array_axis, 0)
        mask = None if mask is None else np.moveaxis(np.asarray(mask), array_axis, 0)
    meta = header_from_meta(getattr(nd, "meta", None))
    notes = []
    unit = getattr(nd, "unit", None)
    if unit is None:
        unit, note = flux_unit_from_header(meta, argname)
        if note:
            notes.append(note)
    pixel_axis = len(np.shape(nd.data)) - 1 - array_axis
    return _ArrayCube(data, variance, mask, shape=np.shape(data), lower=lower,
                      upper=upper, wcs=_celestial_of(nd.wcs, pixel_axis), unit=unit,
                      header=fits.Header(meta, copy=True), name=argname, notes=notes)


def _from_spectral_cube(cube, argname):
    _check_cube_shape(cube.shape, argname)
    array_axis, lower, upper = spectral_edges_from_wcs(cube.wcs, cube.shape, argname)
    if array_axis != 0:  # spectral-cube always puts the spectral axis first
        raise UserError(f"{argname}: the SpectralCube's spectral axis is not its "
                        "first array axis")
    header = fits.Header()
    try:
        header = cube.header
    except Exception:  # some cube flavours cannot build a header
        pass
    return _SpectralCubePlanes(cube, shape=cube.shape, lower=lower, upper=upper,
                               wcs=_celestial_of(cube.wcs, 2), unit=cube.unit,
                               header=header, name=argname)


def _from_specutils(spectrum, argname):
    flux = spectrum.flux
    _check_cube_shape(flux.shape, argname)
    # specutils 2.x records where the spectral axis is; older Spectrum1D
    # always had it last.
    array_axis = getattr(spectrum, "spectral_axis_index", flux.ndim - 1)
    array_axis %= flux.ndim
    edges = spectrum.spectral_axis.bin_edges
    edges = edges.to_value(u.AA, u.spectral())
    if not (np.all(np.diff(edges) > 0) or np.all(np.diff(edges) < 0)):
        raise UserError(f"{argname}: the spectral axis of the spectrum is not monotonic")
    data = np.moveaxis(flux.value, array_axis, 0)
    variance = _variance_of(spectrum.uncertainty, argname)
    mask = spectrum.mask
    if variance is not None:
        variance = np.moveaxis(np.asarray(variance), array_axis, 0)
    if mask is not None:
        mask = np.moveaxis(np.asarray(mask), array_axis, 0)
    wcs = getattr(spectrum, "wcs", None)
    celestial = _celestial_of(wcs, flux.ndim - 1 - array_axis) \
        if isinstance(wcs, WCS) and wcs.naxis == 3 else None
    meta = spectrum.meta.get("header") if isinstance(spectrum.meta, dict) else None
    return _ArrayCube(data, variance, mask, shape=data.shape, lower=edges[:-1],
                      upper=edges[1:], wcs=celestial, unit=flux.unit,
                      header=meta if isinstance(meta, fits.Header) else fits.Header(),
                      name=argname)


def _unit_of(hdulist, index, label):
    """The cube's flux unit: its data header's, else the primary header's."""
    unit, note = flux_unit_from_header(hdulist[index].header, label)
    if note is not None and index != 0:
        unit2, note2 = flux_unit_from_header(hdulist[0].header, label)
        if unit2 != u.dimensionless_unscaled:
            unit, note = unit2, note2
    return unit, [] if note is None else [note]


def _primary_keywords(hdulist):
    return fits.Header([card for card in hdulist[0].header.cards
                        if card.keyword not in _STRUCTURAL])


def _from_mpdaf(cube, argname):
    """An MPDAF ``Cube``, read from its in-memory FITS form as its file is."""
    hdulist, filename = mpdaf_hdulist(cube, argname)
    label = filename or argname
    index = select_data_hdu(hdulist, label, ndims=(3,))
    header = hdulist[index].header
    data = hdulist[index].data
    _check_cube_shape(data.shape, label)
    wcs = _quiet_wcs(header, label)
    array_axis, lower, upper = spectral_edges_from_wcs(wcs, data.shape, label)
    if array_axis != 0:
        raise UserError(f"{label}: the spectral axis must be the cube's first array "
                        "axis (FITS NAXIS3), as in MUSE cubes")
    names = [hdu.name.upper() for hdu in hdulist]
    planes = {extname: hdulist[extname].data if extname in names else None
              for extname in ("STAT", "DQ")}
    unit, notes = _unit_of(hdulist, index, label)
    return _ArrayCube(data, planes["STAT"], planes["DQ"], shape=data.shape, lower=lower,
                      upper=upper, wcs=_celestial_of(wcs, 2), unit=unit,
                      header=fits.Header(header, copy=True),
                      primary_header=_primary_keywords(hdulist), filename=filename,
                      name=file_base_name(filename) if filename else argname, notes=notes)


def _is_instance_of(obj, module, names):
    """isinstance() against a class of an optional package, if it is imported."""
    mod = sys.modules.get(module)
    if mod is None:
        return False
    classes = tuple(getattr(mod, n) for n in names if hasattr(mod, n))
    return bool(classes) and isinstance(obj, classes)


def open_cube(cube, argname="cube"):
    """Open a cube for reading plane by plane.

    Parameters
    ----------
    cube : str, `os.PathLike`, `~astropy.nddata.NDData`, `spectral_cube.SpectralCube` or specutils `Spectrum`
        A FITS file (MUSE: DATA and STAT extensions, optionally DQ; else the
        first 3D image HDU), an NDData with a 3D WCS (mask and uncertainty
        honoured), a SpectralCube (its mask honoured; it has no variance),
        a specutils 3D spectrum (``Spectrum``, formerly ``Spectrum1D``), or
        an MPDAF ``Cube`` (read as the file it stands for, see
        `~imphot_astropy.io.mpdaf_hdulist`).
    argname : str
        The argument name, quoted in error messages.

    Returns
    -------
    cube : `CubePlanes`
        Close it (or use it in a ``with`` statement) when done.

    Examples
    --------
    >>> from astropy.nddata import NDData
    >>> w = WCS(naxis=3); w.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    >>> w.wcs.cunit = ["deg", "deg", "nm"]; w.wcs.crval = [0, 0, 600.0]
    >>> w.wcs.cdelt = [-5e-5, 5e-5, 0.125]; w.wcs.crpix = [1, 1, 1]
    >>> with open_cube(NDData(np.zeros((10, 4, 5)), wcs=w, unit="Jy")) as c:
    ...     print(c.shape, round(c.lower[0], 6), round(c.upper[-1], 6), c.wcs.naxis)
    (10, 4, 5) 5999.375 6011.875 2
    """
    if isinstance(cube, (str, os.PathLike)):
        return _FitsCube(os.fspath(cube), argname)
    if _is_instance_of(cube, "spectral_cube", ("BaseSpectralCube", "SpectralCube")):
        return _from_spectral_cube(cube, argname)
    if _is_instance_of(cube, "specutils", ("Spectrum", "Spectrum1D")):
        return _from_specutils(cube, argname)
    if is_mpdaf_object(cube):
        return _from_mpdaf(cube, argname)
    if isinstance(cube, NDData) or (hasattr(cube, "data") and hasattr(cube, "wcs")):
        return _from_nddata(cube, argname)
    raise UserError(f"{argname}: expected a FITS file name, an NDData with a 3D WCS, "
                    f"a SpectralCube, a specutils Spectrum or an MPDAF Cube, not "
                    f"{type(cube).__name__}")


def _is_compressed_file(path):
    with open(path, "rb") as handle:
        magic = handle.read(4)
    return magic[:2] == b"\x1f\x8b" or magic[:3] == b"BZh" or magic[:4] == b"PK\x03\x04"


class _FitsCube(CubePlanes):
    """A cube in a FITS file, read plane range by plane range.

    Uncompressed, unscaled images (every MUSE cube) come out as
    `~imphot_astropy.wideband.fileplanes.FilePlanes`: read on demand into
    the caller's buffer (or mapped, just those planes). Not astropy's own
    memory map: it covers the whole file, and every page read through it
    stays in the process's resident memory until the file is closed, so a
    3 GB cube would count 3 GB. Other HDUs (tile-compressed, gzipped or
    scaled integers) go through astropy's ``section``, one reader at a time.
    """

    def __init__(self, path, argname):
        label = f"{argname}: {path}"
        if not os.path.exists(path):
            raise UserError(f"{argname}: the file {path} does not exist")
        if os.path.isdir(path):
            raise UserError(f"{argname}: {path} is a directory, not a FITS cube")
        if os.path.getsize(path) == 0:
            raise UserError(f"{label} is empty")
        self._path = path
        self._lock = threading.Lock()
        self._handle = None
        try:
            with warnings.catch_warnings():
                # A truncated file is reported below, as an error.
                warnings.filterwarnings("ignore", "File may have been truncated")
                self._hdulist = fits_open(path, memmap=False, lazy_load_hdus=False,
                                          do_not_scale_image_data=True)
        except KeyError as exc:  # astropy, on a header without BITPIX or NAXIS
            raise UserError(f"{label} is not a readable FITS file: a header is corrupted "
                            f"({exc})") from None
        except (OSError, ValueError, TypeError, IndexError) as exc:
            raise UserError(f"{label} is not a readable FITS file ({exc})") from None
        try:
            self._setup(path, argname, label)
        except BaseException:
            self.close()
            raise

    def _setup(self, path, argname, label):
        hdulist = self._hdulist
        index = select_data_hdu(hdulist, label, ndims=(3,))
        hdu = hdulist[index]
        shape = tuple(hdu.shape)
        _check_cube_shape(shape, label)
        header = hdu.header
        wcs = _quiet_wcs(header, label)
        array_axis, lower, upper = spectral_edges_from_wcs(wcs, shape, label)
        if array_axis != 0:
            raise UserError(f"{label}: the spectral axis must be the third FITS axis "
                            "(NAXIS3), as in MUSE cubes")
        compressed_file = _is_compressed_file(path)
        self._extensions = {"data": self._reader(hdulist, index, shape, compressed_file,
                                                 label, "data")}
        names = [h.name.upper() for h in hdulist]
        for role, extname in (("variance", "STAT"), ("mask", "DQ")):
            if extname in names and hdulist.index_of(extname) != index:
                i = hdulist.index_of(extname)
                if hdulist[i].header.get("NAXIS", 0) == 0:
                    continue
                if tuple(hdulist[i].shape) != shape:
                    raise UserError(f"{label}: the {extname} extension has shape "
                                    f"{tuple(hdulist[i].shape)}, but DATA has {shape}")
                self._extensions[role] = self._reader(hdulist, i, shape, compressed_file,
                                                      label, extname)
        unit, notes = _unit_of(hdulist, index, label)
        primary = _primary_keywords(hdulist)
        name = file_base_name(path)
        self.concurrent = all(r[0] == "memmap" for r in self._extensions.values())
        super().__init__(shape=shape, lower=lower, upper=upper,
                         wcs=_celestial_of(wcs, 2), unit=unit,
                         has_variance="variance" in self._extensions,
                         header=fits.Header(header, copy=True), primary_header=primary,
                         filename=path, name=name, notes=notes)

    def _reader(self, hdulist, index, shape, compressed_file, label, what):
        hdu = hdulist[index]
        header = hdu.header
        bitpix = header.get("BITPIX")
        plain = (isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU))
                 and not compressed_file and bitpix in _BITPIX_DTYPES
                 and header.get("BSCALE", 1) == 1 and header.get("BZERO", 0) == 0
                 and (bitpix < 0 or "BLANK" not in header))
        if not plain:
            return ("section", hdu)
        dtype = np.dtype(_BITPIX_DTYPES[bitpix])
        offset = hdulist.fileinfo(index)["datLoc"]
        needed = offset + int(np.prod(shape)) * dtype.itemsize
        size = os.path.getsize(self._path)
        if size < needed:
            raise UserError(f"{label}: the file is truncated: the {what} extension "
                            f"needs {needed} bytes but the file has {size}")
        if self._handle is None:
            try:
                self._handle = FileHandle(self._path)
            except OSError as exc:
                raise UserError(f"{label}: cannot be read ({exc})") from None
        return ("memmap", (dtype, offset, shape))

    def _read(self, role, start, stop):
        kind, info = self._extensions[role]
        if kind == "memmap":
            dtype, offset, shape = info
            return FilePlanes(self._handle, dtype, offset, shape, start, stop, self._path)
        with self._lock:
            try:
                return np.asarray(info.section[start:stop])
            except (OSError, ValueError, TypeError) as exc:
                raise UserError(f"{self._path}: planes {start}-{stop - 1} cannot be "
                                f"read; is the file truncated? ({exc})") from None

    def planes(self, start, stop):
        return tuple(self._read(role, start, stop) if role in self._extensions else None
                     for role in ("data", "variance", "mask"))

    def close(self):
        self._hdulist.close()
        if self._handle is not None:
            self._handle.close()
