"""One band of the joint fit: its Fourier-plane problem and its PSF mixture.

The image of an HST band made from a cube is the filter-weighted mean of
the cube's planes, so its PSF is the mixture of the planes' PSFs, each
weighted by the filter and by the sources' light in that plane. The band's
planes are grouped into a few nodes of equal weight; the band's PSF is the
weighted sum of the Moffat transforms at the nodes' wavelengths, with the
FWHM and beta given there by the polynomials of the joint fit. One node
places the band at its effective wavelength instead.
"""

import numpy as np

from ..core.fourier_model import FourierPlaneProblem
from ..core.moffat import moffat_fourier_transform, moffat_fourier_derivatives, MIN_BETA
from ..core.transfer import regrid_filter_from_header, REGRID_FILTER_KEYWORD, \
    REGRID_CUTOFF_KEYWORD
from ..core.masks import segmentation_mask, is_integer_width
from ..exceptions import UserError
from ..io import read_mask
from ..masking import regions_mask, fit_regions
from ..fitting.image_fit import read_aligned_pair, _shift_by_pixels, _Prepared
from .fsf import normalised_wavelength

__all__ = ["BandProblem", "psf_nodes"]

# The polynomials may stray below these during a fit; clipping keeps each
# trial a valid Moffat.
_MIN_FWHM = 0.05


def _taper(value):
    """The taper width as the image fit takes it (its type chooses the bevel)."""
    return int(value) if is_integer_width(value) else float(value)


def psf_nodes(wavelengths, weights, n):
    """Group weighted planes into ``n`` nodes of about equal total weight.

    Parameters
    ----------
    wavelengths, weights : `numpy.ndarray`
        The planes' wavelengths and mixture weights.
    n : int
        The number of nodes (1: the weighted mean wavelength).

    Returns
    -------
    node_wavelengths, node_weights : `numpy.ndarray`
        Each node's weighted mean wavelength and summed weight (sum 1).

    Examples
    --------
    >>> psf_nodes(np.arange(4.0), np.ones(4), 2)
    (array([0.5, 2.5]), array([0.5, 0.5]))
    """
    weights = np.asarray(weights, dtype=float)
    wavelengths = np.asarray(wavelengths, dtype=float)
    total = weights.sum()
    if not total > 0:
        raise UserError("the band has no plane of positive weight")
    cumulative = (np.cumsum(weights) - 0.5 * weights) / total
    group = np.minimum((cumulative * n).astype(int), n - 1)
    node_w = np.bincount(group, weights, minlength=n)
    node_l = np.bincount(group, weights * wavelengths, minlength=n)
    used = node_w > 0
    return node_l[used] / node_w[used], node_w[used] / total


