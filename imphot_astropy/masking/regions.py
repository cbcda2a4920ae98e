"""Masks from ds9 region files and from the ``star`` argument of the fitters."""

import os
import re
import warnings

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord

from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from .inputs import parse_star, region_objects

# The regions package (which imports matplotlib) is imported by the functions
# that make or parse regions, not here: the fitters import this module, and
# a fit without regions or a star should not pay for it.

__all__ = ["read_ds9_regions", "regions_mask", "star_region", "parse_star",
           "fit_regions", "means_none", "IgnoredRegionWarning"]

_SHAPE_NAMES = {"CircleSkyRegion": "circle", "CirclePixelRegion": "circle",
                "EllipseSkyRegion": "ellipse", "EllipsePixelRegion": "ellipse",
                "RectangleSkyRegion": "box", "RectanglePixelRegion": "box"}
_SKY_FRAMES = ("fk5", "icrs", "fk4", "galactic", "ecliptic", "j2000", "b1950")
_PIXEL_FRAMES = ("image", "physical")
_OTHER_DS9_FRAMES = ("linear", "amplifier", "detector", "tile", "wcs", "wcsa")
_FRAME_PATTERN = re.compile(r"^\s*([a-zA-Z0-9]+)\s*(;|$)")
_NO_REGIONS = ("", "none")
_DS9_SHAPE_NAMES = {"CircleAnnulus": "annulus", "EllipseAnnulus": "ellipse annulus",
                    "RectangleAnnulus": "box annulus"}


class IgnoredRegionWarning(AstropyUserWarning):
    """A ds9 region of a shape the fitters do not use was ignored.

    Only circles, ellipses and boxes mask pixels. Like the MPDAF-based
    imphot, other shapes (polygon, point, text, annulus, ...) are ignored,
    but here with this warning, which names the file and line.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     regs = read_ds9_regions(["image", "circle(5, 5, 2)", "point(3, 3)"])
    >>> len(regs), caught[0].category.__name__
    (1, 'IgnoredRegionWarning')
    """


def _read_lines(regions, argname):
    """The text lines of a region file name or an iterable of lines."""
    if isinstance(regions, (str, os.PathLike)):
        path = os.fspath(regions)
        if os.path.isdir(path):
            raise UserError(f"{argname}: {path} is a directory, not a ds9 region file")
        if not os.path.isfile(path):
            raise UserError(f"{argname}: the region file {path} does not exist")
        try:
            with open(path, encoding="utf-8", errors="strict") as stream:
                return path, stream.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{argname}: the region file {path} cannot be read "
                            f"({exc})") from None
    try:
        lines = [str(line).rstrip("\n") for line in regions]
    except TypeError:
        raise UserError(f"{argname}: expected a region file name or an iterable of "
                        f"ds9 region lines, not {type(regions).__name__}") from None
    return "regions", lines


def _frame_of(text):
    match = _FRAME_PATTERN.match(text)
    if match and match.group(1).lower() in _SKY_FRAMES + _PIXEL_FRAMES + _OTHER_DS9_FRAMES:
        return match.group(1).lower()
    return None


def _parse_line(text, frame, where):
    """Parse one ds9 line (with the current frame).

    Returns the circle, ellipse and box regions of the line and the names of
    the other shapes on it, which the caller ignores.
    """
    if frame in _OTHER_DS9_FRAMES:
        raise UserError(f"{where}: the coordinate system '{frame}' is not supported; "
                        "use fk5 (or icrs) sky coordinates, or image/physical pixels")
    if frame is None:
        raise UserError(f"{where}: no coordinate system (such as fk5 or image) is "
                        "given before this region")
    # For images without LTV/LTM keywords, as MUSE and HST products are,
    # ds9's physical coordinates are image coordinates; the regions package
    # does not read the 'physical' keyword itself.
    parse_frame = "image" if frame == "physical" else frame
    body = text
    own = _frame_of(text)
    if own is not None:
        body = text[text.index(";") + 1:] if ";" in text else ""
    import regions
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parsed = regions.Regions.parse(f"{parse_frame}; {body}", format="ds9")
        except Exception as exc:  # the parser raises many exception types
            raise UserError(f"{where}: malformed region '{text.strip()}' ({exc})") from None
    ignored = []
    for message in (str(w.message) for w in caught):
        # The regions package skips valid ds9 shapes it has no class for
        # (vector, ruler, panda...) and lines that are not ds9 at all.
        if "not supported by the regions package" in message:
            ignored.append(message.split('"')[1] if '"' in message else text.strip())
        elif "skip" in message or "Cannot parse" in message:
            # "Cannot parse": a value it cannot read (an "inf" radius...).
            raise UserError(f"{where}: cannot read region '{text.strip()}' ({message})")
    supported_types = (regions.CircleSkyRegion, regions.CirclePixelRegion,
                       regions.EllipseSkyRegion, regions.EllipsePixelRegion,
                       regions.RectangleSkyRegion, regions.RectanglePixelRegion)
    supported = []
    for region in parsed:
        if isinstance(region, supported_types):
            _check_finite(region, where, text)
            supported.append(_in_icrs(region, where))
        else:
            ignored.append(_shape_name(region))
    return supported, ignored


