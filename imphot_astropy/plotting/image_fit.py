"""The figure of an image fit.

`plot_image_fit` only draws: the images it shows (model, residual, Fourier
amplitudes) are computed by the fitting layer,
`~imphot_astropy.fitting.image_fit_images`, from which the FITS products
are written too.
"""

import numpy as np

from ..fitting.images import image_fit_images
from .figures import require_matplotlib, new_figure, resolve_title, text_panel
from .text import fitted_value_lines, unit_label, quality_lines
from .scales import residual_norm, residual_colorbar, colormap, stretched_ticks

__all__ = ["plot_image_fit", "IMAGE_FIT_PANELS", "IMAGE_FIT_FIGSIZE"]

#: The labels of the axes of the image-fit figure (``ax.get_label()``), in
#: reading order: the three images, their three Fourier amplitudes, the
#: text panel of fitted values.
IMAGE_FIT_PANELS = ("muse", "model", "residual", "muse_fft", "model_fft",
                    "residual_fft", "values")

#: The size (inches) of a new image-fit figure.
IMAGE_FIT_FIGSIZE = (15.0, 9.0)


def _image_norm(images):
    """One asinh colour scale for the MUSE image and the model.

    The asinh stretch shows the faint outskirts of galaxies and the core
    of a bright star at once; the limits come from the compared MUSE pixels
    so that both panels use the same scale.
    """
    from astropy.visualization import ImageNormalize, AsinhStretch
    values = images.muse[images.compared]
    low, high = np.percentile(values, [1.0, 99.9])
    if not high > low:
        high = low + 1.0
    return ImageNormalize(vmin=low, vmax=high, stretch=AsinhStretch(0.05), clip=False)


def _fft_norm(images):
    from matplotlib.colors import LogNorm
    top = float(np.max(images.muse_fft))
    if not top > 0:
        top = 1.0
    return LogNorm(vmin=top * 1e-4, vmax=top, clip=True)


