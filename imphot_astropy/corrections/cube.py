"""Correct a MUSE cube with an exposure's fitted pointing offset (and scale).

The joint fit of an exposure's bands gives one pointing offset (dx, dy)
for the whole cube: it is removed by adding dx and dy, divided by the pixel
sizes, to CRPIX1 and CRPIX2 of the cube's 3D WCS (the spectral axis is
untouched). The flux scale, optional, divides the data (and the variance
by its square). A file is corrected in a copy, made through
`~imphot_astropy.io.atomic_output` (a temporary name in the output's
directory, renamed when complete, never over an input); the copy's planes
are rescaled a block at a time, so a 3 GB cube needs little memory.
"""

import os
import shutil

import numpy as np
from astropy.io import fits
from astropy.nddata import NDData, CCDData, VarianceUncertainty
from astropy.wcs import WCS

from ..exceptions import UserError
from ..io import atomic_output
from .apply import parse_corrections, fitted_number

__all__ = ["apply_cube_corrections"]

# Planes rescaled per step (a 320 x 320 float32 plane is 0.4 MB).
_PLANES_PER_STEP = 64


def _numbers(fit, names):
    unsupported = names - {"x", "y", "scale"}
    if unsupported:
        raise UserError(f"corrections: {', '.join(sorted(unsupported))} cannot be applied "
                        "to a cube (the fitted offsets are per band image); use xy and "
                        "scale")
    dx = fitted_number(fit, "dx") if "x" in names else 0.0
    dy = fitted_number(fit, "dy") if "y" in names else 0.0
    scale = fitted_number(fit, "scale") if "scale" in names else 1.0
    if scale <= 0:
        raise UserError(f"fit: the fitted scale {scale} is not positive")
    return dx, dy, scale


def _cards(header, dx, dy, scale, names):
    header["IMPCORR"] = (",".join(n for n in ("x", "y", "scale") if n in names),
                         "imphot corrections applied")
    header["IMPDX"] = (dx, "[arcsec] x offset removed (MUSE-HST)")
    header["IMPDY"] = (dy, "[arcsec] y offset removed (MUSE-HST)")
    header["IMPSCALE"] = (scale, "flux scale divided out (MUSE/HST)")


def _pixel_scales(wcs):
    celestial = wcs.celestial
    scales = np.sqrt(np.sum(celestial.pixel_scale_matrix**2, axis=0)) * 3600.0
    return float(scales[0]), float(scales[1])


def _shift_crpix(header, dx, dy):
    """Add dx/pixel, dy/pixel to CRPIX1/2 of a 3D header (arcsec offsets)."""
    wcs = WCS(header)
    px, py = _pixel_scales(wcs)
    header["CRPIX1"] = header.get("CRPIX1", 0.0) + dx / px
    header["CRPIX2"] = header.get("CRPIX2", 0.0) + dy / py


def _correct_file(path, output, dx, dy, scale, names, inputs):
    with atomic_output(output, [path] + list(inputs), "output") as tmpname:
        shutil.copyfile(path, tmpname)
        with fits.open(tmpname, mode="update", memmap=True) as hdulist:
            _cards(hdulist[0].header, dx, dy, scale, names)
            for hdu in hdulist:
                if hdu.header.get("NAXIS", 0) == 3:
                    _correct_cube_hdu(hdu, path, dx, dy, scale)
    return output


def _correct_cube_hdu(hdu, path, dx, dy, scale):
    """Shift the WCS of one 3D HDU; rescale it if it holds DATA or STAT."""
    _shift_crpix(hdu.header, dx, dy)
    if scale == 1.0 or hdu.name not in ("DATA", "STAT"):
        return
    if hdu.header.get("BITPIX") not in (-32, -64):
        raise UserError(f"{path}: the {hdu.name} extension is not floating "
                        "point; it cannot be rescaled in place")
    factor = scale if hdu.name == "DATA" else scale**2
    for start in range(0, hdu.shape[0], _PLANES_PER_STEP):
        hdu.data[start:start + _PLANES_PER_STEP] /= factor


def apply_cube_corrections(cube, fit, output=None, corrections="xy", inputs=()):
    """Correct a cube for an exposure's fitted pointing offset and flux scale.

    Parameters
    ----------
    cube : str, `os.PathLike` or `~astropy.nddata.NDData`
        A MUSE cube file (DATA, STAT, DQ...) or an NDData/CCDData with a 3D
        astropy WCS (celestial axes first in the FITS order).
    fit : object
        The fit: its ``dx`` and ``dy`` (and, for ``scale``, its ``scale``)
        are `~imphot_astropy.fitting.FittedValue`, as in
        `~imphot_astropy.survey.CubePhotometry`.
    output : str, optional
        For a file: the corrected copy (default ``<cube>_aligned.fits``).
    corrections : str
        ``xy`` (or ``x``, ``y``) and optionally ``scale``.
    inputs : iterable of str
        Other files that must not be replaced.

    Returns
    -------
    corrected : str or `~astropy.nddata.CCDData`
        The file written, or (for an NDData) a corrected copy.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.fitting import FittedValue
    >>> from imphot_astropy.datasets import make_exposure_cube
    >>> cube, _, _ = make_exposure_cube(shape=(30, 30), nplanes=5, filters=["F606W"])
    >>> fit = SimpleNamespace(dx=FittedValue(0.1), dy=FittedValue(-0.2),
    ...                       scale=FittedValue(1.25))
    >>> fixed = apply_cube_corrections(cube, fit, corrections="xy,scale")
    >>> np.round(fixed.wcs.wcs.crpix - cube.wcs.wcs.crpix, 6)
    array([ 0.5, -1. ,  0. ])
    >>> bool(np.allclose(fixed.data, cube.data / 1.25))
    True
    """
    names = parse_corrections(corrections)
    dx, dy, scale = _numbers(fit, names)
    if isinstance(cube, (str, os.PathLike)):
        path = os.fspath(cube)
        if not os.path.isfile(path):
            raise UserError(f"cube: the file {path} does not exist")
        if output is None:
            base = path[:-5] if path.endswith(".fits") else path
            output = f"{base}_aligned.fits"
        return _correct_file(path, os.fspath(output), dx, dy, scale, names, inputs)
    if not isinstance(cube, NDData) or not isinstance(cube.wcs, WCS) \
            or cube.wcs.naxis != 3:
        raise UserError("cube: expected a cube file or an NDData with a 3D astropy WCS")
    wcs = cube.wcs.deepcopy()
    px, py = _pixel_scales(wcs)
    wcs.wcs.crpix = wcs.wcs.crpix + np.array([dx / px, dy / py, 0.0])
    meta = fits.Header(cube.meta) if isinstance(cube.meta, fits.Header) else fits.Header()
    _cards(meta, dx, dy, scale, names)
    variance = None
    if cube.uncertainty is not None:
        variance = VarianceUncertainty(
            cube.uncertainty.represent_as(VarianceUncertainty).array / scale**2)
    return CCDData(np.asarray(cube.data) / scale, unit=cube.unit, wcs=wcs,
                   mask=cube.mask, uncertainty=variance, meta=meta)
