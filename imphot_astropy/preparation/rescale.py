"""Convert HST count rates to the flux unit of a MUSE image or cube."""

import logging
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import (NDData, CCDData, VarianceUncertainty, StdDevUncertainty,
                            InverseVariance)
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS

from ..exceptions import UserError
from ..io import (ImageData, read_image, flux_unit_from_header, MUSE_FLUX_UNIT,
                  celestial_wcs, file_base_name, open_fits, data_headers,
                  header_from_meta, merged_header, unparseable_bunit, is_mpdaf_object,
                  mpdaf_headers)
from .filters import HstFilterInfo

__all__ = ["rescale_hst_like_muse", "hst_to_muse_flux_factor", "MuseReference",
           "read_muse_reference"]

log = logging.getLogger(__name__)

#: The unit MUSE pipeline products are calibrated in, assumed when a MUSE
#: header gives neither BUNIT nor FSCALE.
DEFAULT_MUSE_UNIT = u.Unit(1e-20 * MUSE_FLUX_UNIT)

@dataclass
class MuseReference:
    """What the preparation steps need from a MUSE image or cube.

    Attributes
    ----------
    wcs : `~astropy.wcs.WCS`
        The 2D celestial WCS of the spatial pixel grid.
    shape : tuple of int
        The (ny, nx) spatial shape.
    unit : `~astropy.units.UnitBase`
        The flux unit of the pixels.
    notes : list of str
        What was assumed while reading.
    name : str
        The file's base name without ``.fits``, or the argument name.
    filename : str or None
        The file the MUSE data came from.

    Examples
    --------
    >>> from imphot_astropy.preparation import read_muse_reference
    >>> from imphot_astropy.datasets import hdfs_path
    >>> path = hdfs_path("muse_image", required=False)
    >>> reference = read_muse_reference(str(path)) if path else None
    >>> reference is None or reference.shape == (331, 326)
    True
    """

    wcs: WCS
    shape: tuple
    unit: object
    notes: list = field(default_factory=list)
    name: str = "muse"
    filename: object = None
    #: The BUNIT text when it is there but is not a unit, else None.
    bad_bunit: object = None

    @property
    def pixel_scales(self):
        """The (x, y) pixel sizes in arcsec."""
        from astropy.wcs.utils import proj_plane_pixel_scales

        return proj_plane_pixel_scales(self.wcs) * 3600.0


def _reference_from_header(header, primary, label, filename):
    naxis = header.get("NAXIS", 0)
    if naxis not in (2, 3):
        raise UserError(f"{label}: expected a MUSE image or cube, but the data "
                        f"have {naxis} dimensions")
    what = "cube" if naxis == 3 else "image"
    wcs = celestial_wcs(header, label, what)
    shape = (int(header["NAXIS2"]), int(header["NAXIS1"]))
    unit, note = flux_unit_from_header(header, label)
    if unit == u.dimensionless_unscaled and primary is not None and primary is not header:
        unit2, note2 = flux_unit_from_header(primary, label)
        if unit2 != u.dimensionless_unscaled:
            unit, note = unit2, note2
    notes = [] if note is None else [note]
    bad_bunit = unparseable_bunit(header)
    if bad_bunit is None and primary is not None:
        bad_bunit = unparseable_bunit(primary)
    return MuseReference(wcs=wcs, shape=shape, unit=unit, notes=notes,
                         name=file_base_name(filename) if filename else "muse",
                         filename=filename, bad_bunit=bad_bunit)


