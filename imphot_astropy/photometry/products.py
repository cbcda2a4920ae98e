"""What a fitter shows and writes besides its result: figures and FITS products.

The fitters take the reference tool's keywords ``display``, ``nowait``,
``hardcopy``, ``title``, ``fig`` and ``save``; `FitOutputs` checks them
before the fit starts (so that a bad value costs no fitting time) and acts
on them when the fit is done.

Files written, beside the MUSE input file (or in the current directory,
named ``muse_...``, if the MUSE image came from no file), where ``<name>``
is the MUSE file name without ``.fits``:

========================================  =====================================
``<name>_image_fit.<hardcopy>``           the image-fit figure
``<name>_star_fit.<hardcopy>``            the star-fit figure
``<name>_image_fit_muse.fits``            (save) the MUSE image as compared:
                                          convolved with the HST PSF and the
                                          regridding filter; NaN where not
                                          compared
``<name>_image_fit_model.fits``           (save) the fitted model made from the
                                          HST image (defined everywhere)
``<name>_image_fit_residual.fits``        (save) MUSE minus model; NaN where
                                          not compared
``<name>_image_fit_muse_fft.fits``        (save) the amplitude of the Fourier
                                          transform of the MUSE image
``<name>_image_fit_model_fft.fits``       (save) the same for the model
``<name>_image_fit_residual_fft.fits``    (save) the same for the residual
========================================  =====================================

The three images are on the cropped part of the MUSE grid that the fit
used, with its celestial WCS, ``BUNIT`` (the MUSE flux unit) and a ``MASK``
extension (1 where the fit did not compare the pixel): they read back
with ``CCDData.read``. The Fourier amplitudes have a linear WCS of spatial
frequency (cycles/arcsec, zero frequency at ``CRPIX``) and the same
``BUNIT``. (The MPDAF-based tool called these ``<name>_image.fits``,
``_hst_model.fits``, ``_residual.fits``, ``_fft.fits``,
``_hst_model_fft.fits`` and ``_residual_fft.fits``: the same six products,
under names that say which fit made them and cannot be mistaken for an
input image.)
"""

import os
import warnings

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from ..io import check_output_path, format_bunit, write_fits_atomically
from ..fitting.images import image_fit_images
from ..plotting.figures import (require_matplotlib, display_unavailable_reason,
                                hardcopy_format, plot_filename, save_figure,
                                show_figure)

__all__ = ["FitOutputs", "image_fit_product_paths", "write_image_fit_products",
           "IMAGE_FIT_PRODUCTS"]

#: The FITS products of ``save=True``: file-name suffix -> description.
IMAGE_FIT_PRODUCTS = {
    "muse": "MUSE image as compared (convolved with HST PSF and regrid filter)",
    "model": "fitted model made from the HST image",
    "residual": "MUSE image minus fitted model",
    "muse_fft": "amplitude of the Fourier transform of the MUSE image",
    "model_fft": "amplitude of the Fourier transform of the model",
    "residual_fft": "amplitude of the Fourier transform of the residual",
}

# Keywords of the MUSE header that say what was observed; copied to products.
_COPIED_KEYWORDS = ("TELESCOP", "INSTRUME", "ORIGIN", "OBJECT", "OBSERVER",
                    "DATE-OBS", "MJD-OBS", "EXPTIME", "FILTER")


def _flag(value, argname):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise UserError(f"{argname}: expected True or False, not {value!r}")


def image_fit_product_paths(muse_filename, name):
    """The FITS files that ``save=True`` writes for an image fit.

    Parameters
    ----------
    muse_filename : str or None
        The MUSE input file (None: the current directory).
    name : str
        The MUSE image's name (its file name without ``.fits``).

    Returns
    -------
    paths : dict
        `IMAGE_FIT_PRODUCTS` key -> `pathlib.Path`.

    Examples
    --------
    >>> paths = image_fit_product_paths("/data/IMAGE-1.fits", "IMAGE-1")
    >>> str(paths["model"]), str(paths["muse_fft"])
    ('/data/IMAGE-1_image_fit_model.fits', '/data/IMAGE-1_image_fit_muse_fft.fits')
    """
    return {key: plot_filename(muse_filename, name, f"image_fit_{key}", "fits")
            for key in IMAGE_FIT_PRODUCTS}


