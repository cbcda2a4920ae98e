"""The joint fit of all the bands of an exposure, with lmfit.

One pointing offset (dx, dy) for the exposure, the Moffat FWHM and beta as
polynomials in MPDAF's normalised wavelength (``fwhm_c0``, ``fwhm_c1``,
..., ``beta_c0``, ...), and a flux scale and background per band
(``scale_<band>``, ``bg_<band>``). The parameters are an
`lmfit.Parameters`, so a caller can fix, bound or tie any of them with an
expression. Each band's residual is divided by its noise (the RMS of its
single-band fit's residual), so that noisier bands weigh less. The
Jacobian is analytic: each band contributes its Fourier-model derivatives,
and the chain rule through the polynomials is applied on the radial table.
"""

import re

import numpy as np
import lmfit

from ..exceptions import UserError
from ..core.fourier_model import MAX_BETA

__all__ = ["JointProblem", "band_parameter_name"]

# Refit after moving the HST images by whole pixels at most this often.
_MAX_REFITS = 2


def band_parameter_name(prefix, band):
    """The lmfit name of a band's parameter: ``scale_F606W``, ``bg_F606W``.

    Examples
    --------
    >>> band_parameter_name("scale", "ACS-WFC F606W")
    'scale_ACS_WFC_F606W'
    """
    return f"{prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', str(band))}"