def _in_icrs(region, where):
    """A sky region in another frame (galactic, ecliptic, fk4...) moved to ICRS.

    The centre is transformed; the rotation angle of an ellipse or box,
    counted (as in ds9) from the longitude axis of the region's own frame
    toward its north, is turned to count from the RA axis: the two frames'
    north directions differ at the centre by the position angle (east of
    north), in ICRS, of the frame's north, and every direction turns by it.
    (The regions package's own ``to_pixel`` counts the angle from the WCS's
    axes whatever the region's frame, so the conversion is needed.)
    """
    center = getattr(region, "center", None)
    if not isinstance(center, SkyCoord) or center.frame.name in ("icrs", "fk5"):
        return region
    try:
        icrs = center.icrs
        north = center.directional_offset_by(0 * u.deg, 1 * u.arcsec).icrs
    except Exception as exc:  # astropy raises many kinds for frames it cannot convert
        raise UserError(f"{where}: the {center.frame.name} coordinates of the region "
                        f"cannot be converted to ICRS ({exc})") from None
    converted = region.copy()
    converted.center = SkyCoord(icrs.ra, icrs.dec, frame="icrs")
    if getattr(region, "angle", None) is not None:
        angle = region.angle + icrs.position_angle(north).to(u.deg)
        converted.angle = angle % (360 * u.deg)
    return converted


def _shape_name(region):
    """The ds9-like name of a region's shape ("polygon", "point"...)."""
    name = type(region).__name__.replace("SkyRegion", "").replace("PixelRegion", "")
    return _DS9_SHAPE_NAMES.get(name, name.lower())


def _check_finite(region, where, text):
    """Refuse a region with a NaN or infinite centre or size."""
    numbers = []
    center = region.center
    if isinstance(center, SkyCoord):  # in any frame: galactic has no .ra
        numbers += [center.spherical.lon.deg, center.spherical.lat.deg]
    else:
        numbers += [center.x, center.y]
    for name in ("radius", "width", "height", "angle"):
        value = getattr(region, name, None)
        if value is not None:
            numbers.append(getattr(value, "value", value))
    if not np.all(np.isfinite(np.asarray(numbers, dtype=float))):
        raise UserError(f"{where}: the region '{text.strip()}' has a value that is not "
                        "a finite number")


def read_ds9_regions(regions, argname="regions"):
    """Read circle, ellipse and box regions from ds9 region text.

    Regions of other shapes (polygon, point, text, annulus, line, vector,
    panda...) are ignored, as the MPDAF-based imphot ignored them, but each
    with an `IgnoredRegionWarning` naming its line; a file that has only
    such regions is refused, since ignoring them all would silently fit
    without the regions the user meant.

    Parameters
    ----------
    regions : str, `os.PathLike`, iterable of str, or regions objects
        A ds9 region file name, or the lines of one; or a `regions.Regions`
        or list of sky/pixel regions, returned as they are. Regions may be in fk5 or
        icrs sky coordinates (other astropy sky frames are converted), or in
        image/physical pixel coordinates; a leading ``-`` marks a region to
        exclude.
    argname : str
        The argument name to quote in error messages.

    Returns
    -------
    regions : list of `regions.Region`
        Each with ``meta["include"]`` True (include) or False (exclude).

    Raises
    ------
    UserError
        For a missing or unreadable file, a line that cannot be read, a
        coordinate system that is not supported, or a file whose only
        regions are of unsupported shapes; the message gives the line number.

    Examples
    --------
    >>> regs = read_ds9_regions(['fk5', 'circle(338.23, -60.56, 2")',
    ...                          'image; -box(10, 20, 4, 6, 0)'])
    >>> [(type(r).__name__, bool(r.meta["include"])) for r in regs]
    [('CircleSkyRegion', True), ('RectanglePixelRegion', False)]
    """
    given = region_objects(regions, argname)   # regions objects need no reading
    if given is not None:
        return given
    source, lines = _read_lines(regions, argname)
    frame = None
    found = []
    ignored_lines = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text or text.lower().startswith("global"):
            continue
        where = f"{argname}: {source}, line {number}"
        own = _frame_of(text)
        if own is not None:
            frame = own
            if ";" not in text or not text.split(";", 1)[1].strip():
                continue
        supported, ignored = _parse_line(text, frame, where)
        found.extend(supported)
        ignored_lines.extend((where, shape) for shape in ignored)
    if ignored_lines and not found:
        where, shape = ignored_lines[0]
        raise UserError(f"{where}: the region shape '{shape}' is not supported; use "
                        "circle, ellipse or box (the file has no region of these "
                        "shapes, so ignoring the others would leave no region)")
    for where, shape in ignored_lines:
        warnings.warn(f"{where}: ignoring the {shape} region (only circle, ellipse "
                      "and box regions are used)", IgnoredRegionWarning, stacklevel=2)
    return found