def _describe(header, result, key):
    products = result.products
    header["IMPPROD"] = (key, "imphot_astropy image-fit product")
    header["IMPMUSE"] = (result.name, "MUSE image that was fitted")
    if getattr(products, "hst_filename", None):
        header["IMPHST"] = (os.path.basename(str(products.hst_filename)),
                            "HST image the model was made from")
    for keyword, param, comment in (("IMPSCALE", "scale", "fitted flux scale MUSE/HST"),
                                    ("IMPBG", "bg", "fitted offset MUSE-HST (BUNIT)"),
                                    ("IMPDX", "dx", "fitted x offset MUSE-HST (arcsec)"),
                                    ("IMPDY", "dy", "fitted y offset MUSE-HST (arcsec)"),
                                    ("IMPFWHM", "fwhm", "fitted Moffat FWHM (arcsec)"),
                                    ("IMPBETA", "beta", "fitted Moffat beta")):
        header[keyword] = (getattr(result, param).value, comment)
    header.add_history(f"imphot_astropy fit_image_photometry: "
                       f"{IMAGE_FIT_PRODUCTS[key]}")
    source = fits.Header(getattr(products, "muse_header", None) or fits.Header())
    for keyword in _COPIED_KEYWORDS:
        if keyword in source:
            header[keyword] = (source[keyword], source.comments[keyword])


def _image_hdus(images, data, result, key):
    header = images.wcs.to_header()
    header["BUNIT"] = (format_bunit(images.unit) or "", "flux unit of the MUSE image")
    _describe(header, result, key)
    primary = fits.PrimaryHDU(np.asarray(data, dtype=np.float64), header=header)
    mask = fits.ImageHDU((~images.compared).astype(np.uint8), name="MASK")
    mask.header["COMMENT"] = "1 where the fit did not compare the pixel"
    return fits.HDUList([primary, mask])


