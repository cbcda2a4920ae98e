"""Stars for the star fit, found with photutils in the HST image.

Users of the reference tool picked the star by hand and wrote region files
to keep saturated stars and stars with proper motions out of the fits.
`find_point_sources` finds the candidates instead: photutils detects the
sources of the HST image (regridded onto the MUSE grid, as the
fitters use it) and measures their morphology; a source is offered for the
star fit when it is

- point-like: as concentrated as a model star (the HST PSF filtered by the
  regridding window, `BandLimitedMoffat2D`) and round;
- unsaturated: no pixel at or above ``saturation`` and no flagged (masked)
  HST pixel in its core, where saturated cores are flagged;
- isolated: no other detected source reaches into its fit circle, and
  it has one peak there (photutils `~photutils.detection.find_peaks`;
  close pairs can stay in one segment);
- fully covered: every pixel of its fit circle is on both images and
  unmasked in both.

Every detected source is returned, with the reason it was rejected.
"""

import numpy as np
import astropy.units as u
from astropy.stats import sigma_clipped_stats
from astropy.table import QTable

from ..exceptions import UserError
from ..utils import quantity_value
from ..core.transfer import (regrid_filter_from_header, REGRID_FILTER_KEYWORD,
                             REGRID_CUTOFF_KEYWORD)
from .image_fit import read_aligned_pair, DEFAULT_HST_FWHM, DEFAULT_HST_BETA
from .star_models import BandLimitedMoffat2D

__all__ = ["find_point_sources", "resolve_star", "is_auto_star"]

# Aperture radii (pixels) of the concentration index: the fraction of the
# flux within 4 pixels that lies within 1.5. The regridding window sets
# the width of a star on the MUSE grid, so a star's index hardly depends
# on its brightness or the HST PSF; galaxies spread their light further.
_INNER_RADIUS = 1.5
_OUTER_RADIUS = 4.0
# The radius (pixels) within which the shape of a source is measured.
_MOMENT_RADIUS = 3.0
# The core, where saturated HST pixels are flagged (pixels).
_CORE_RADIUS = 1.5


def _core_ellipticity(data, mask, xs, ys):
    """The ellipticity of each source within ``_MOMENT_RADIUS`` of its centroid.

    Measured by photutils on discs rather than on the detection segments,
    whose moments a neighbour's light in the same segment would distort.
    """
    from photutils.segmentation import SourceCatalog, SegmentationImage

    ny, nx = data.shape
    rows, cols = np.mgrid[0:ny, 0:nx]
    labels = np.zeros(data.shape, dtype=int)
    for label, (x, y) in enumerate(zip(xs, ys), start=1):
        disc = ((cols - x) ** 2 + (rows - y) ** 2 <= _MOMENT_RADIUS**2) & (labels == 0)
        labels[disc] = label
    present = np.unique(labels[labels > 0])
    ellipticity = np.full(len(xs), np.nan)
    if present.size:
        catalog = SourceCatalog(np.clip(data, 0.0, None), SegmentationImage(labels),
                                mask=mask)
        values = np.atleast_1d(u.Quantity(catalog.ellipticity).value)
        ellipticity[np.atleast_1d(catalog.labels) - 1] = values
    return ellipticity


def _concentration(catalog):
    inner = catalog.circular_photometry(_INNER_RADIUS)[0]
    outer = catalog.circular_photometry(_OUTER_RADIUS)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(inner / outer, dtype=float)


