"""The figure of a star fit: radial profiles with the fitted Moffat curves.

The star fitter fits a Moffat profile plus a background to one star in
the MUSE image and in the HST image. It describes what it measured in each
image with a `StarFitPanel` and calls `plot_star_fit`; this module knows
nothing else about the fitter.
"""

from dataclasses import dataclass

import numpy as np

from ..core.psf import CircularMoffat
from ..exceptions import UserError
from .figures import require_matplotlib, new_figure, resolve_title, text_panel
from .text import format_fitted_value, fitted_value_lines, unit_label, quality_lines
from .scales import residual_norm, residual_colorbar, colormap

__all__ = ["StarFitPanel", "moffat_profile", "plot_star_fit", "star_fit_panels",
           "STAR_FIT_PANELS", "STAR_FIT_FIGSIZE"]

#: The labels of the axes of the star-fit figure (``ax.get_label()``).
STAR_FIT_PANELS = ("muse_profile", "hst_profile", "muse_residual", "hst_residual",
                   "values")

#: The size (inches) of a new star-fit figure.
STAR_FIT_FIGSIZE = (13.0, 8.5)


def moffat_profile(radius, flux, fwhm, beta, bg=0.0, pixel_area=1.0):
    """A circular Moffat profile of total flux ``flux``, per pixel, plus ``bg``.

    ``bg + flux * pixel_area * M(r)``, with M the unit-volume circular Moffat
    (`~imphot_astropy.core.psf.CircularMoffat`): the value a pixel of area
    ``pixel_area`` centred at ``radius`` would hold, ignoring the variation
    of the profile across the pixel. The figure only draws: the profile is
    the PSF object's.

    Parameters
    ----------
    radius : array-like
        Distance from the centre (arcsec).
    flux : float
        The total flux of the star (image units times pixels).
    fwhm : float
        Arcsec.
    beta : float
        The Moffat exponent (> 1).
    bg : float
        A constant background per pixel.
    pixel_area : float
        Arcsec^2.

    Returns
    -------
    values : `numpy.ndarray`

    Examples
    --------
    >>> round(float(moffat_profile(0.3, 1.0, 0.6, 2.5) / moffat_profile(0.0, 1.0, 0.6, 2.5)), 6)
    0.5
    """
    radius = np.asarray(radius, dtype=float)
    return bg + pixel_area * flux * CircularMoffat().image(radius, 0.0, fwhm, beta)


