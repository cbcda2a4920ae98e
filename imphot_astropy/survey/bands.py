"""One band of the joint fit: its Fourier-plane problem and its PSF mixture.

The image of an HST band made from a cube is the filter-weighted mean of
the cube's planes, so its PSF is the mixture of the planes' PSFs, each
weighted by the filter and by the sources' light in that plane. The band's
planes are grouped into a few nodes of equal weight; the band's PSF is the
weighted sum of the Moffat transforms at the nodes' wavelengths, with the
FWHM and beta given there by the polynomials of the joint fit. One node
places the band at its effective wavelength instead. With the elliptical
Moffat (``psf="elliptical"``), every node's Moffat has the band's
ellipticity and position angle (`EllipticalMoffatMixture`).
"""

import numpy as np

from ..core.fourier_model import FourierModel
from ..core.moffat import MIN_BETA
from ..core.psf import CircularMoffat, RadialPSF, stretched_frequency, shape_derivatives
from ..exceptions import UserError
from ..fitting.image_fit import read_aligned_pair
from ..fitting.options import ImageFitOptions
from ..fitting.prepared import FitInputs
from .fsf import normalised_wavelength, FSFModel

__all__ = ["BandProblem", "MoffatMixture", "EllipticalMoffatMixture", "psf_nodes"]

# The polynomials may stray below these during a fit; clipping keeps each
# trial a valid Moffat.
_MIN_FWHM = 0.05
# Radial table nodes of the band PSFs: with linear interpolation the error
# is below 2e-4 of the peak for FWHM >= 0.3" on a 0.2" grid (it scales as
# the node spacing squared, see core.moffat.RadialTable), a bias far below
# the noise of the fitted FWHM; the Bessel functions at 4 nodes x 4 bands
# per trial cost 4x less than with the single-band fit's 2048.
RADIAL_NODES = 512
# FFT threads for the stacked inverse transforms of the Jacobian.
_FFT_WORKERS = 2


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


