"""Fit reports in lmfit's layout.

The reference tool printed lmfit's ``fit_report``; its users read and
parse that layout ([[Fit Statistics]], [[Variables]] with ``+/-`` and
percentages, [[Correlations]]). The fitters here use astropy's fitters,
so their outcome is put into lmfit `~lmfit.Parameters` and a
`~lmfit.minimizer.MinimizerResult` and printed by `lmfit.fit_report`
itself, rather than by a copy of its formatting.
"""

import numpy as np

__all__ = ["lmfit_layout_report"]


def _parameters(values, initial, covariance, free):
    from lmfit import Parameters

    params = Parameters()
    for name, fitted in values.items():
        params.add(name, value=fitted.value, vary=not fitted.fixed)
        param = params[name]
        param.stderr = None if fitted.fixed else fitted.stdev
        param.init_value = initial.get(name)
    if covariance is not None and np.all(np.isfinite(covariance)):
        sigma = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
        for i, first in enumerate(free):
            correl = {}
            for j, second in enumerate(free):
                if i != j and sigma[i] > 0 and sigma[j] > 0:
                    correl[second] = float(covariance[i, j] / (sigma[i] * sigma[j]))
            params[first].correl = correl
    return params


def lmfit_layout_report(title, method, nfev, ndata, redchi, values, initial=None,
                        covariance=None, free=(), notes=(), warnings=()):
    """A fit report in lmfit's layout, under a title line.

    Parameters
    ----------
    title : str or None
        A first line, ``[[title]]`` (None: no title).
    method : str
        The fitting method's description.
    nfev, ndata : int
        Function evaluations and data points.
    redchi : float
        The reduced chi-squared; the chi-squared and the information
        criteria are derived from it and the degrees of freedom.
    values : dict of str to `~imphot_astropy.fitting.FittedValue`
        The fitted parameters, in report order.
    initial : dict, optional
        Initial values by name (shown as ``init = ...``).
    covariance : `numpy.ndarray`, optional
        The covariance of the ``free`` parameters, for the correlations.
    free : sequence of str
        The names of the covariance's rows.
    notes : sequence of (str, object)
        Extra (key, value) lines, under [[Notes]], aligned like lmfit's.
    warnings : sequence of str
        Messages of the fitter, under [[Warnings]].

    Returns
    -------
    report : str

    Examples
    --------
    >>> from imphot_astropy.fitting.results import FittedValue
    >>> values = {"fwhm": FittedValue(0.61, 0.002, False),
    ...           "beta": FittedValue(2.5, 0.0, True)}
    >>> print(lmfit_layout_report("MUSE star fit", "trust region reflective", 20,
    ...                           100, 1.02, values, {"fwhm": 0.7}))
    ... # doctest: +NORMALIZE_WHITESPACE
    [[MUSE star fit]]
    [[Fit Statistics]]
        # fitting method   = trust region reflective
        # function evals   = 20
        # data points      = 100
        # variables        = 1
        chi-square         = 100.980000
        reduced chi-square = 1.02000000
        Akaike info crit   = 2.97522914
        Bayesian info crit = 5.58039933
    [[Variables]]
        fwhm:  0.61000000 +/- 0.00200000 (0.33%) (init = 0.7)
        beta:  2.5 (fixed)
    """
    # lmfit takes a second to import; it is needed only once a fit is done.
    from lmfit import fit_report
    from lmfit.minimizer import MinimizerResult

    params = _parameters(values, initial or {}, covariance, list(free))
    nvarys = sum(1 for p in params.values() if p.vary)
    ndata = int(ndata)
    chisqr = float(redchi) * max(ndata - nvarys, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        neg2_log_likel = ndata * np.log(chisqr / ndata) if ndata > 0 else np.nan
    result = MinimizerResult(
        method=method, nfev=nfev, ndata=ndata, nvarys=nvarys, chisqr=chisqr,
        redchi=float(redchi), aic=neg2_log_likel + 2 * nvarys,
        bic=neg2_log_likel + np.log(max(ndata, 1)) * nvarys, params=params,
        errorbars=all(p.stderr is not None for p in params.values() if p.vary))
    lines = [] if title is None else [f"[[{title}]]"]
    lines.append(fit_report(result))
    if notes:
        lines.append("[[Notes]]")
        lines += [f"    {key:18s} = {value}" for key, value in notes]
    if warnings:
        lines.append("[[Warnings]]")
        lines += [f"    {message}" for message in warnings]
    return "\n".join(lines)
