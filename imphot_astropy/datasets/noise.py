"""Noise models for synthetic MUSE images.

A MUSE image made by summing a cube that was itself resampled from the
pixel tables onto its grid has noise correlated between neighbouring
pixels, while its variance (STAT) extension holds only each pixel's own
variance. `resampled_noise` imitates this with the noise of a grid
interpolated half a pixel away (the mean of 2 x 2 independent values).
"""

import numpy as np

__all__ = ["resampled_noise"]


def resampled_noise(shape, sigma, seed=0):
    """Gaussian noise correlated like that of a resampled image.

    Each pixel is the sum of the 2 x 2 nearest values of an independent
    Gaussian field on a grid shifted by half a pixel, divided by 2, so that
    its variance is ``sigma**2``; horizontal and vertical neighbours are
    correlated by 0.5 and diagonal ones by 0.25.

    Parameters
    ----------
    shape : tuple of int
        (ny, nx).
    sigma : float
        The standard deviation of each pixel.
    seed : int or `numpy.random.Generator`
        The random seed.

    Returns
    -------
    noise : `numpy.ndarray`

    Examples
    --------
    >>> n = resampled_noise((400, 400), 2.0, seed=1)
    >>> round(float(n.std()), 1), round(float(np.mean(n[:, 1:] * n[:, :-1]) / 4), 1)
    (2.0, 0.5)
    """
    rng = np.random.default_rng(seed)
    ny, nx = shape
    field = rng.normal(size=(ny + 1, nx + 1))
    return sigma * (field[:-1, :-1] + field[1:, :-1] + field[:-1, 1:] + field[1:, 1:]) / 2.0
