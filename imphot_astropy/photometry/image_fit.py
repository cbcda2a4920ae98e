"""The public image fit: `fit_image_photometry`.

It checks every argument before the fit, has `imphot_astropy.fitting`
measure, then acts on the result: figures (`imphot_astropy.plotting`), FITS
products (`imphot_astropy.photometry.products`) and the corrected MUSE
image (`imphot_astropy.corrections`).
"""

from ..corrections import aligned_output, write_aligned_image
from ..fitting.image_fit import (measure_with_options, check_image_fit_inputs,
                                 read_aligned_pair, DEFAULT_HST_FWHM, DEFAULT_HST_BETA)
from ..fitting.options import ImageFitOptions, DEFAULT_MARGIN, DEFAULT_TAPER
from .products import FitOutputs

__all__ = ["fit_image_photometry"]


def fit_image_photometry(hst, muse, regions=None, fix_scale=None, fix_bg=None,
                         fix_dx=None, fix_dy=None, fix_fwhm=None, fix_beta=None,
                         min_scale=0, hst_fwhm=DEFAULT_HST_FWHM,
                         hst_beta=DEFAULT_HST_BETA, margin=DEFAULT_MARGIN, segment=False,
                         display=False, nowait=False, hardcopy=None, title=None,
                         star=None, save=False, fig=None, taper=DEFAULT_TAPER,
                         extramask=None,
                         init_dx=None, init_dy=None, apply=False, resample=False,
                         robust=False, psf="moffat", solver=None):
    """Fit a MUSE image with an HST image of the same sky on the same grid.

    The HST image is convolved with a Moffat PSF, scaled, offset and shifted
    until it best reproduces the MUSE image. The convolution and shift are
    done in the Fourier plane with the analytic Moffat transform, and the
    two images are compared pixel by pixel inside a tapered window (see
    `~imphot_astropy.core.fourier_model`). The model includes the 0.2"
    pixel response of MUSE, which the regridded HST image lacks, so that
    ``fwhm`` and ``beta`` describe the PSF itself. (The MPDAF-based tool left
    it out; its FWHM is 1-3.5% larger at 0.55-0.72" seeing.) Unlike that
    tool, the window is applied after the convolution, which removes the
    biases that masks cutting through sources caused there (up to 1.4% in
    scale and 0.02" in offsets on synthetic truth).

    Parameters
    ----------
    hst : str, HDU, NDData/CCDData
        The HST image, regridded onto the MUSE pixel grid in MUSE flux units
        (for example by ``regrid_hst_like_muse``). Its header may name the
        anti-aliasing filter of the regridding (``IMPFILT``/``IMPFCUT``);
        without them MPDAF's Blackman window is assumed.
    muse : str, HDU, NDData/CCDData
        The MUSE image (FITS: DATA, STAT and DQ extensions).
    regions : None, "none", "", "star", "notstar", str, iterable of str, or regions
        ds9 regions (a file name, or lines) of circles, ellipses and boxes in
        fk5/icrs or image/physical coordinates; regions marked ``-`` are
        excluded, and if any region is included, everything outside the
        included regions is excluded. "star" keeps only the ``star`` circle,
        "notstar" excludes it. Other ds9 shapes are ignored with an
        `~imphot_astropy.masking.IgnoredRegionWarning` (a file of nothing
        else is refused). A `regions.Regions` or a list of sky or pixel
        regions is used as it is (a region whose ``meta["include"]`` is
        False is excluded).
    fix_scale, fix_bg, fix_dx, fix_dy, fix_fwhm, fix_beta : float, Quantity or None
        Hold that parameter at the given value (dx, dy, fwhm in arcsec; an
        angle Quantity for them, or a flux Quantity for bg, is converted).
    min_scale : float
        The lowest allowed flux scale.
    hst_fwhm, hst_beta : float
        The Moffat model of the HST PSF (defaults from fits to UDF stars).
    margin : float
        A width in arcsec, which should exceed the largest expected PSF
        width and pointing error. MUSE pixels closer than this to places
        where the HST image has no data (outside its coverage, NaN or
        flagged, or beyond the array) are not compared, because the model
        there would lack the light that the MUSE PSF spreads from HST sources
        beyond the edge. It is also the zero padding that keeps the periodic
        FFT from wrapping shifted or widened features around.
    segment : bool
        If True, ignore pixels that hold no significant object (below the
        median of a morphologically opened HST image).
    display : bool
        Show the figure of the fit (`~imphot_astropy.plotting.plot_image_fit`:
        the MUSE image as compared, the model from the HST image, their
        difference, their Fourier amplitudes and the fitted values). Without
        a screen (no DISPLAY, or matplotlib's Agg backend) this warns and the
        fit goes on.
    nowait : bool
        With ``display``, return at once instead of waiting for the figure
        window to be closed.
    hardcopy : str or None
        A graphics format ("png", "pdf", "jpg", "eps", ...): write the figure
        to ``<muse name>_image_fit.<format>`` beside the MUSE file (in the
        current directory, as ``muse_image_fit.<format>``, if the MUSE image
        came from no file). None, "" or "none": no file.
    title : str or None
        The figure title: None or "none" for the default
        ("MUSE image: <name>"), "" for no title.
    star : (ra, dec, radius), optional
        Degrees, degrees and arcsec. Restricts the fit to this circle (with
        ``regions`` None, "none", "" or "star"); see ``regions`` for
        "notstar". As the reference tool documents, ``star`` overrides a
        region file: the file is then not used, with a warning.
    save : bool
        Write the MUSE image as compared, the model, their difference and the
        Fourier amplitudes of all three as FITS files beside the MUSE file
        (``<muse name>_image_fit_muse.fits``, ``_model``, ``_residual``,
        ``_muse_fft``, ``_model_fft``, ``_residual_fft``; see
        `~imphot_astropy.photometry.products`).
    fig : `matplotlib.figure.Figure`, optional
        Draw the figure into this one (it is cleared). With ``display``, it
        must come from ``matplotlib.pyplot.figure()``.
    taper : float or int
        The width (pixels) over which weights fall to zero at mask edges,
        so that sources cut by a mask do not pull the fitted offsets; below
        2 disables tapering. A float (the default, 9.0) gives an isotropic
        raised-cosine ramp; an integer, the reference tool's type, gives its
        Blackman bevel, with even widths rounded up to odd (see
        `~imphot_astropy.core.masks.taper_weights`).
    extramask : array, NDData/CCDData or str, optional
        More MUSE pixels to ignore: a boolean array (True = ignore), or an
        image (or FITS file with a DATA extension) of 0/1 values on the MUSE
        grid.
    init_dx, init_dy : float or None
        Initial pointing offsets (arcsec); ignored when fixed.
    apply : bool
        If True, correct the MUSE image with the fitted offsets, scale and
        flux offset (`~imphot_astropy.corrections.apply_corrections`) and
        write it to ``<muse file>_aligned.fits`` (``muse_aligned.fits`` in
        the current directory if it came from no file), via a temporary
        name, never replacing an input file.
    resample : bool
        With ``apply``: correct the pointing by moving the pixels within the
        grid (True) or by changing CRPIX1/2 (False).
    robust : bool
        If True, after the fit look for bright point sources whose residual
        is far above the noise and the other sources' (stars with proper
        motion, variable sources), exclude each on the HST image out to
        where its MUSE image falls to the noise, and fit again (up to 3
        rounds). Their sky positions are in ``result.quality.excluded`` and
        the ``excluded`` table column, for checking. See
        `~imphot_astropy.fitting.robust`.
    psf : {"moffat", "elliptical"}
        The model of the MUSE PSF: the circular Moffat of the reference tool
        (the default), or an elliptical Moffat
        (`~imphot_astropy.core.psf.EllipticalMoffat`), whose ``fwhm`` is
        then the FWHM along the major axis and which adds the results
        ``e`` (ellipticity, 1 - minor/major) and ``theta`` (position angle
        of the major axis, degrees from +x toward +y, in [0, 180)).
        ``fix_*`` holds only the circular parameters.
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        How the least squares are minimised: None (the default: scipy's
        dogleg trust region, as tuned for this fit), a name of
        `~imphot_astropy.fitting.solvers.SOLVERS` (``"trf"``, ``"lm"``,
        ``"levenberg-marquardt"``, ``"astropy-trf"``...), or a solver
        object. Every solver reaches the same minimum within a small
        fraction of the uncertainties (see :ref:`choosing-a-solver`); the
        result records its name (``result.options["solver"]``).

    Returns
    -------
    result : `~imphot_astropy.fitting.FittedImagePhotometry`

    Raises
    ------
    UserError
        For unreadable or misaligned images, bad region files or arguments,
        no unmasked pixel in common, or (with ``display``, ``hardcopy`` or
        ``fig``) if matplotlib is not installed.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    >>> fit = fit_image_photometry(hst, muse, fix_beta=2.5)
    >>> round(fit.fwhm.value, 2), round(fit.scale.value, 2)
    (0.65, 1.2)
    """
    # Checked once, before anything is read; the measuring layer takes them as
    # they are.
    options = ImageFitOptions.from_keywords(
        fix_scale=fix_scale, fix_bg=fix_bg, fix_dx=fix_dx, fix_dy=fix_dy,
        fix_fwhm=fix_fwhm, fix_beta=fix_beta, min_scale=min_scale, hst_fwhm=hst_fwhm,
        hst_beta=hst_beta, margin=margin, taper=taper, init_dx=init_dx, init_dy=init_dy,
        regions=regions, segment=segment, star=star, extramask=extramask, robust=robust,
        psf=psf, solver=solver)
    outputs = FitOutputs(display=display, nowait=nowait, hardcopy=hardcopy, title=title,
                         fig=fig, save=save)
    hst_image, muse_image = read_aligned_pair(hst, muse)
    check_image_fit_inputs(hst_image, muse_image, star)
    output = aligned_output(apply, resample, muse_image.filename,
                            [hst_image.filename, extramask])
    result = measure_with_options(hst_image, muse_image, options)
    if output is not None:
        write_aligned_image(muse_image, result, resample=resample,
                            inputs=[hst_image.filename, extramask], output=output)
    outputs.image_fit(result)
    return result