def _reference_concentration(regrid, pixel_x, pixel_y):
    """The lowest concentration index of a model star over sub-pixel positions."""
    size = 33
    model = BandLimitedMoffat2D(pixel_x, pixel_y, regrid.transfer, grid_size=64,
                                fwhm=DEFAULT_HST_FWHM, beta=DEFAULT_HST_BETA)
    y, x = np.mgrid[0:size, 0:size]
    values = []
    for offset in (0.0, 0.25, 0.5):
        model.x_0 = offset * pixel_x
        model.y_0 = offset * pixel_y
        image = model((x - size // 2) * pixel_x, (y - size // 2) * pixel_y)
        centre = (size // 2 + offset, size // 2 + offset)
        r = np.hypot(x - centre[0], y - centre[1])
        # Pixel-centre apertures are enough here: the index is compared
        # with a tolerance of several percent.
        values.append(image[r <= _INNER_RADIUS].sum() / image[r <= _OUTER_RADIUS].sum())
    return float(min(values))


def _circle(shape, x, y, radius_pixels):
    """The pixels whose centres are within the radius, and whether it is all on the image."""
    ny, nx = shape
    rows, cols = np.ogrid[0:ny, 0:nx]
    inside = (cols - x) ** 2 + (rows - y) ** 2 <= radius_pixels**2
    on_image = (x - radius_pixels >= -0.5 and y - radius_pixels >= -0.5
                and x + radius_pixels <= nx - 0.5 and y + radius_pixels <= ny - 0.5)
    return inside, on_image


def _reason(source, segments, peaks, hst_image, muse_image, radius_pixels, saturation,
            min_concentration, max_ellipticity, blend_contrast):
    """Why a source cannot be fitted as a star, or "" if it can."""
    x, y = source["x"], source["y"]
    circle, on_image = _circle(hst_image.shape, x, y, radius_pixels)
    core, _ = _circle(hst_image.shape, x, y, _CORE_RADIUS)
    if saturation is not None and source["peak"] >= saturation:
        return f"saturated: peak {source['peak']:.4g} >= saturation {saturation:.4g}"
    if (core & hst_image.mask).any() and on_image and not (circle & ~core
                                                           & hst_image.mask).any():
        return "saturated: flagged HST pixels in its core"
    if not on_image:
        return "cut by the image edge: the fit circle extends beyond the image"
    if (circle & hst_image.mask).any():
        return "cut by the HST coverage: masked HST pixels in the fit circle"
    if (circle & muse_image.mask).any():
        return "cut by the MUSE coverage: masked MUSE pixels in the fit circle"
    others = np.unique(segments[circle])
    others = others[(others != 0) & (others != source["label"])]
    if others.size:
        return f"blended: source(s) {list(others.tolist())} within the fit circle"
    # Fainter peaks are noise on its wings or faint neighbours that bias
    # the fit less than the fit's own errors.
    bright = peaks[2] >= blend_contrast * (source["peak"] - peaks[3])
    n_peaks = int(circle[peaks[1][bright], peaks[0][bright]].sum())
    if n_peaks > 1:
        # Close pairs in one segment (detection does not deblend).
        return f"blended: {n_peaks} peaks within the fit circle"
    if not source["concentration"] >= min_concentration:
        return (f"extended: concentration {source['concentration']:.3f} < "
                f"{min_concentration:.3f} (a star's)")
    if not source["ellipticity"] <= max_ellipticity:
        return f"elongated: ellipticity {source['ellipticity']:.2f} > {max_ellipticity}"
    return ""


def find_point_sources(hst, muse, radius=2.0, nsigma=5.0, npixels=5, saturation=None,
                       concentration_tolerance=0.1, max_ellipticity=0.2,
                       blend_contrast=0.05):
    """Find isolated, unsaturated, fully covered stars for the star fit.

    Sources are detected in the HST image with photutils'
    `~photutils.segmentation.SourceFinder` (above ``nsigma`` times the
    sigma-clipped noise) and measured with
    `~photutils.segmentation.SourceCatalog`; each is then accepted or
    rejected as the module notes describe.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The HST image regridded onto the MUSE grid, and the MUSE image.
    radius : float or `~astropy.units.Quantity`
        The radius (arcsec) of the star fit's circle: the stars' circles
        must be covered and free of other sources.
    nsigma : float
        The detection threshold, in units of the HST image's noise.
    npixels : int
        The fewest connected pixels of a source.
    saturation : float or `~astropy.units.Quantity`, optional
        The level (HST units) at or above which an HST pixel is saturated.
        Saturated pixels flagged in the HST DQ extension are rejected
        anyway.
    concentration_tolerance : float
        A point source's concentration index may fall this fraction below
        that of a model star.
    max_ellipticity : float
        The largest ellipticity of a point source, measured within 3
        pixels of its centroid.
    blend_contrast : float
        A second peak within the fit circle at least this fraction of the
        source's peak makes it a blend.

    Returns
    -------
    sources : `~astropy.table.QTable`
        One row per detected source, the accepted ones first, brightest
        first: ``label``, ``x``, ``y`` (0-based MUSE pixels),
        ``sky_centroid`` (`~astropy.coordinates.SkyCoord`), ``radius``
        (the fit radius), ``hst_flux``, ``peak``, ``concentration``,
        ``ellipticity``, ``accepted`` and ``reason`` (empty if accepted).
        A row can be passed as the ``star`` of the fitters.

    Raises
    ------
    UserError
        For unreadable or misaligned images, or a bad option.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(50, 50), sources=[SyntheticSource(24.3, 25.6, 500.0)],
    ...     hst_noise=0.01, seed=2)
    >>> sources = find_point_sources(hst, muse)
    >>> len(sources), bool(sources["accepted"][0])
    (1, True)
    >>> from imphot_astropy.fitting import measure_star_photometry
    >>> fit = measure_star_photometry(hst, muse, sources[0])
    >>> round(fit.fwhm.value, 2)
    0.65
    """
    # photutils takes seconds to import: only those who look for stars pay.
    from photutils.detection import find_peaks
    from photutils.segmentation import SourceFinder, SourceCatalog

    radius = quantity_value(radius, u.arcsec, "radius")
    if not (isinstance(radius, (int, float)) and radius > 0):
        raise UserError(f"radius: expected a positive number of arcsec, not {radius!r}")
    saturation_unit = None
    hst_image, muse_image = read_aligned_pair(hst, muse)
    if isinstance(saturation, u.Quantity):
        saturation_unit = hst_image.unit
    saturation = quantity_value(saturation, saturation_unit or u.one, "saturation")
    pixel_x, pixel_y = (float(v) for v in hst_image.pixel_scales)
    radius_pixels = radius / max(pixel_x, pixel_y)

    good = ~hst_image.mask
    if good.sum() < npixels:
        raise UserError(f"hst: {hst_image.name} has fewer than {npixels} unmasked pixels")
    _, median, noise = sigma_clipped_stats(hst_image.data[good], sigma=3.0)
    data = np.where(good, hst_image.data - median, 0.0)
    threshold = nsigma * noise if noise > 0 else 1e-3 * float(np.max(data))
    # Deblending needs scikit-image, which is not a dependency; close pairs
    # left in one segment are found by their two peaks instead.
    finder = SourceFinder(n_pixels=int(npixels), deblend=False, progress_bar=False)
    segments = finder(data, threshold, mask=hst_image.mask)
    table = QTable(names=("label", "x", "y", "sky_centroid", "radius", "hst_flux", "peak",
                          "concentration", "ellipticity", "accepted", "reason"),
                   dtype=(int, float, float, object, float, float, float, float, float,
                          bool, str))
    if segments is None:
        return table
    catalog = SourceCatalog(data, segments, mask=hst_image.mask, wcs=hst_image.wcs)
    found = find_peaks(data, threshold, box_size=3, mask=hst_image.mask)
    peaks = ((np.asarray(found["x_peak"]), np.asarray(found["y_peak"]),
              np.asarray(found["peak_value"]), median) if found is not None
             else (np.zeros(0, int), np.zeros(0, int), np.zeros(0), median))
    regrid = regrid_filter_from_header(
        hst_image.keywords(REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD), hst_image.name)
    min_concentration = ((1.0 - concentration_tolerance)
                         * _reference_concentration(regrid, pixel_x, pixel_y))
    concentration = _concentration(catalog)
    ellipticity = _core_ellipticity(data, hst_image.mask, catalog.x_centroid,
                                    catalog.y_centroid)
    rows = []
    for index in range(len(catalog)):
        source = dict(label=int(catalog.labels[index]),
                      x=float(catalog.x_centroid[index]), y=float(catalog.y_centroid[index]),
                      hst_flux=float(catalog.segment_flux[index]),
                      peak=float(catalog.max_value[index]) + float(median),
                      concentration=float(concentration[index]),
                      ellipticity=float(ellipticity[index]))
        source["reason"] = _reason(source, segments.data, peaks, hst_image, muse_image,
                                   radius_pixels, saturation, min_concentration,
                                   max_ellipticity, blend_contrast)
        rows.append(source)
    rows.sort(key=lambda s: (s["reason"] != "", -s["hst_flux"]))
    xs = np.array([s["x"] for s in rows])
    ys = np.array([s["y"] for s in rows])
    coords = catalog.sky_centroid.__class__.from_pixel(xs, ys, hst_image.wcs, origin=0)
    result = QTable()
    result["label"] = [s["label"] for s in rows]
    result["x"] = xs
    result["y"] = ys
    result["sky_centroid"] = coords
    result["radius"] = np.full(len(rows), radius) * u.arcsec
    result["hst_flux"] = u.Quantity([s["hst_flux"] for s in rows], hst_image.unit)
    result["peak"] = u.Quantity([s["peak"] for s in rows], hst_image.unit)
    result["concentration"] = [s["concentration"] for s in rows]
    result["ellipticity"] = [s["ellipticity"] for s in rows]
    result["accepted"] = [s["reason"] == "" for s in rows]
    result["reason"] = [s["reason"] for s in rows]
    result.meta.update(radius=radius, threshold=float(threshold), noise=float(noise),
                       min_concentration=min_concentration, hst=hst_image.filename,
                       muse=muse_image.filename)
    return result


def is_auto_star(star):
    """True if ``star`` asks for the star to be found: "auto" or ("auto", radius).

    Examples
    --------
    >>> is_auto_star("auto"), is_auto_star(("auto", 1.5)), is_auto_star((1, 2, 3))
    (True, True, False)
    """
    if isinstance(star, str):
        return star.strip().lower() == "auto"
    return (isinstance(star, (tuple, list)) and len(star) == 2
            and isinstance(star[0], str) and star[0].strip().lower() == "auto")


def resolve_star(star, hst, muse, argname="star"):
    """The star to fit: ``star`` itself, or the best one `find_point_sources` finds.

    Parameters
    ----------
    star : object
        "auto" (a 2" fit radius) or ("auto", radius) to choose the
        brightest accepted point source; anything else is returned as it is.
    hst, muse : image
        The images (any form the fitters accept).
    argname : str
        Quoted in error messages.

    Returns
    -------
    star : tuple or object
        (ra, dec, radius) in degrees, degrees and arcsec when found.

    Raises
    ------
    UserError
        If no point source is accepted (the message gives the reasons of
        the brightest rejected ones).

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(50, 50), sources=[SyntheticSource(24.3, 25.6, 500.0)],
    ...     hst_noise=0.01, seed=2)
    >>> ra, dec, radius = resolve_star(("auto", 1.5), hst, muse)
    >>> radius, bool(abs(ra - truth["star_radec"][0][0]) * 3600 < 0.02)
    (1.5, True)
    """
    if not is_auto_star(star):
        return star
    radius = 2.0 if isinstance(star, str) else star[1]
    table = find_point_sources(hst, muse, radius=radius)
    accepted = table[table["accepted"]]
    if len(accepted) == 0:
        reasons = "; ".join(f"({row['x']:.1f}, {row['y']:.1f}): {row['reason']}"
                            for row in table[:3])
        raise UserError(f"{argname}: 'auto' found no isolated, unsaturated, fully covered "
                        f"point source in the HST image"
                        + (f" (the brightest rejected: {reasons})" if reasons else ""))
    coord = accepted["sky_centroid"][0]
    return (float(coord.ra.deg), float(coord.dec.deg), float(accepted["radius"][0].value))