def read_muse_reference(muse, argname="muse"):
    """Read the spatial grid and flux unit of a MUSE image or cube.

    Only headers are read from files, so a large cube costs nothing.

    Parameters
    ----------
    muse : str, `os.PathLike`, HDUList, HDU, NDData/CCDData, ImageData, or cube
        The MUSE image (2D) or cube (3D, wavelength first in array order):
        an MPDAF ``Image`` or ``Cube`` (its headers, see
        `~imphot_astropy.io.mpdaf_headers`), or any object with an astropy
        ``wcs``, ``shape`` and ``unit`` (a SpectralCube, for example).
    argname : str
        The argument name to quote in errors.

    Returns
    -------
    reference : `MuseReference`

    Raises
    ------
    UserError
        If the file is missing or unreadable, or there is no celestial WCS.

    Examples
    --------
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> ref = read_muse_reference(CCDData(np.zeros((3, 4)), unit="adu", wcs=w))
    >>> ref.shape, ref.pixel_scales.round(3).tolist()
    ((3, 4), [0.2, 0.2])
    """
    if isinstance(muse, MuseReference):
        return muse
    if isinstance(muse, ImageData):
        return MuseReference(wcs=muse.wcs, shape=muse.shape, unit=muse.unit,
                             notes=list(muse.notes), name=muse.name,
                             filename=muse.filename)
    if isinstance(muse, (str, os.PathLike)):
        path = os.fspath(muse)
        try:
            with open_fits(path, argname) as hdulist:
                _, header, primary = data_headers(hdulist, path, ndims=(2, 3))
                return _reference_from_header(header, primary, path, path)
        except UserError:
            raise
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{argname}: {path} is not a readable FITS file "
                            f"({exc})") from None
    if isinstance(muse, fits.HDUList):
        label = muse.filename() or argname
        _, header, primary = data_headers(muse, label, ndims=(2, 3))
        return _reference_from_header(header, primary, label, muse.filename())
    if isinstance(muse, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        return _reference_from_header(muse.header, None, argname, None)
    if is_mpdaf_object(muse):
        header, primary, filename = mpdaf_headers(muse, argname)
        return _reference_from_header(header, primary, filename or argname, filename)
    if hasattr(muse, "wcs") and hasattr(muse, "shape"):
        return _reference_from_object(muse, argname)
    raise UserError(f"{argname}: expected a MUSE image or cube (FITS file name, "
                    f"HDU, NDData/CCDData), not {type(muse).__name__}")


def _reference_from_object(muse, argname):
    shape = tuple(muse.shape)
    if len(shape) not in (2, 3):
        raise UserError(f"{argname}: expected a MUSE image or cube, but the data "
                        f"have {len(shape)} dimensions")
    what = "cube" if len(shape) == 3 else "image"
    wcs = celestial_wcs(getattr(muse, "wcs", None), argname, what)
    notes = []
    unit = getattr(muse, "unit", None)
    if unit is None:
        header = header_from_meta(getattr(muse, "meta", None))
        unit, note = flux_unit_from_header(header, argname)
        if note is not None:
            notes.append(note)
    meta = getattr(muse, "meta", None) or {}
    filename = meta.get("FILENAME") if hasattr(meta, "get") else None
    return MuseReference(wcs=wcs, shape=shape[-2:], unit=u.Unit(unit), notes=notes,
                         name=file_base_name(filename) if filename else argname,
                         filename=filename)


def _target_unit(reference):
    """The MUSE flux unit, assuming the MUSE standard when the header is silent."""
    for note in reference.notes:
        log.info(note)
    if reference.unit == u.dimensionless_unscaled:
        why = ("no BUNIT or FSCALE" if reference.bad_bunit is None else
               f"its BUNIT = '{reference.bad_bunit}' cannot be parsed as a unit")
        warnings.warn(f"muse: {reference.name} has no flux unit ({why}); assuming {DEFAULT_MUSE_UNIT.to_string()}, the unit "
                      "of MUSE pipeline products", AstropyUserWarning)
        return DEFAULT_MUSE_UNIT
    return reference.unit


def hst_to_muse_flux_factor(hst_unit, muse_unit, info):
    """The factor that converts HST pixel values to MUSE flux units.

    Parameters
    ----------
    hst_unit : `~astropy.units.UnitBase`
        The unit of the HST pixels: a count rate (electron/s; DN/s or
        count/s for WFPC2), or already a flux density.
    muse_unit : `~astropy.units.UnitBase`
        The flux unit of the MUSE pixels (flux density per wavelength or per
        frequency, any scale).
    info : `~imphot_astropy.preparation.HstFilterInfo`
        The filter, whose PHOTFLAM and pivot wavelength make the conversion.

    Returns
    -------
    factor : float

    Raises
    ------
    UserError
        If the units cannot be converted.

    Examples
    --------
    >>> import astropy.units as u
    >>> f = hst_to_muse_flux_factor(u.electron / u.s,
    ...                             u.Unit("1e-20 erg / (s cm2 Angstrom)"),
    ...                             HstFilterInfo("F606W"))
    >>> round(f, 6)
    7.73
    """
    # astropy applies one equivalency per conversion: count rate -> F_lambda
    # with the filter's PHOTFLAM, then F_lambda -> the MUSE unit (which may be
    # per frequency) at the pivot wavelength.
    spectral = u.spectral_density(info.photplam * u.AA)
    quantity = 1.0 * u.Unit(hst_unit)
    try:
        if not quantity.unit.is_equivalent(muse_unit, equivalencies=spectral):
            quantity = quantity.to(info.flam_unit, equivalencies=info.equivalencies())
        return float(quantity.to_value(muse_unit, equivalencies=spectral))
    except u.UnitConversionError:
        raise UserError(f"hst: cannot convert the HST unit '{hst_unit}' to the MUSE "
                        f"unit '{muse_unit}' with the {info.instrument} "
                        f"{info.filter_name} calibration (which is per "
                        f"{info.rate_unit})") from None


def _assumed_hst_unit(unit, info, name, header=None):
    if unit != u.dimensionless_unscaled:
        return unit
    if info.rate_unit == u.electron / u.s:
        why = "the unit of ACS/WFC drizzled products"
    else:
        why = (f"DN per second, the unit of {info.instrument} products, "
               f"calibrated at gain {info.gain:g} electrons/DN")
    bad_bunit = unparseable_bunit(header)
    problem = ("has no BUNIT" if bad_bunit is None else
               f"has a BUNIT that cannot be parsed as a unit (BUNIT = '{bad_bunit}')")
    warnings.warn(f"hst: {name} {problem}; assuming {info.rate_unit.to_string()} "
                  f"({why})", AstropyUserWarning)
    return info.rate_unit


def _scale_variance_uncertainty(uncertainty, factor):
    """A VarianceUncertainty scaled by factor**2, from an NDData uncertainty."""
    array = np.asarray(uncertainty.array, dtype=float)
    if isinstance(uncertainty, VarianceUncertainty):
        variance = array
    elif isinstance(uncertainty, StdDevUncertainty):
        variance = array**2
    elif isinstance(uncertainty, InverseVariance):
        with np.errstate(divide="ignore"):
            variance = 1.0 / array
    else:
        raise UserError(f"hst: an uncertainty of type {type(uncertainty).__name__} "
                        "cannot be converted to a variance")
    return VarianceUncertainty(variance * factor**2)


def _header_for_filter(image):
    if isinstance(image, ImageData):
        return merged_header(image.primary_header, image.header)
    return header_from_meta(image.meta)


def _record(header, info, factor, hst_unit, muse_unit):
    header["FILTER"] = (info.filter_name, "HST filter")
    header["PHOTFLAM"] = (info.photflam, f"erg/cm2/s/Angstrom per {info.rate_unit}")
    header["PHOTPLAM"] = (info.photplam, "pivot wavelength (Angstrom)")
    header["PHOTBW"] = (info.photbw, "RMS bandwidth (Angstrom)")
    header["HISTORY"] = (f"imphot_astropy: rescaled from {hst_unit} to {muse_unit} "
                         f"(x {factor:.6g}, {info.instrument} {info.filter_name})")


def rescale_hst_like_muse(hst, muse, inplace=True, filter_name=None):
    """Rescale an HST image to the flux unit of a MUSE image or cube.

    Pixel values in electrons/s (DN/s for WFPC2) are multiplied by the
    filter's PHOTFLAM, converted with `astropy.units` to the MUSE unit
    (usually 1e-20 erg/s/cm2/Angstrom); the variance, if any, by its square.
    An HST image already in flux-density units is only converted.

    A missing HST BUNIT is taken to mean the filter's count-rate unit
    (electrons/s for ACS/WFC, DN/s for WFPC2), with a warning saying so; a
    MUSE header without BUNIT or FSCALE is taken to be in 1e-20
    erg/s/cm2/Angstrom, also with a warning.

    Parameters
    ----------
    hst : str, HDU, HDUList, `~astropy.nddata.CCDData`, NDData, or `~imphot_astropy.io.ImageData`
        The HST image, usually after `regrid_hst_like_muse` (rescaling a
        whole mosaic reads it all into memory).
    muse : str, HDU, HDUList, NDData/CCDData, ImageData, or a cube
        A MUSE image or cube with the target flux unit (only its header is
        read from files).
    inplace : bool
        If True (the default) and ``hst`` is a `~astropy.nddata.CCDData` or
        an `~imphot_astropy.io.ImageData`, that object is rescaled and
        returned. File names, HDUs and plain NDData are never modified: a
        new CCDData is returned for them whatever ``inplace`` says.
    filter_name : str, optional
        The HST filter, when the header does not name it (see
        `~imphot_astropy.preparation.HstFilterInfo`).

    Returns
    -------
    out : `~astropy.nddata.CCDData` or `~imphot_astropy.io.ImageData`
        The rescaled image, with FILTER, PHOTFLAM, PHOTPLAM, PHOTBW and a
        HISTORY line in its header.

    Raises
    ------
    UserError
        If the filter is unknown or unnamed, or the units do not convert.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> hst = CCDData(np.ones((2, 2)), unit="electron/s", wcs=w)
    >>> muse = CCDData(np.ones((2, 2)), unit="1e-20 erg/(s cm2 Angstrom)", wcs=w)
    >>> out = rescale_hst_like_muse(hst, muse, filter_name="F775W")
    >>> out is hst, out.unit, round(float(out.data[0, 0]), 6)
    (True, Unit("1e-20 erg / (Angstrom s cm2)"), 9.74)
    """
    reference = read_muse_reference(muse)
    muse_unit = _target_unit(reference)
    if isinstance(hst, ImageData):
        return _rescale_imagedata(hst if inplace else hst.copy(), muse_unit, filter_name)
    if isinstance(hst, CCDData) and inplace:
        return _rescale_ccddata(hst, muse_unit, filter_name)
    if isinstance(hst, NDData):
        ccd = CCDData(np.array(hst.data, dtype=float),
                      unit=hst.unit if hst.unit is not None else u.dimensionless_unscaled,
                      wcs=hst.wcs, mask=None if hst.mask is None else np.array(hst.mask),
                      uncertainty=None if hst.uncertainty is None else hst.uncertainty,
                      meta=fits.Header(_header_for_filter(hst), copy=True))
        return _rescale_ccddata(ccd, muse_unit, filter_name)
    image = read_image(hst, "hst")
    for note in image.notes:
        log.info(note)
    _rescale_imagedata(image, muse_unit, filter_name)
    return image.to_ccddata()


def _rescale_imagedata(image, muse_unit, filter_name):
    header = _header_for_filter(image)
    info = HstFilterInfo(header, filter_name=filter_name)
    hst_unit = _assumed_hst_unit(image.unit, info, image.name, header)
    factor = hst_to_muse_flux_factor(hst_unit, muse_unit, info)
    image.data *= factor
    if image.variance is not None:
        image.variance *= factor**2
    image.unit = muse_unit
    _record(image.header, info, factor, hst_unit, muse_unit)
    return image


def _rescale_ccddata(ccd, muse_unit, filter_name):
    header = header_from_meta(ccd.meta)
    name = str(header.get("FILENAME", "the HST image"))
    info = HstFilterInfo(header, filter_name=filter_name)
    hst_unit = _assumed_hst_unit(ccd.unit, info, name, header)
    factor = hst_to_muse_flux_factor(hst_unit, muse_unit, info)
    uncertainty = ccd.uncertainty
    ccd.uncertainty = None
    if np.issubdtype(ccd.data.dtype, np.floating) and ccd.data.flags.writeable:
        ccd.data *= factor
    else:
        ccd.data = np.asarray(ccd.data, dtype=float) * factor
    ccd.unit = muse_unit
    if uncertainty is not None:
        ccd.uncertainty = _scale_variance_uncertainty(uncertainty, factor)
    if not isinstance(ccd.meta, fits.Header):
        ccd.meta = header
    _record(header, info, factor, hst_unit, muse_unit)
    return ccd