class MoffatMixture(RadialPSF):
    """The PSF of a band image made from a cube: a mixture of circular Moffats.

    A PSF object (see `~imphot_astropy.core.psf`) whose parameters are the
    coefficients of the FWHM and beta polynomials in the normalised
    wavelength: at each node wavelength the PSF is a circular Moffat with
    the FWHM and beta of the polynomials there, and the band PSF is the
    nodes' weighted sum. Its parameters are given as two sequences,
    ``(fwhm_coeffs, beta_coeffs)``.

    Parameters
    ----------
    node_l : `numpy.ndarray`
        The nodes' normalised wavelengths (see `psf_nodes`).
    node_weights : `numpy.ndarray`
        Their weights (sum 1).
    radial_nodes : int
        Nodes of the radial table on which the transform is computed.

    Examples
    --------
    >>> psf = MoffatMixture(np.array([-0.2, 0.2]), np.array([0.5, 0.5]))
    >>> terms = psf.radial_terms(np.linspace(0, 2, 5), (0.65, -0.1), (2.5,),
    ...                          derivatives=True)
    >>> terms.shape      # transform, d/dfwhm_c0, d/dfwhm_c1 (beta fixed)
    (3, 5)
    """

    def __init__(self, node_l, node_weights, radial_nodes=RADIAL_NODES):
        self.node_l = np.asarray(node_l, dtype=float)
        self.node_weights = np.asarray(node_weights, dtype=float)
        self.radial_nodes = int(radial_nodes)
        self._moffat = CircularMoffat(radial_nodes)

    def node_psf(self, fwhm_coeffs, beta_coeffs):
        """The FWHM and beta at each node (clipped to valid Moffats)."""
        powers_f = self.node_l[:, None] ** np.arange(len(fwhm_coeffs))
        powers_b = self.node_l[:, None] ** np.arange(len(beta_coeffs))
        fwhms = np.maximum(powers_f @ np.asarray(fwhm_coeffs), _MIN_FWHM)
        betas = np.maximum(powers_b @ np.asarray(beta_coeffs), MIN_BETA + 1e-3)
        return fwhms, betas, powers_f, powers_b

    def radial_terms(self, nodes, fwhm_coeffs, beta_coeffs, derivatives=False, slope=False):
        """The band PSF (and its derivatives by each coefficient) on a radial table.

        The nodes' transforms are summed on the radial table first, so the
        interpolation to the 2D frequencies is done once per term; the
        table is coarser than the single-band fit's (see ``radial_nodes``),
        because the Bessel functions at every node and trial dominated the
        cost. With ``derivatives`` True the beta derivatives are left out
        (the joint fit then holds beta fixed); ``"all"`` includes them.
        With ``slope`` (and ``derivatives``), a last row ``q dF/dq``, the
        radial slope that the elliptical mixture's derivatives by its shape
        need (a Moffat's transform is a function of q * fwhm, so each
        node's is ``fwhm dF/dfwhm``).
        """
        fwhms, betas, powers_f, powers_b = self.node_psf(fwhm_coeffs, beta_coeffs)
        psf = np.zeros(nodes.size)
        if not derivatives:
            for k, weight in enumerate(self.node_weights):
                psf += weight * self._moffat.radial_terms(nodes, fwhms[k], betas[k])[0]
            return psf[None, :]
        d_fwhm = np.zeros((len(fwhm_coeffs), nodes.size))
        d_beta = np.zeros((len(beta_coeffs) if derivatives == "all" else 0, nodes.size))
        d_q = np.zeros((1 if slope else 0, nodes.size))
        for k, weight in enumerate(self.node_weights):
            value, dfw, dbe = self._moffat.radial_terms(nodes, fwhms[k], betas[k],
                                                        derivatives=True)
            psf += weight * value
            d_fwhm += weight * powers_f[k][:, None] * dfw[None, :]
            if d_beta.shape[0]:
                d_beta += weight * powers_b[k][:, None] * dbe[None, :]
            if slope:
                d_q[0] += weight * fwhms[k] * dfw
        return np.vstack([psf[None, :], d_fwhm, d_beta, d_q])

    def fsf_model(self, fwhm_coeffs, beta_coeffs, lbrange):
        """Its FSF description: MPDAF's polynomial Moffat model (`~imphot_astropy.survey.fsf.FSFModel`).

        The coefficients are those of this PSF's parameters; ``lbrange``
        is the normalisation the node wavelengths were given in.

        Examples
        --------
        >>> psf = MoffatMixture(np.array([0.0]), np.array([1.0]))
        >>> float(psf.fsf_model([0.6, -0.1], [2.5], (5000, 9000)).fwhm(7000.0))
        0.6
        """
        return FSFModel(fwhm_coeffs, beta_coeffs, lbrange=lbrange)