class BandProblem:
    """The fixed inputs of one band in the joint fit.

    Parameters
    ----------
    name : str
        The band (parameter names use it).
    hst, muse
        The HST image on the MUSE grid (MUSE units) and the band image.
    wavelengths, weights : `numpy.ndarray`
        The PSF mixture's planes and weights (see `psf_nodes`).
    options : dict
        The band's ``regions``, ``star``, ``segment``, ``extramask``,
        ``margin``, ``taper``, ``hst_fwhm`` and ``hst_beta``, as for
        `~imphot_astropy.fit_image_photometry`.
    lbrange : (float, float)
        The reference wavelengths of the polynomials.
    nodes : int
        The number of PSF nodes of the band (1: effective wavelength).
    shift : (int, int)
        Whole pixels (x, y) by which to move the HST image first.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(50, 50), seed=2)
    >>> band = BandProblem("V", hst, muse, [6000.0], [1.0], {}, (5000, 9000))
    >>> model, _ = band.evaluate(1.2, 0.05, 0.06, -0.04, [0.65], [2.5])
    >>> bool(np.std(model - band.problem.data) < 0.05 * np.std(band.problem.data))
    True
    """

    def __init__(self, name, hst, muse, wavelengths, weights, options, lbrange, nodes=8,
                 shift=(0, 0)):
        self.name = name
        self.hst_image, self.muse_image = read_aligned_pair(hst, muse)
        self.options = dict(options)
        node_l, self.node_weights = psf_nodes(wavelengths, weights, nodes)
        self.node_wavelengths = node_l
        self.node_l = normalised_wavelength(node_l, lbrange)
        self.effective_wavelength = float(np.sum(node_l * self.node_weights))
        self.sigma = 1.0
        self._cache = {}
        self.set_shift(shift)

    def set_shift(self, shift):
        """(Re)build the problem with the HST image moved by whole pixels."""
        opts = self.options
        hst_image, muse_image = self.hst_image, self.muse_image
        regrid = regrid_filter_from_header(
            hst_image.keywords(REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD), hst_image.name)
        muse_bad = muse_image.mask.copy()
        extramask = opts.get("extramask")
        if extramask is not None and not (isinstance(extramask, str)
                                          and extramask.strip().lower() in ("", "none")):
            muse_bad |= read_mask(extramask, muse_image)
        hst_bad = hst_image.mask
        hst_data = np.where(hst_bad, 0.0, hst_image.data)
        excluded = np.zeros(hst_bad.shape, dtype=bool)
        region_list = fit_regions(opts.get("regions"), opts.get("star"))
        restricted = any(region.meta.get("include", True) for region in region_list)
        if region_list:
            excluded |= regions_mask(region_list, hst_image.wcs, hst_image.shape)
        if opts.get("segment"):
            excluded |= segmentation_mask(hst_data, hst_bad | excluded)
        pixel_x, pixel_y = muse_image.pixel_scales
        margin = float(opts.get("margin", 2.0))
        margin_pixels = (int(np.ceil(margin / pixel_y)), int(np.ceil(margin / pixel_x)))
        px, py = (int(v) for v in shift)
        shifted, shifted_bad, shifted_excluded = _shift_by_pixels(
            hst_data, hst_bad, excluded, px, py)
        self.prepared = _Prepared(muse_image.data, muse_bad, shifted, shifted_bad,
                                  shifted_excluded, muse_image.variance, margin_pixels,
                                  _taper(opts.get("taper", 9)), guard=not restricted)
        self.problem = FourierPlaneProblem(
            self.prepared.muse, self.prepared.hst, self.prepared.window, pixel_x, pixel_y,
            regrid.transfer, float(opts.get("hst_fwhm", 0.085)),
            float(opts.get("hst_beta", 1.6)), median=self.prepared.median,
            xshift=px * pixel_x, yshift=py * pixel_y)
        self.shift = (px, py)
        self.pixel_scales = (pixel_x, pixel_y)
        self._cache = {}

    def _psf_tables(self, fwhm_coeffs, beta_coeffs, derivatives=True):
        """The band PSF (and its derivatives by each coefficient) at the frequencies.

        The nodes' transforms are summed on the radial table first, so the
        costly interpolation to the 2D frequencies is done once per term.
        Derivatives are computed only when a Jacobian is asked for.
        """
        key = (tuple(fwhm_coeffs), tuple(beta_coeffs), derivatives)
        if key in self._cache:
            return self._cache[key]
        radial = self.problem.radial
        powers_f = self.node_l[:, None] ** np.arange(len(fwhm_coeffs))
        powers_b = self.node_l[:, None] ** np.arange(len(beta_coeffs))
        fwhms = np.maximum(powers_f @ np.asarray(fwhm_coeffs), _MIN_FWHM)
        betas = np.maximum(powers_b @ np.asarray(beta_coeffs), MIN_BETA + 1e-3)
        psf = np.zeros(radial.nodes.size)
        d_fwhm = np.zeros((len(fwhm_coeffs), radial.nodes.size))
        d_beta = np.zeros((len(beta_coeffs), radial.nodes.size))
        for k, weight in enumerate(self.node_weights):
            if not derivatives:
                psf += weight * moffat_fourier_transform(radial.nodes, fwhms[k], betas[k])
                continue
            value, dfw, dbe = moffat_fourier_derivatives(radial.nodes, fwhms[k], betas[k])
            psf += weight * value
            d_fwhm += weight * powers_f[k][:, None] * dfw[None, :]
            d_beta += weight * powers_b[k][:, None] * dbe[None, :]
        tables = np.vstack([psf[None, :], d_fwhm, d_beta]) if derivatives else psf[None, :]
        # Keep only the latest point: lmfit asks for the Jacobian where it
        # has just evaluated the residual.
        self._cache = {key: [radial.interpolate(t) for t in tables]}
        return self._cache[key]

    def _shifted_hst(self, dx, dy):
        p = self.problem
        return p.hst * np.exp(-2j * np.pi * (p.fx * (dx - p.xshift) + p.fy * (dy - p.yshift)))

    def evaluate(self, scale, bg, dx, dy, fwhm_coeffs, beta_coeffs, jacobian=False):
        """The windowed model at the compared pixels, and optionally its derivatives.

        Returns
        -------
        model : `numpy.ndarray`
        columns : dict or None
            With ``jacobian``: the derivative of the model by ``scale``,
            ``bg``, ``dx``, ``dy``, ``fwhm_c<j>`` and ``beta_c<j>``.
        """
        p = self.problem
        tables = self._psf_tables(fwhm_coeffs, beta_coeffs, derivatives=jacobian)
        psf = tables[0]
        shifted = self._shifted_hst(dx, dy)
        convolved = psf * shifted
        if not jacobian:
            image = p.windowed(p.to_image(convolved))
            return scale * image + (bg - p.median) * p.window, None
        nf = len(fwhm_coeffs)
        transforms = [convolved, -2j * np.pi * p.fx * scale * convolved,
                      -2j * np.pi * p.fy * scale * convolved]
        transforms += [scale * t * shifted for t in tables[1:]]
        images = p.windowed(p.to_image(np.stack(transforms)))
        columns = {"scale": images[0], "bg": p.window, "dx": images[1], "dy": images[2]}
        for j in range(nf):
            columns[f"fwhm_c{j}"] = images[3 + j]
        for j in range(len(beta_coeffs)):
            columns[f"beta_c{j}"] = images[3 + nf + j]
        return scale * images[0] + (bg - p.median) * p.window, columns