class JointProblem:
    """The residual and Jacobian of the joint fit of several bands.

    Parameters
    ----------
    bands : list of `~imphot_astropy.survey.bands.BandProblem`
        One per band, with ``sigma`` set.
    fwhm_degree, beta_degree : int
        The degrees of the FWHM and beta polynomials.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> from imphot_astropy.survey.bands import BandProblem
    >>> hst, muse, truth = make_synthetic_pair(shape=(50, 50), seed=2)
    >>> band = BandProblem("V", hst, muse, [6000.0], [1.0], {}, (5000, 9000))
    >>> joint = JointProblem([band], fwhm_degree=0, beta_degree=0)
    >>> params = joint.initial_parameters({"V": dict(scale=1.2, bg=0.05, dx=0.06,
    ...     dy=-0.04, fwhm=0.65, beta=2.5)})
    >>> result = joint.fit(params)
    >>> round(result.params["fwhm_c0"].value, 2), round(result.params["dx"].value, 2)
    (0.65, 0.06)
    """

    def __init__(self, bands, fwhm_degree=1, beta_degree=0):
        if not bands:
            raise UserError("hst_images: no band to fit")
        for argname, degree in (("fwhm_degree", fwhm_degree), ("beta_degree", beta_degree)):
            if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) \
                    or degree < 0:
                raise UserError(f"{argname}: expected an integer >= 0, not {degree!r}")
        self.bands = list(bands)
        self.fwhm_names = [f"fwhm_c{j}" for j in range(fwhm_degree + 1)]
        self.beta_names = [f"beta_c{j}" for j in range(beta_degree + 1)]
        self.names = ["dx", "dy"] + self.fwhm_names + self.beta_names
        for band in self.bands:
            self.names += [band_parameter_name("scale", band.name),
                           band_parameter_name("bg", band.name)]
        self._rows = np.cumsum([0] + [b.problem.data.size for b in self.bands])

    def initial_parameters(self, single):
        """lmfit Parameters started from the single-band fits.

        Parameters
        ----------
        single : dict
            Band name -> dict of its fitted ``scale``, ``bg``, ``dx``,
            ``dy``, ``fwhm``, ``beta`` (and optionally ``*_err``).

        Returns
        -------
        params : `lmfit.Parameters`
        """
        params = lmfit.Parameters()
        values = [single[b.name] for b in self.bands]
        weights = np.array([1.0 / max(v.get("dx_err") or 1.0, 1e-6) ** 2 for v in values])
        for name in ("dx", "dy"):
            start = float(np.sum(weights * [v[name] for v in values]) / weights.sum())
            params.add(name, value=start)
        ls = np.array([float(np.sum(b.node_l * b.node_weights)) for b in self.bands])
        for prefix, names in (("fwhm", self.fwhm_names), ("beta", self.beta_names)):
            degree = min(len(names) - 1, len(self.bands) - 1)
            y = np.array([v[prefix] for v in values])
            coeffs = np.zeros(len(names))
            coeffs[:degree + 1] = np.polynomial.polynomial.polyfit(ls, y, degree)
            for name, value in zip(names, coeffs):
                params.add(name, value=float(value))
        params["fwhm_c0"].min = 0.05
        params["beta_c0"].set(min=1.01, max=MAX_BETA)
        for band, v in zip(self.bands, values):
            params.add(band_parameter_name("scale", band.name), value=v["scale"])
            params.add(band_parameter_name("bg", band.name), value=v["bg"])
        return params

    def _unpack(self, params):
        value = {name: float(params[name].value) for name in self.names}
        fwhm = [value[n] for n in self.fwhm_names]
        beta = [value[n] for n in self.beta_names]
        return value, fwhm, beta

    def residual(self, params):
        """The concatenated noise-weighted residuals of all the bands."""
        value, fwhm, beta = self._unpack(params)
        parts = []
        for band in self.bands:
            model, _ = band.evaluate(value[band_parameter_name("scale", band.name)],
                                     value[band_parameter_name("bg", band.name)],
                                     value["dx"], value["dy"], fwhm, beta)
            parts.append((model - band.problem.data) / band.sigma)
        return np.concatenate(parts)

    def model_jacobian(self, params):
        """The derivatives of the residuals by every model parameter (columns)."""
        value, fwhm, beta = self._unpack(params)
        # Column-major: each band's columns are written contiguously, and
        # MINPACK works on this layout without a copy.
        jac = np.zeros((self._rows[-1], len(self.names)), order="F")
        index = {name: i for i, name in enumerate(self.names)}
        for b, band in enumerate(self.bands):
            scale_name = band_parameter_name("scale", band.name)
            bg_name = band_parameter_name("bg", band.name)
            _, columns = band.evaluate(value[scale_name], value[bg_name], value["dx"],
                                       value["dy"], fwhm, beta, jacobian=True)
            rows = slice(self._rows[b], self._rows[b + 1])
            columns[scale_name] = columns.pop("scale")
            columns[bg_name] = columns.pop("bg")
            for name, column in columns.items():
                jac[rows, index[name]] = column / band.sigma
        return jac

    def _varying_transform(self, params):
        """d(model parameters) / d(varying parameters), through expressions.

        Without expressions this selects columns; with them, each varying
        parameter is nudged and the constraints re-evaluated (they are cheap
        and usually linear), so ties made by the user are honoured.
        """
        varying = [n for n in params if params[n].vary]
        transform = np.zeros((len(self.names), len(varying)))
        if not any(params[n].expr for n in self.names):
            for j, name in enumerate(varying):
                if name in self.names:
                    transform[self.names.index(name), j] = 1.0
            return transform
        base = np.array([params[n].value for n in self.names])
        for j, name in enumerate(varying):
            step = 1e-6 * max(abs(params[name].value), 1e-3)
            original = params[name].value
            params[name].value = original + step
            params.update_constraints()
            transform[:, j] = (np.array([params[n].value for n in self.names]) - base) / step
            params[name].value = original
            params.update_constraints()
        return transform

    def jacobian(self, params):
        """The Jacobian of the residuals by the varying parameters (lmfit order)."""
        transform = self._varying_transform(params)
        jac = self.model_jacobian(params)
        selection = np.argmax(transform, axis=0)
        if np.array_equal(transform, np.eye(len(self.names))[:, selection]):
            # No expressions: the varying columns themselves (a tall matrix
            # product would cost as much as the model).
            return jac[:, selection]
        return jac @ transform

    def fit(self, params):
        """Minimise with lmfit (Levenberg-Marquardt, analytic Jacobian).

        Returns
        -------
        result : `lmfit.minimizer.MinimizerResult`
        """
        if not any(params[n].vary for n in params):
            raise UserError("joint parameters: every parameter is fixed; nothing to fit")
        unknown = [n for n in self.names if n not in params]
        if unknown:
            raise UserError(f"joint parameters: missing {unknown}")
        minimizer = lmfit.Minimizer(lambda p: self.residual(p), params)
        # MINPACK's Levenberg-Marquardt keeps one copy of the tall Jacobian
        # (scipy's trust-region method keeps several, and its SVD), which
        # matters for four full MUSE bands; lmfit maps bounds for it.
        return minimizer.minimize(method="leastsq", Dfun=lambda p, *a, **k: self.jacobian(p),
                                  ftol=1e-10, xtol=1e-10)

    def fit_with_refits(self, params):
        """Fit; if the offsets moved the images by a pixel or more, shift and refit."""
        for refit in range(_MAX_REFITS + 1):
            result = self.fit(params)
            dx, dy = result.params["dx"].value, result.params["dy"].value
            moved = False
            for band in self.bands:
                x, y = dx / band.pixel_scales[0], dy / band.pixel_scales[1]
                if abs(x - band.shift[0]) >= 1.0 or abs(y - band.shift[1]) >= 1.0:
                    band.set_shift((int(np.floor(x + 0.5)), int(np.floor(y + 0.5))))
                    moved = True
            if not moved or refit == _MAX_REFITS:
                return result, refit
            self._rows = np.cumsum([0] + [b.problem.data.size for b in self.bands])
            params = result.params
        return result, _MAX_REFITS
