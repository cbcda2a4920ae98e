"""The star models are astropy Moffat2D integrated over pixels or filtered."""

import numpy as np
import pytest
from astropy.modeling.models import Moffat2D

from imphot_astropy.core.moffat import moffat_fourier_transform
from imphot_astropy.core.transfer import RegridFilter
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting import measure_star_photometry
from imphot_astropy.fitting.star_models import (PixelIntegratedMoffat2D,
                                                BandLimitedMoffat2D, flux_moffat2d)


def test_flux_moffat2d_has_the_flux_and_fwhm():
    model = flux_moffat2d(7.0, 0.1, -0.2, 0.6, 2.5)
    assert isinstance(model, Moffat2D)
    assert model.fwhm == pytest.approx(0.6, rel=1e-12)
    # Volume of astropy's Moffat2D: amplitude * pi * gamma**2 / (alpha - 1).
    volume = model.amplitude * np.pi * model.gamma**2 / (model.alpha - 1)
    assert float(volume) == pytest.approx(7.0, rel=1e-12)


def test_pixel_integrated_model_integrates_its_moffat2d():
    model = PixelIntegratedMoffat2D(0.2, 0.2, flux=3.0, x_0=0.03, y_0=-0.05, fwhm=0.55,
                                    beta=2.2)
    moffat = model.moffat2d()
    # Each pixel's value is the integral of the Moffat2D over it: a 101x101
    # midpoint sum approximates it to ~1e-6 of the peak.
    n = 101
    sub = (np.arange(n) + 0.5) / n * 0.2 - 0.1
    for cx, cy in [(0.0, 0.0), (0.2, 0.0), (-0.4, 0.2)]:
        yy, xx = np.meshgrid(cy + sub, cx + sub, indexing="ij")
        integral = moffat(xx, yy).mean() * 0.04
        assert model(cx, cy) == pytest.approx(integral, rel=1e-5)


def test_band_limited_model_filters_the_transform_of_its_moffat2d():
    model = BandLimitedMoffat2D(0.2, 0.2, RegridFilter().transfer, fwhm=0.3, beta=2.0)
    moffat = flux_moffat2d(1.0, 0.0, 0.0, 0.3, 2.0)
    # The FFT of the finely sampled Moffat2D against the analytic transform
    # the model multiplies by the window.
    step, n = 0.01, 2048
    coords = (np.arange(n) - n // 2) * step
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    sampled = moffat(xx, yy) * step**2
    transform = np.abs(np.fft.fft2(np.fft.ifftshift(sampled)))
    freqs = np.fft.fftfreq(n, step)
    for q in (0.5, 1.0, 2.0):
        index = int(round(q / freqs[1]))
        assert transform[0, index] == pytest.approx(
            float(moffat_fourier_transform(freqs[index], 0.3, 2.0)), abs=2e-3)
    assert model.moffat2d().fwhm == pytest.approx(0.3)


def test_star_fit_exposes_the_fitted_moffat2d_models():
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    fit = measure_star_photometry(hst, muse, (*truth["star_radec"][0], 2.0))
    for prefix in ("muse", "hst"):
        moffat = getattr(fit, prefix + "_moffat")
        assert isinstance(moffat, Moffat2D)
        assert moffat.fwhm == pytest.approx(getattr(fit, prefix + "_fwhm").value)
        assert moffat.x_0.value == pytest.approx(getattr(fit, prefix + "_dx").value)
        assert moffat.alpha.value == pytest.approx(getattr(fit, prefix + "_beta").value)
        volume = moffat.amplitude * np.pi * moffat.gamma**2 / (moffat.alpha - 1)
        assert float(volume) == pytest.approx(getattr(fit, prefix + "_flux").value)
    assert fit.muse_moffat.fwhm == pytest.approx(truth["fwhm"], abs=0.01)