def _pixel_mask(region, wcs, shape):
    pixel_region = region if not hasattr(region, "to_pixel") else region.to_pixel(wcs)
    bbox = pixel_region.bounding_box
    if bbox.shape[0] * bbox.shape[1] > 4 * shape[0] * shape[1]:
        # to_mask() would allocate the whole bounding box (terabytes for a
        # circle of 1e6"): test the image's pixel centres instead.
        from regions import PixCoord
        yy, xx = np.mgrid[:shape[0], :shape[1]]
        return np.asarray(pixel_region.contains(PixCoord(xx, yy)), dtype=bool)
    mask = pixel_region.to_mask(mode="center").to_image(shape)
    if mask is None:
        return np.zeros(shape, dtype=bool)
    return mask.astype(bool)


def regions_mask(regions, wcs, shape):
    """The mask (True = not fitted) implied by include and exclude regions.

    Pixels inside any exclude region are masked. If there are include
    regions, pixels outside all of them are masked too.

    Parameters
    ----------
    regions : list of `regions.Region`
        From `read_ds9_regions` (sky regions are placed with ``wcs``).
    wcs : `~astropy.wcs.WCS`
        The celestial WCS of the image.
    shape : tuple
        The (ny, nx) image shape.

    Returns
    -------
    mask : `numpy.ndarray` of bool

    Examples
    --------
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> regs = read_ds9_regions(["image; circle(5, 5, 2)"])
    >>> int((~regions_mask(regs, w, (10, 10))).sum())
    9
    """
    excluded = np.zeros(shape, dtype=bool)
    included = np.zeros(shape, dtype=bool)
    have_includes = False
    for region in regions:
        inside = _pixel_mask(region, wcs, shape)
        if region.meta.get("include", True):
            have_includes = True
            included |= inside
        else:
            excluded |= inside
    return excluded | (~included if have_includes else False)


def star_region(star, include=True):
    """A circular sky region around a star given as (ra, dec, radius").

    Examples
    --------
    >>> r = star_region((338.2, -60.5, 2.0), include=False)
    >>> r.radius, r.meta["include"]
    (<Quantity 2. arcsec>, False)
    """
    from regions import CircleSkyRegion
    ra, dec, radius = parse_star(star)
    region = CircleSkyRegion(SkyCoord(ra * u.deg, dec * u.deg, frame="fk5"),
                             radius * u.arcsec)
    region.meta["include"] = include
    return region


def means_none(value):
    """Whether an option such as ``regions`` or ``extramask`` is not given.

    As in the reference tool, None, "" and "none" (in any case, with any
    surrounding spaces) all mean "none".

    Parameters
    ----------
    value : object
        The option's value.

    Returns
    -------
    none : bool

    Examples
    --------
    >>> means_none(None), means_none(" None "), means_none("stars.reg")
    (True, True, False)
    """
    return value is None or (isinstance(value, str)
                             and value.strip().lower() in _NO_REGIONS)


def fit_regions(regions, star=None, argname="regions"):
    """The regions of an image fit, from its ``regions`` and ``star`` arguments.

    The rules of the reference tool's ``fit_image_photometry``:

    - ``regions`` None, "none" or "": no regions, except that a ``star``
      restricts the fit to its circle;
    - "star": only the ``star`` circle; "notstar": all but it (both are a
      `~imphot_astropy.UserError` without a ``star``, where the reference
      tool silently fitted the whole image);
    - a ds9 file name or lines: those regions, unless a ``star`` is given,
      which overrides them (the fit is restricted to the star's circle and
      the file is not read; an `~astropy.utils.exceptions.AstropyUserWarning`
      says so).

    Parameters
    ----------
    regions : None, str, `os.PathLike` or iterable of str
        As above.
    star : (ra, dec, radius), optional
        Degrees, degrees and arcsec.
    argname : str
        The argument name to quote in messages.

    Returns
    -------
    regions : list of `regions.Region`
        Each with ``meta["include"]``; empty for no regions.

    Examples
    --------
    >>> [r.meta["include"] for r in fit_regions("notstar", (338.2, -60.5, 2.0))]
    [False]
    >>> fit_regions(None), len(fit_regions(None, (338.2, -60.5, 2.0)))
    ([], 1)
    """
    if means_none(regions):
        return [star_region(star, include=True)] if star is not None else []
    if isinstance(regions, str) and regions.strip().lower() in ("star", "notstar"):
        if star is None:
            # The reference tool silently fitted the whole image (issue 13).
            raise UserError(f"{argname}: {regions.strip()!r} needs the star argument, "
                            "star=(ra, dec, radius)")
        return [star_region(star, include=regions.strip().lower() == "star")]
    if star is not None:
        warnings.warn(f"{argname}: these regions are not used, because star is given "
                      "(star overrides regions: the fit is restricted to the star's "
                      "circle)", AstropyUserWarning, stacklevel=2)
        return [star_region(star, include=True)]
    return read_ds9_regions(regions, argname)