@dataclass
class StarFitPanel:
    """What the star fitter measured in one image (MUSE or HST).

    All 2D arrays are the same cutout around the star, on the MUSE pixel
    grid (the HST image is regridded onto it).

    Parameters
    ----------
    data : `numpy.ndarray`
        The image pixels of the cutout (NaN where bad).
    model : `numpy.ndarray`
        The fitted model (Moffat plus background) at the same pixels.
    radius : `numpy.ndarray`
        The distance (arcsec) of each pixel centre from the fitted centre
        of the star.
    fwhm, beta, flux, bg : float
        The fitted Moffat FWHM (arcsec), exponent, total flux and
        background (image units).
    fit_radius : float
        The radius (arcsec) of the area that was fitted.
    used : `numpy.ndarray` of bool, optional
        The pixels that the fit used; by default the finite pixels within
        ``fit_radius``.
    wcs : `~astropy.wcs.WCS`, optional
        The celestial WCS of the cutout; the residual image then has
        celestial axes.
    profile : (array, array), optional
        The fitted model against radius (radius in arcsec, value) for the
        curve; by default `moffat_profile` of the fitted values, sampled at
        pixel centres (pass this if the fitter's model integrates over
        pixels).
    unit : `~astropy.units.UnitBase`, optional
        The flux unit of ``data``.
    pixel_area : float, optional
        Arcsec^2 per pixel, for the default profile; by default from
        ``wcs``, else 0.04 (0.2" MUSE pixels).
    label : str
        "MUSE" or "HST".
    curve_label : str, optional
        The legend of the model curve; by default "fitted model" when
        ``profile`` is given (the fitter's own model), else "fitted Moffat".

    Examples
    --------
    >>> panel = StarFitPanel(data=np.ones((3, 3)), model=np.ones((3, 3)),
    ...                      radius=np.zeros((3, 3)), fwhm=0.6, beta=2.5, flux=1.0,
    ...                      bg=0.0, fit_radius=0.5)
    >>> panel.label
    'image'
    """

    data: np.ndarray
    model: np.ndarray
    radius: np.ndarray
    fwhm: float
    beta: float
    flux: float
    bg: float
    fit_radius: float
    used: object = None
    wcs: object = None
    profile: object = None
    unit: object = None
    pixel_area: object = None
    label: str = "image"
    curve_label: str = None

    def checked(self, argname):
        """Return a copy with arrays as float and defaults filled in."""
        data = np.asarray(self.data, dtype=float)
        model = np.asarray(self.model, dtype=float)
        radius = np.asarray(self.radius, dtype=float)
        if data.ndim != 2 or model.shape != data.shape or radius.shape != data.shape:
            raise UserError(f"{argname}: data, model and radius must be 2D arrays of "
                            f"one shape, not {data.shape}, {model.shape}, {radius.shape}")
        if self.used is None:
            used = np.isfinite(data) & (radius <= self.fit_radius)
        else:
            used = np.asarray(self.used, dtype=bool)
            if used.shape != data.shape:
                raise UserError(f"{argname}: used has shape {used.shape}, not {data.shape}")
            used = used & np.isfinite(data)
        if not used.any():
            raise UserError(f"{argname}: no pixel of the star cutout was used")
        pixel_area = self.pixel_area
        if pixel_area is None:
            if self.wcs is not None:
                from astropy.wcs.utils import proj_plane_pixel_area
                pixel_area = proj_plane_pixel_area(self.wcs) * 3600.0**2
            else:
                pixel_area = 0.04
        profile = self.profile
        self_described = profile is not None
        if profile is None:
            r = np.linspace(0.0, 1.05 * self.fit_radius, 300)
            profile = (r, moffat_profile(r, self.flux, self.fwhm, self.beta, self.bg,
                                         pixel_area))
        curve_label = self.curve_label or ("fitted model" if self_described
                                           else "fitted Moffat")
        return StarFitPanel(data, model, radius, float(self.fwhm), float(self.beta),
                            float(self.flux), float(self.bg), float(self.fit_radius),
                            used, self.wcs, profile, self.unit, float(pixel_area),
                            self.label, curve_label)