def _fft_hdus(images, amplitude, result, key):
    ny, nx = amplitude.shape
    header = fits.Header()
    for axis, (freqs, n) in enumerate(((images.freq_x, nx), (images.freq_y, ny)), start=1):
        step = float(freqs[1] - freqs[0]) if n > 1 else 1.0
        header[f"CTYPE{axis}"] = ("XFREQ" if axis == 1 else "YFREQ",
                                  "spatial frequency along the pixel axis")
        header[f"CUNIT{axis}"] = "arcsec-1"
        header[f"CRPIX{axis}"] = (n // 2 + 1, "zero frequency")
        header[f"CRVAL{axis}"] = 0.0
        header[f"CDELT{axis}"] = (step, "cycles/arcsec")
    header["BUNIT"] = (format_bunit(images.unit) or "", "flux unit of the MUSE image")
    header["IMPOFFS"] = (images.offset, "subtracted before the transform (BUNIT)")
    _describe(header, result, key)
    header.add_history("|DFT((image - IMPOFFS) * comparison weights)|")
    return fits.HDUList([fits.PrimaryHDU(np.asarray(amplitude, dtype=np.float64),
                                         header=header)])


def _inputs(result):
    products = result.products
    return [getattr(products, "muse_filename", None), getattr(products, "hst_filename", None)]


def _check_writable(paths, inputs, argname):
    """Refuse before anything is written if any output cannot be written."""
    for path in paths:
        check_output_path(path, inputs, argname)
        directory = path.parent if str(path.parent) else "."
        if not os.access(directory, os.W_OK):
            raise UserError(f"{argname}: cannot write {path}: the directory "
                            f"{os.path.abspath(directory)} is not writable")


def write_image_fit_products(result):
    """Write the FITS products of an image fit (what ``save=True`` does).

    See the module documentation for the files and their contents.

    Parameters
    ----------
    result : `~imphot_astropy.fitting.FittedImagePhotometry`
        A fit made in this process (with its ``products``).

    Returns
    -------
    paths : dict
        `IMAGE_FIT_PRODUCTS` key -> the `pathlib.Path` written.

    Raises
    ------
    UserError
        If the result holds no products or a file cannot be written
        (nothing is written then).

    Examples
    --------
    >>> import os, tempfile
    >>> from astropy.nddata import CCDData
    >>> from imphot_astropy import fit_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=3)
    >>> fit = fit_image_photometry(hst, muse, fix_beta=2.5)
    >>> here = os.getcwd()
    >>> os.chdir(tempfile.mkdtemp())  # images from no file: written here
    >>> paths = write_image_fit_products(fit)
    >>> sorted(os.listdir("."))[:2]
    ['muse_image_fit_model.fits', 'muse_image_fit_model_fft.fits']
    >>> CCDData.read(paths["residual"]).unit == fit.unit
    True
    >>> os.chdir(here)
    """
    images = image_fit_images(result)
    paths = image_fit_product_paths(result.products.muse_filename, result.name)
    inputs = _inputs(result)
    _check_writable(paths.values(), inputs, "save")
    contents = {
        "muse": _image_hdus(images, images.muse, result, "muse"),
        "model": _image_hdus(images, images.model, result, "model"),
        "residual": _image_hdus(images, images.residual, result, "residual"),
        "muse_fft": _fft_hdus(images, images.muse_fft, result, "muse_fft"),
        "model_fft": _fft_hdus(images, images.model_fft, result, "model_fft"),
        "residual_fft": _fft_hdus(images, images.residual_fft, result, "residual_fft"),
    }
    for key, hdulist in contents.items():
        write_fits_atomically(hdulist, paths[key], inputs, "save")
    return paths


class FitOutputs:
    """The figure and file options of a fitter, checked, and acted on.

    Parameters
    ----------
    display : bool
        Show the figure on the screen. Where no screen can be used (no
        DISPLAY, or a file-only matplotlib backend such as Agg), this warns
        (`~astropy.utils.exceptions.AstropyUserWarning`) when the options
        are checked, before the fit, and the fit goes on without showing
        it: a batch job that also asked for ``hardcopy`` or ``save`` still
        gets its files and results.
    nowait : bool
        With ``display``, return at once instead of waiting for the user to
        close the figure window.
    hardcopy : str or None
        A graphics format ("png", "pdf", "jpg", "eps", ...): write the
        figure beside the MUSE input as ``<name>_image_fit.<format>`` or
        ``<name>_star_fit.<format>``. None, "" or "none": no file.
    title : str or None
        The figure title: None or "none" for the default, "" for none.
    fig : `matplotlib.figure.Figure` or None
        Draw into this figure (it is cleared), even without ``display``
        or ``hardcopy``.
    save : bool
        Write the FITS products of an image fit (`write_image_fit_products`).

    Raises
    ------
    UserError
        For a bad value, or when a figure is asked for and matplotlib is
        not installed.

    Examples
    --------
    >>> outputs = FitOutputs(hardcopy="PNG")
    >>> outputs.hardcopy, outputs.wants_figure
    ('png', True)
    >>> FitOutputs().wants_figure
    False
    """

    def __init__(self, display=False, nowait=False, hardcopy=None, title=None,
                 fig=None, save=False):
        self.display = _flag(display, "display")
        self.nowait = _flag(nowait, "nowait")
        self.save = _flag(save, "save")
        self.hardcopy = hardcopy_format(hardcopy)
        if title is not None and not isinstance(title, str):
            raise UserError(f"title: expected a string or None, not {title!r}")
        self.title = title
        if fig is not None:
            require_matplotlib("fig")
            from matplotlib.figure import Figure
            if not isinstance(fig, Figure):
                raise UserError(f"fig: expected a matplotlib Figure, not "
                                f"{type(fig).__name__}")
        self.fig = fig
        if self.display:
            require_matplotlib("display")
            reason = display_unavailable_reason()
            if reason is not None:
                warnings.warn(
                    f"display=True: the figure cannot be shown here ({reason}); "
                    "the fit goes on without showing it. Use hardcopy='png' to "
                    "write it to a file, or run where a screen is available.",
                    AstropyUserWarning, stacklevel=3)
                self.display = False
            elif fig is not None and fig.canvas.manager is None:
                raise UserError("fig: display=True needs a figure made by "
                                "matplotlib.pyplot.figure(); this Figure has no "
                                "window to show it in")
        #: The files written by the last call, in order.
        self.written = []

    @property
    def wants_figure(self):
        """True if a figure is to be drawn."""
        return self.display or self.hardcopy is not None or self.fig is not None

    def _figure(self, figsize):
        """The figure to draw into: the user's, a pyplot one to show, or None."""
        if self.fig is not None:
            return self.fig
        if self.display:
            import matplotlib.pyplot as plt
            return plt.figure(figsize=figsize)
        return None

    def _plot_path(self, result, kind):
        return plot_filename(getattr(result, "filename", None), result.name, kind,
                             self.hardcopy)

    def image_fit(self, result):
        """Draw, write and show what was asked for an image-fit result.

        Parameters
        ----------
        result : `~imphot_astropy.fitting.FittedImagePhotometry`

        Returns
        -------
        fig : `matplotlib.figure.Figure` or None
            The figure drawn, if any.
        """
        self.written = []
        if not (self.wants_figure or self.save):
            return None
        inputs = _inputs(result) if result.products is not None else []
        planned = []
        if self.hardcopy is not None:
            planned.append(self._plot_path(result, "image_fit"))
        if self.save:
            planned += list(image_fit_product_paths(result.products.muse_filename
                                                    if result.products else None,
                                                    result.name).values())
        _check_writable(planned, inputs, "hardcopy/save")
        if self.save:
            self.written += list(write_image_fit_products(result).values())
        if not self.wants_figure:
            return None
        from ..plotting.image_fit import plot_image_fit, IMAGE_FIT_FIGSIZE
        fig = plot_image_fit(result, fig=self._figure(IMAGE_FIT_FIGSIZE), title=self.title)
        self._show_and_write(fig, result, "image_fit", inputs)
        return fig

    def star_fit(self, result, muse=None, hst=None):
        """Draw, write and show what was asked for a star-fit result.

        ``save`` does not apply to star fits (as in the reference tool).

        Parameters
        ----------
        result : `~imphot_astropy.fitting.FittedStarPhotometry`
            The result (its ``name`` and ``filename`` name the hardcopy).
        muse, hst : `~imphot_astropy.plotting.StarFitPanel`, optional
            What the star fitter measured in each image; by default
            `~imphot_astropy.plotting.star_fit_panels` of the result, made
            only if a figure is wanted.

        Returns
        -------
        fig : `matplotlib.figure.Figure` or None
        """
        self.written = []
        if not self.wants_figure:
            return None
        products = getattr(result, "products", None)
        inputs = [getattr(result, "filename", None), getattr(products, "hst_filename", None)]
        if self.hardcopy is not None:
            _check_writable([self._plot_path(result, "star_fit")], inputs, "hardcopy")
        from ..plotting.star_fit import plot_star_fit, star_fit_panels, STAR_FIT_FIGSIZE
        if muse is None or hst is None:
            muse, hst = star_fit_panels(result)
        fig = plot_star_fit(result, muse, hst, fig=self._figure(STAR_FIT_FIGSIZE),
                            title=self.title)
        self._show_and_write(fig, result, "star_fit", inputs)
        return fig

    def _show_and_write(self, fig, result, kind, inputs):
        # The file is written first, so that it exists even if the user
        # closes a displayed window by interrupting the program.
        if self.hardcopy is not None:
            path = self._plot_path(result, kind)
            save_figure(fig, path, inputs)
            self.written.append(path)
        if self.display:
            show_figure(fig, self.nowait)