def _sky_panel(fig, spec, images, data, label, title, norm, cmap, show_lat=True):
    ax = fig.add_subplot(spec, projection=images.wcs, label=label)
    shown = ax.imshow(data, origin="lower", norm=norm, cmap=cmap,
                      interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ra, dec = ax.coords[0], ax.coords[1]
    ra.set_axislabel("RA")
    ra.set_major_formatter("hh:mm:ss.s")
    ra.set_ticks(number=3)
    dec.set_ticks(number=4)
    if show_lat:
        dec.set_axislabel("Dec")
    else:
        dec.set_ticklabel_visible(False)
        dec.set_axislabel("")
    for coord in (ra, dec):
        coord.set_ticklabel(size=8)
    return ax, shown


def _fft_panel(fig, spec, images, data, label, title, norm, cmap, show_y=True):
    ax = fig.add_subplot(spec, label=label)
    fx, fy = images.freq_x, images.freq_y
    half_x = 0.5 * (fx[1] - fx[0]) if fx.size > 1 else 0.5
    half_y = 0.5 * (fy[1] - fy[0]) if fy.size > 1 else 0.5
    extent = (fx[0] - half_x, fx[-1] + half_x, fy[0] - half_y, fy[-1] + half_y)
    shown = ax.imshow(data, origin="lower", norm=norm, cmap=cmap, extent=extent,
                      interpolation="nearest", aspect="equal")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("$f_x$ (cycles/arcsec)", fontsize=9)
    if show_y:
        ax.set_ylabel("$f_y$ (cycles/arcsec)", fontsize=9)
    else:
        ax.tick_params(labelleft=False)
    ax.tick_params(labelsize=8)
    return ax, shown


def _values_text(result, images):
    unit = unit_label(images.unit)
    flux_unit = f" {unit}" if unit else ""
    lines = [
        "Fitted (1σ errors)",
        "",
        *fitted_value_lines(result),
        "",
        f"RMS residual  {result.rms_error:.4g}",
    ]
    rchi = getattr(result, "rchi", None)
    if rchi is not None:
        lines.append(f"reduced χ²    {rchi:.4g}")
    lines.append(f"compared px   {int(images.compared.sum())}")
    lines += quality_lines(result)
    regrid = getattr(result, "regrid_filter", None)
    if regrid:
        lines.append(f"regrid filter {regrid}")
    if flux_unit:
        lines += ["", "bg, RMS in", f"{unit}"]
    lines += ["", "model = g·(HST ⊛ Moffat)", "        shifted + bg", "",
              "grey pixels: not compared"]
    return "\n".join(lines)


def _hst_name(result):
    import os
    products = getattr(result, "products", None)
    filename = getattr(products, "hst_filename", None)
    return os.path.basename(str(filename)) if filename else None


def plot_image_fit(result, fig=None, title=None):
    """Draw the figure of an image fit.

    Top row, on the celestial axes of the cropped MUSE grid: the MUSE image
    as compared (convolved with the HST PSF and the regridding filter, like
    the model), the best-fit model made from the HST image (one asinh
    colour scale for both), and their difference (a symmetric linear
    scale). Pixels the fit did not compare (masked, outside the regions or
    the margin around them) are light blue. Bottom row: the amplitudes of
    the Fourier transforms of the three images (weighted by the
    comparison window, zero frequency at the centre, log scale). Right: the
    fitted values and their uncertainties.

    The axes carry labels (``ax.get_label()``) from `IMAGE_FIT_PANELS`.

    Parameters
    ----------
    result : `~imphot_astropy.fitting.FittedImagePhotometry`
        A fit made in this process.
    fig : `matplotlib.figure.Figure`, optional
        The figure to draw into (it is cleared); by default a new
        `~matplotlib.figure.Figure` without pyplot.
    title : str or None
        The figure title: None or "none" for the default
        ("MUSE image: <name>"), "" for no title.

    Returns
    -------
    fig : `matplotlib.figure.Figure`

    Examples
    --------
    >>> from imphot_astropy import fit_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=3)
    >>> fig = plot_image_fit(fit_image_photometry(hst, muse, fix_beta=2.5))
    >>> [ax.get_label() for ax in fig.axes][:3]
    ['muse', 'model', 'residual']
    >>> fig.get_suptitle()
    'MUSE image: muse'
    """
    require_matplotlib("display/hardcopy")
    from matplotlib.ticker import NullLocator
    images = image_fit_images(result)
    # "compressed": constrained layout that also closes the gaps left by
    # the square image panels; plain constrained layout sizes the margins
    # before the panels are made square, and cut the FFT panels' labels at
    # the bottom edge.
    fig = new_figure(fig, figsize=IMAGE_FIT_FIGSIZE, layout="compressed")
    # The layout engine sizes the gaps for the labels, colour bars and the
    # text panel.
    # The text column holds 34 characters (the widest line so far: 31).
    grid = fig.add_gridspec(2, 4, width_ratios=(1, 1, 1, 0.95))
    unit = unit_label(images.unit)
    image_cmap = colormap("inferno")
    residual_cmap = colormap("RdBu_r")
    fft_cmap = colormap("viridis", "white")
    norm = _image_norm(images)

    ax_muse, im_muse = _sky_panel(fig, grid[0, 0], images, images.muse, "muse",
                                  "MUSE (⊛ HST PSF, regrid filter)", norm, image_cmap)
    hst = _hst_name(result)
    model_title = "Model from HST" + (f" ({hst})" if hst else "")
    # The model is shown only where it was compared, like the MUSE image.
    model = np.where(images.compared, images.model, np.nan)
    ax_model, im_model = _sky_panel(fig, grid[0, 1], images, model, "model",
                                    model_title, norm, image_cmap, show_lat=False)
    ax_res, im_res = _sky_panel(fig, grid[0, 2], images, images.residual, "residual",
                                "MUSE − model",
                                residual_norm(images.residual[images.compared]),
                                residual_cmap, show_lat=False)
    bar = fig.colorbar(im_model, ax=[ax_muse, ax_model], location="top",
                       fraction=0.05, pad=0.02, aspect=40)
    bar.set_ticks(stretched_ticks(norm))
    bar.ax.xaxis.set_major_formatter("{x:.2g}")
    bar.ax.xaxis.set_minor_locator(NullLocator())
    bar.ax.tick_params(labelsize=8)
    bar.ax.set_label("image_colorbar")
    bar.set_label(f"flux ({unit}), asinh scale" if unit else "flux, asinh scale",
                  fontsize=9)
    bar = residual_colorbar(fig, im_res, ax_res, "residual_colorbar", location="top",
                            fraction=0.05, pad=0.02, aspect=20)
    bar.set_label(f"MUSE − model ({unit}), asinh scale" if unit
                  else "MUSE − model, asinh scale", fontsize=9)

    fft_norm = _fft_norm(images)
    ax_ffts = [_fft_panel(fig, grid[1, 0], images, images.muse_fft, "muse_fft",
                          "|FFT| of MUSE", fft_norm, fft_cmap)[0]]
    for column, (data, label, panel_title) in enumerate((
            (images.model_fft, "model_fft", "|FFT| of model"),
            (images.residual_fft, "residual_fft", "|FFT| of MUSE − model")), start=1):
        ax, shown = _fft_panel(fig, grid[1, column], images, data, label, panel_title,
                               fft_norm, fft_cmap, show_y=False)
        ax_ffts.append(ax)
    bar = fig.colorbar(shown, ax=ax_ffts, location="right",
                       fraction=0.05, pad=0.01, aspect=15)
    bar.ax.tick_params(labelsize=8)
    bar.ax.set_label("fft_colorbar")
    bar.set_label(f"amplitude ({unit})" if unit else "amplitude", fontsize=9)

    text_panel(fig, grid[:, 3], _values_text(result, images))

    shown_title = resolve_title(title, f"MUSE image: {result.name}")
    if shown_title is not None:
        fig.suptitle(shown_title, fontsize=14)
    return fig