def star_fit_panels(result):
    """The two `StarFitPanel` of a star-fit result, from its ``products``.

    Parameters
    ----------
    result : ``FittedStarPhotometry``
        A fit made in this process. Its ``muse_*``/``hst_*`` fitted values
        (``flux, dx, dy, fwhm, beta, bg``) and its ``products`` are used:
        ``crop`` (slices of the MUSE grid), ``pixels`` (the fitted pixels on
        the crop), ``muse``, ``hst``, ``muse_model``, ``hst_model`` (images
        on the crop), ``star_xy`` (the star's 0-based pixel position on the
        full grid, from which ``dx``/``dy`` are measured), ``radius`` (the
        fitted circle, arcsec), ``wcs`` (of the full grid), ``unit`` and,
        if present, ``hst_unit`` and ``profile(prefix, radii)`` (the fitted
        model along a ray from its centre; without it the curve is
        `moffat_profile` of the fitted values).

    Returns
    -------
    muse, hst : `StarFitPanel`

    Examples
    --------
    >>> from imphot_astropy import fit_star_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(60, 60), sources=[SyntheticSource(30.2, 29.7, 2000.0)], seed=4)
    >>> fit = fit_star_photometry(hst, muse, (*truth["star_radec"][0], 2.0))
    >>> muse_panel, hst_panel = star_fit_panels(fit)
    >>> round(muse_panel.fwhm, 2)
    0.65
    """
    from astropy.wcs.utils import proj_plane_pixel_scales
    products = getattr(result, "products", None)
    if products is None:
        raise UserError("result: this fit result holds no images to plot (results "
                        "sent back from worker processes drop them); ask the fitter "
                        "itself for display or hardcopy")
    wcs = products.wcs[products.crop]
    pixel_x, pixel_y = proj_plane_pixel_scales(wcs) * 3600.0
    rows, cols = np.mgrid[products.crop]
    star_x, star_y = products.star_xy
    panels = []
    for prefix, label in (("muse", "MUSE"), ("hst", "HST")):
        def value(name):
            return float(getattr(result, f"{prefix}_{name}").value)
        centre_x = star_x + value("dx") / pixel_x
        centre_y = star_y + value("dy") / pixel_y
        radius = np.hypot((cols - centre_x) * pixel_x, (rows - centre_y) * pixel_y)
        profile = None
        if hasattr(products, "profile"):
            radii = np.linspace(0.0, 1.05 * products.radius, 200)
            profile = (radii, np.asarray(products.profile(prefix, radii), dtype=float))
        unit = products.unit if prefix == "muse" else getattr(products, "hst_unit", None)
        panels.append(StarFitPanel(
            data=getattr(products, prefix), model=getattr(products, prefix + "_model"),
            radius=radius, fwhm=value("fwhm"), beta=value("beta"), flux=value("flux"),
            bg=value("bg"), fit_radius=float(products.radius), used=products.pixels,
            wcs=wcs, profile=profile, unit=unit, label=label))
    return tuple(panels)