class EllipticalMoffatMixture:
    """The PSF of a band image made from a cube: a mixture of elliptical Moffats.

    As `MoffatMixture`, but every node's Moffat is elliptical
    (`~imphot_astropy.core.psf.EllipticalMoffat`) with the same
    ellipticity ``e`` and position angle ``theta`` (degrees from +x toward
    +y): the guiding and the atmospheric dispersion corrector elongate the
    planes of an exposure alike. The FWHM polynomial is that of the major
    axis. Parameters ``(fwhm_coeffs, beta_coeffs, e, theta)``.

    The mixture of stretched profiles is the stretched mixture, so its
    transform is the circular mixture's on the radial table, interpolated
    at the stretched frequency (`~imphot_astropy.core.psf.stretched_frequency`)
    on every trial; the derivatives by e and theta follow from the
    mixture's radial slope.

    Parameters
    ----------
    node_l, node_weights, radial_nodes
        As for `MoffatMixture`.

    Examples
    --------
    >>> from imphot_astropy.core.fourier_model import FourierPlaneProblem
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> im = np.random.default_rng(1).normal(size=(32, 32))
    >>> p = FourierPlaneProblem(im, im, np.ones_like(im), 0.2, 0.2,
    ...                         RegridFilter().transfer, 0.085, 1.6)
    >>> psf = EllipticalMoffatMixture(np.array([-0.2, 0.2]), np.array([0.5, 0.5]))
    >>> terms = psf.fourier_terms(p, (0.65, -0.1), (2.5,), 0.15, 30.0, derivatives=True)
    >>> len(terms)       # transform, d/dfwhm_c0, d/dfwhm_c1, d/de, d/dtheta
    5
    """

    param_names = ("fwhm_coeffs", "beta_coeffs", "e", "theta")

    def __init__(self, node_l, node_weights, radial_nodes=RADIAL_NODES):
        self.circular = MoffatMixture(node_l, node_weights, radial_nodes)
        self.node_l, self.node_weights = self.circular.node_l, self.circular.node_weights
        self.radial_nodes = self.circular.radial_nodes

    def fourier_terms(self, problem, fwhm_coeffs, beta_coeffs, e, theta, derivatives=False):
        """The transform (and its derivatives by the coefficients, then by
        e and theta) at the problem's modelled frequencies.

        ``derivatives`` as for `MoffatMixture.radial_terms`.
        """
        nodes = problem.radial_table(self.radial_nodes).nodes
        q, along, across, minor = stretched_frequency(problem.fx, problem.fy, e, theta)
        table = self.circular.radial_terms(nodes, fwhm_coeffs, beta_coeffs,
                                           derivatives=derivatives, slope=bool(derivatives))
        terms = [np.interp(q, nodes, row) for row in table]
        if not derivatives:
            return tuple(terms)
        slope = terms.pop()
        with np.errstate(divide="ignore", invalid="ignore"):
            radial = np.where(q > 0, slope / q**2, 0.0)
        return tuple(terms) + shape_derivatives(radial, along, across, minor)

    def fsf_model(self, fwhm_coeffs, beta_coeffs, e, lbrange):
        """Its FSF description: the circular equivalent of `MoffatMixture.fsf_model`.

        MPDAF's FSF model has no ellipticity: the FWHM polynomial written is
        the geometric mean of the axes, ``fwhm * sqrt(1 - e)``, the FWHM
        that a circular fit of the same images measures (within 0.3% for
        e = 0.15, see fitting/tests/test_elliptical_psf_truth.py).

        Examples
        --------
        >>> psf = EllipticalMoffatMixture(np.array([0.0]), np.array([1.0]))
        >>> round(float(psf.fsf_model([0.6], [2.5], 0.19, (5000, 9000)).fwhm(7000.0)), 3)
        0.54
        """
        return FSFModel(np.asarray(fwhm_coeffs, dtype=float) * np.sqrt(1.0 - e),
                        beta_coeffs, lbrange=lbrange)


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
    options : `~imphot_astropy.fitting.options.ImageFitOptions` or dict
        The band's options (of which ``regions``, ``star``, ``segment``,
        ``extramask``, ``margin``, ``taper``, ``hst_fwhm`` and ``hst_beta``
        shape its problem, and ``psf`` chooses its PSF: `MoffatMixture`,
        or `EllipticalMoffatMixture` for ``"elliptical"``), or a dict of the keywords of
        `~imphot_astropy.fit_image_photometry`.
    lbrange : (float, float)
        The reference wavelengths of the polynomials.
    nodes : int
        The number of PSF nodes of the band (1: effective wavelength).
    shift : (int, int)
        Whole pixels (x, y) by which to move the HST image first.
    radial_nodes : int
        Nodes of the radial table on which the band PSF is computed.
    state : object, optional
        The ``fit_state`` of the band's single-band fit
        (`~imphot_astropy.fitting.measure_image_photometry` with
        ``keep_state``) with the same options: its prepared arrays and
        problem are taken as they are if it ended at the same whole-pixel
        shift, instead of being made again.

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
                 shift=(0, 0), radial_nodes=RADIAL_NODES, state=None):
        self.name = name
        self.radial_nodes = int(radial_nodes)
        self.hst_image, self.muse_image = read_aligned_pair(hst, muse)
        self.options = ImageFitOptions.coerce(options).for_muse_unit(self.muse_image.unit)
        self._inputs = None
        node_l, self.node_weights = psf_nodes(wavelengths, weights, nodes)
        self.node_wavelengths = node_l
        self.node_l = normalised_wavelength(node_l, lbrange)
        mixture = (EllipticalMoffatMixture if self.options.psf == "elliptical"
                   else MoffatMixture)
        self.psf = mixture(self.node_l, self.node_weights, self.radial_nodes)
        self.effective_wavelength = float(np.sum(node_l * self.node_weights))
        self.sigma = 1.0
        self.set_shift(shift, state)

    def set_shift(self, shift, state=None):
        """(Re)build the problem with the HST image moved by whole pixels."""
        px, py = (int(v) for v in shift)
        if state is not None and tuple(state.prepared.shift) == (px, py):
            self._use_problem(state.prepared, state.problem, (px, py))
            return
        if self._inputs is None:
            # The image fit's problem builder: the masks are made once (only
            # if the single-band fit's problem cannot be taken), the problem
            # at each whole-pixel shift.
            self._inputs = FitInputs(self.hst_image, self.muse_image, self.options)
        prepared, problem = self._inputs.problem(px, py)
        self._use_problem(prepared, problem, (px, py))

    def _use_problem(self, prepared, problem, shift):
        self.prepared, self.problem = prepared, problem
        self.fourier = FourierModel(problem, self.psf, fft_workers=_FFT_WORKERS)
        self.shift = shift
        self.pixel_scales = tuple(float(v) for v in self.muse_image.pixel_scales)

    def evaluate(self, scale, bg, dx, dy, fwhm_coeffs, beta_coeffs, jacobian=False,
                 shape=()):
        """The windowed model at the compared pixels, and optionally its derivatives.

        Parameters
        ----------
        scale, bg, dx, dy : float
            The band's flux scale and background, and the offset (arcsec).
        fwhm_coeffs, beta_coeffs : sequence of float
            The polynomials' coefficients.
        jacobian : bool or str
            True: the derivatives by every parameter but the beta
            coefficients (when beta is fixed); ``"all"``: all of them.
        shape : tuple
            ``(e, theta)`` of an elliptical mixture; empty for a circular one.

        Returns
        -------
        model : `numpy.ndarray`
        columns : dict or None
            With ``jacobian``: the derivative of the model by ``scale``,
            ``bg``, ``dx``, ``dy``, ``fwhm_c<j>`` (and ``beta_c<j>``), and
            for an elliptical mixture ``e`` and ``theta``.
        """
        params = (tuple(fwhm_coeffs), tuple(beta_coeffs)) + tuple(float(v) for v in shape)
        model = self.fourier.evaluate(scale, bg, dx, dy, params)
        if not jacobian:
            return model, None
        images = self.fourier.jacobian(scale, dx, dy, params, derivatives=jacobian)
        columns = {"scale": self.fourier.state(dx, dy, params)["image"],
                   "bg": self.problem.window, "dx": images[0], "dy": images[1]}
        nf = len(fwhm_coeffs)
        for j in range(nf):
            columns[f"fwhm_c{j}"] = images[2 + j]
        shape_names = ("e", "theta") if shape else ()
        nb = len(images) - 2 - nf - len(shape_names)
        for j in range(nb):
            columns[f"beta_c{j}"] = images[2 + nf + j]
        for k, name in enumerate(shape_names):
            columns[name] = images[2 + nf + nb + k]
        return model, columns