def _profile_panel(fig, spec, panel, label):
    ax = fig.add_subplot(spec, label=label)
    unit = unit_label(panel.unit)
    r = panel.radius[panel.used]
    ax.plot(r, panel.data[panel.used], ls="", marker=".", ms=4, color="C0",
            label=f"{panel.label} pixels")
    ax.plot(panel.profile[0], panel.profile[1], color="C3", lw=1.5,
            label=panel.curve_label)
    ax.set_xlim(-0.02 * panel.fit_radius, 1.05 * panel.fit_radius)
    ax.set_xlabel("radius (arcsec)", fontsize=9)
    ax.set_ylabel(f"{panel.label} flux" + (f" ({unit})" if unit else ""), fontsize=9)
    ax.set_title(f"{panel.label}: FWHM {panel.fwhm:.3f}″, β {panel.beta:.2f}, "
                 f"flux {panel.flux:.4g}", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.tick_params(labelsize=8)
    return ax


def _residual_panel(fig, spec, panel, label):
    residual = np.where(panel.used, panel.data - panel.model, np.nan)
    cmap = colormap("RdBu_r")
    if panel.wcs is not None:
        ax = fig.add_subplot(spec, projection=panel.wcs, label=label)
        ax.coords[0].set_axislabel("RA")
        ax.coords[1].set_axislabel("Dec")
        ax.coords[0].set_ticks(number=3)
        for coord in ax.coords:
            coord.set_ticklabel(size=8)
    else:
        ax = fig.add_subplot(spec, label=label)
        ax.set_xlabel("x (pixels)", fontsize=9)
        ax.set_ylabel("y (pixels)", fontsize=9)
        ax.tick_params(labelsize=8)
    shown = ax.imshow(residual, origin="lower", cmap=cmap, interpolation="nearest",
                      norm=residual_norm(residual[panel.used]))
    ax.set_title(f"{panel.label} − model (asinh scale)", fontsize=10)
    bar = residual_colorbar(fig, shown, ax, label + "_colorbar", fraction=0.046, pad=0.03)
    unit = unit_label(panel.unit)
    bar.set_label(f"{panel.label} − model" + (f" ({unit})" if unit else ""), fontsize=9)
    return ax


def _values_text(result, muse, hst):
    lines = ["Star fit (1σ errors)", "", *fitted_value_lines(result), ""]
    for prefix, panel in (("muse", muse), ("hst", hst)):
        fwhm = getattr(result, prefix + "_fwhm", None)
        beta = getattr(result, prefix + "_beta", None)
        if fwhm is not None and beta is not None:
            lines += [f"{panel.label} FWHM {format_fitted_value(fwhm, '″')}",
                      f"{panel.label} beta {format_fitted_value(beta)}"]
    lines += ["", f"RMS residual  {result.rms_error:.4g}",
              f"fit radius    {muse.fit_radius:.3g}″", *quality_lines(result), "",
              "grey pixels: not fitted"]
    return "\n".join(lines)


def plot_star_fit(result, muse, hst, fig=None, title=None):
    """Draw the figure of a star fit.

    Top: the MUSE and the HST pixel values against their distance from
    the fitted centre of the star, with the fitted Moffat curves. Bottom:
    the 2D residuals (data minus model) of both fits, on a symmetric asinh
    colour scale (pixels not fitted are grey). Right: the fitted values.
    The axes carry labels (``ax.get_label()``) from `STAR_FIT_PANELS`.

    Parameters
    ----------
    result : `~imphot_astropy.fitting.FittedPhotometry`
        The star-fit result (``FittedStarPhotometry``): its name and its
        fitted ``scale, bg, dx, dy, dra, ddec, fwhm, beta`` are shown, and
        ``muse_fwhm``/``hst_fwhm``/``muse_beta``/``hst_beta`` if present.
    muse, hst : `StarFitPanel`
        What the fitter measured in each image.
    fig : `matplotlib.figure.Figure`, optional
        The figure to draw into (it is cleared); by default a new one.
    title : str or None
        None or "none" for the default ("MUSE image: <name>"), "" for none.

    Returns
    -------
    fig : `matplotlib.figure.Figure`

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.fitting import FittedValue
    >>> y, x = np.mgrid[-10:11, -10:11] * 0.2
    >>> r = np.hypot(x, y)
    >>> star = moffat_profile(r, 100.0, 0.7, 2.5, bg=0.1, pixel_area=0.04)
    >>> muse = StarFitPanel(star, star, r, 0.7, 2.5, 100.0, 0.1, 2.0, label="MUSE")
    >>> hst = StarFitPanel(star, star, r, 0.7, 2.5, 100.0, 0.1, 2.0, label="HST")
    >>> v = FittedValue(1.0, 0.01, False)
    >>> result = SimpleNamespace(name="muse", scale=v, bg=v, dx=v, dy=v, dra=v,
    ...                          ddec=v, fwhm=v, beta=v, rms_error=0.0)
    >>> fig = plot_star_fit(result, muse, hst)
    >>> all(label in [ax.get_label() for ax in fig.axes] for label in STAR_FIT_PANELS)
    True
    """
    require_matplotlib("display/hardcopy")
    if not isinstance(muse, StarFitPanel) or not isinstance(hst, StarFitPanel):
        raise UserError("muse/hst: expected StarFitPanel objects describing the fits")
    muse = muse.checked("muse")
    hst = hst.checked("hst")
    fig = new_figure(fig, figsize=STAR_FIT_FIGSIZE)
    # The layout engine (constrained, see new_figure) sizes the gaps for
    # the labels, colour bars and the text panel.
    # The text column holds 34 characters (the widest line so far: 32).
    grid = fig.add_gridspec(2, 3, width_ratios=(1, 1, 1.0))
    _profile_panel(fig, grid[0, 0], muse, "muse_profile")
    _profile_panel(fig, grid[0, 1], hst, "hst_profile")
    _residual_panel(fig, grid[1, 0], muse, "muse_residual")
    _residual_panel(fig, grid[1, 1], hst, "hst_residual")
    text_panel(fig, grid[:, 2], _values_text(result, muse, hst))
    shown_title = resolve_title(title, f"MUSE image: {result.name}")
    if shown_title is not None:
        fig.suptitle(shown_title, fontsize=14)
    return fig
