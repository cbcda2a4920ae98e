"""The PSF fit on the unresampled samples of a star: truth and honesty."""

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.modeling.functional_models import Moffat2D

from imphot_astropy.exceptions import UserError
from imphot_astropy.fitting import (StarSamples, fit_moffat_samples,
                                    fit_pixtable_star, moffat_samples_model)
from imphot_astropy.pixtable import PixTable
from imphot_astropy.pixtable.sky import projected_to_sky, sky_to_projected

CENTRE = (53.1625, -27.7914)          # RA, Dec of the table's reference
STAR = (53.1634, -27.7902)            # RA, Dec of the star
BETA = 2.6
SLICES = [(5000, 5100), (6200, 6300), (7400, 7500), (8600, 8700)]


def true_fwhm(lbda):
    """FWHM (arcsec) of the synthetic star, linear in wavelength."""
    return 0.85 - 0.2 * (lbda - 5000.0) / 4000.0


def true_offset(lbda):
    """East and north offsets (arcsec) of the star's centre from STAR: a
    small drift with wavelength (residual refraction)."""
    t = (lbda - 7000.0) / 2000.0
    return 0.04 * t + 0.013, -0.03 * t - 0.021


def true_flux(lbda):
    return 2.0e5 * (lbda / 7000.0) ** -1.5


def star_rows(seed=3, nexp=2):
    """Rows of a pixel table around the star: each exposure samples the
    sky on the slices' 0.2" x 0.2" grid (dithered), every CCD row of the
    slices adding a sample at a slightly different position, so that the
    samples lie at irregular positions. Values are the star plus a
    background, with Poisson-like noise; a few rows are flagged in dq with
    wild values, and a few cosmic rays are not."""
    rng = np.random.default_rng(seed)
    east, north = np.meshgrid(np.arange(-17, 18) * 0.2,
                              np.arange(-17, 18) * 0.2)
    east, north = east.ravel(), north.ravel()
    # CCD rows of 1.25 A around the slices fitted (only those, to keep
    # the table small), a quarter of them kept per exposure.
    lbda = np.unique(np.concatenate(
        [np.arange(low - 10.0, high + 10.0, 1.25)
         for low, high in SLICES + [(6000, 6400)]]))
    columns = {k: [] for k in ("x", "y", "lbda")}
    for exp in range(nexp):
        dither = rng.uniform(-0.1, 0.1, 2)
        for lam in lbda[rng.random(lbda.size) < 0.25]:
            # Each CCD row maps the slice pixels to slightly different sky
            # positions (distortions), plus small random errors.
            x = east + dither[0] + 0.02 * np.sin(lam / 300.0 + east)
            y = north + dither[1] + 0.02 * np.cos(lam / 250.0 + north)
            columns["x"].append(x + rng.uniform(-0.03, 0.03, x.size))
            columns["y"].append(y + rng.uniform(-0.03, 0.03, x.size))
            columns["lbda"].append(np.full(x.size, lam))
    x, y, lam = (np.concatenate(columns[k]) for k in ("x", "y", "lbda"))
    dx, dy = true_offset(lam)
    model = moffat_samples_model(true_fwhm(lam), BETA, dx, dy,
                                 true_flux(lam), 50.0)
    signal = model(x, y)
    stat = signal + 30.0
    data = rng.normal(signal, np.sqrt(stat))
    dq = np.zeros(x.size, dtype=np.int32)
    flagged = rng.choice(x.size, 100, replace=False)
    dq[flagged] = 1 << 3
    data[flagged] = 1e7
    cosmics = rng.choice(x.size, 30, replace=False)
    data[cosmics] += 1e5
    return x, y, lam, data, stat, dq


@pytest.fixture(scope="module")
def star_table(tmp_path_factory):
    """A 'projected' pixel table of the star, written to a file."""
    x, y, lam, data, stat, dq = star_rows()
    # Tangent-plane offsets about the star -> sky -> projected positions.
    from imphot_astropy.fitting.pixtable_star import _sky
    ra = np.empty(x.size)
    dec = np.empty(x.size)
    from astropy.modeling.projections import Pix2Sky_Gnomonic
    from astropy.modeling.rotations import RotateNative2Celestial
    phi, theta = Pix2Sky_Gnomonic()(x / 3600.0, y / 3600.0)
    ra, dec = RotateNative2Celestial(*STAR, 180.0)(phi, theta)
    assert _sky(0.0, 0.0, *STAR) == pytest.approx(STAR)
    xpos, ypos = sky_to_projected(ra, dec, *CENTRE)
    pix = PixTable(xpos=np.radians(xpos).astype(np.float32),
                   ypos=np.radians(ypos).astype(np.float32),
                   lbda=lam.astype(np.float32),
                   data=data.astype(np.float32), dq=dq,
                   stat=stat.astype(np.float32),
                   origin=np.full(x.size, (1 << 6) | 1), wcs=u.rad,
                   unit_data=u.Unit("1e-20 erg / (s cm2 Angstrom)"))
    pix.set_keyword("WCS", "projected (intermediate)")
    pix.primary_header["RA"], pix.primary_header["DEC"] = CENTRE
    name = tmp_path_factory.mktemp("star") / "star.fits"
    pix.write(name)
    # float32 positions in radians: check they still place the samples to
    # better than 1 mas.
    back_ra, back_dec = projected_to_sky(
        np.degrees(pix.get_xpos().astype(float)),
        np.degrees(pix.get_ypos().astype(float)), *CENTRE)
    sep = SkyCoord(back_ra, back_dec, unit="deg").separation(
        SkyCoord(ra, dec, unit="deg"))
    assert sep.max() < 1e-3 * u.arcsec
    return str(name)


@pytest.mark.parametrize("fwhm_model", ["free", "linear"])
def test_truth_recovered_in_each_slice(star_table, fwhm_model):
    pix = PixTable(star_table)
    star = SkyCoord(STAR[0] * u.deg, STAR[1] * u.deg)
    fit = fit_pixtable_star(pix, star, lbda=SLICES, radius=2.5,
                            fwhm_model=fwhm_model)
    assert len(fit) == len(SLICES)
    lam = fit["lambda"].to_value(u.AA)
    fwhm = fit["fwhm"].to_value(u.arcsec)
    assert np.all(np.abs(fwhm / true_fwhm(lam) - 1) < 0.01), fwhm
    dx, dy = true_offset(lam)
    assert np.all(np.abs(fit["dx"].to_value(u.arcsec) - dx) < 0.01)
    assert np.all(np.abs(fit["dy"].to_value(u.arcsec) - dy) < 0.01)
    assert np.all(np.abs(fit["beta"] / BETA - 1) < 0.05)
    assert np.all(np.abs(fit["flux"].value / true_flux(lam) - 1) < 0.02)
    assert fit["flux"].unit == pix.unit_data
    # The errors are small enough for these tolerances to mean something.
    assert np.all(fit["fwhm_err"] < 0.003 * fit["fwhm"])
    # The centres in RA/Dec are the offsets from the star.
    star_at = SkyCoord(fit["ra"], fit["dec"])
    expected = SkyCoord(STAR[0] * u.deg, STAR[1] * u.deg).spherical_offsets_by(
        dx * u.arcsec, dy * u.arcsec)
    assert star_at.separation(expected).max() < 0.01 * u.arcsec
    # dq-flagged rows are left out; the cosmic rays are clipped.
    assert fit["nrejected"].sum() > 0
    assert np.all(fit["rchi2"] < 1.3)
    if fwhm_model == "linear":
        assert fit.meta["fwhm_slope"] == pytest.approx(-0.2 / 4000, rel=0.03)
        assert np.all(fit["beta"] == fit["beta"][0])


def test_single_range_cut_into_slices(star_table):
    fit = fit_pixtable_star(PixTable(star_table), (*STAR, 2.0 * u.arcsec),
                            lbda=(6000 * u.AA, 600 * u.nm + 400 * u.AA),
                            nslices=4)
    assert np.allclose(fit["lambda_min"].to_value(u.AA),
                       [6000, 6100, 6200, 6300])
    lam = fit["lambda"].to_value(u.AA)
    assert np.all(np.abs(fit["fwhm"].value / true_fwhm(lam) - 1) < 0.015)


def test_uncertainties_are_honest():
    """Monte Carlo: (fitted - true) / error has a standard deviation
    between 0.8 and 1.25 for each parameter."""
    rng = np.random.default_rng(2024)
    truth = {"fwhm": 0.7, "beta": 2.8, "x0": 0.03, "y0": -0.05,
             "flux": 3000.0, "background": 5.0}
    model = moffat_samples_model(**truth)
    grid = np.arange(-2.0, 2.01, 0.2)
    gx, gy = [g.ravel() for g in np.meshgrid(grid, grid)]
    pulls = {name: [] for name in truth}
    for _ in range(100):
        x = np.tile(gx, 4) + rng.uniform(-0.1, 0.1, 4 * gx.size)
        y = np.tile(gy, 4) + rng.uniform(-0.1, 0.1, 4 * gy.size)
        stat = model(x, y) + 4.0
        data = rng.normal(model(x, y), np.sqrt(stat))
        samples = [StarSamples(x, y, data, stat, np.full(x.size, 7e3))]
        values, errors, _ = fit_moffat_samples(samples, [7000.0])
        for name, value in truth.items():
            pulls[name].append((values[0][name] - value)
                               / errors[0][name])
    for name, pull in pulls.items():
        assert 0.8 < np.std(pull) < 1.25, (name, np.std(pull))
        assert abs(np.mean(pull)) < 0.4, (name, np.mean(pull))


def test_linear_model_uncertainties_are_honest():
    rng = np.random.default_rng(7)
    lambdas = np.array([5000.0, 7000.0, 9000.0])
    grid = np.arange(-2.0, 2.01, 0.2)
    gx, gy = [g.ravel() for g in np.meshgrid(grid, grid)]
    pulls = []
    for _ in range(40):
        samples = []
        for lam in lambdas:
            model = moffat_samples_model(true_fwhm(lam), BETA, 0.0, 0.0,
                                         2000.0, 5.0)
            x = np.tile(gx, 3) + rng.uniform(-0.1, 0.1, 3 * gx.size)
            y = np.tile(gy, 3) + rng.uniform(-0.1, 0.1, 3 * gy.size)
            stat = model(x, y) + 4.0
            samples.append(StarSamples(x, y, rng.normal(model(x, y),
                                                        np.sqrt(stat)),
                                       stat, np.full(x.size, lam)))
        values, errors, info = fit_moffat_samples(samples, lambdas,
                                                  fwhm_model="linear")
        pulls.extend((v["fwhm"] - true_fwhm(lam)) / e["fwhm"]
                     for v, e, lam in zip(values, errors, lambdas))
    assert 0.8 < np.std(pulls) < 1.25


def test_bad_input(star_table, tmp_path):
    pix = PixTable(star_table)
    with pytest.raises(UserError, match="star: no row"):
        fit_pixtable_star(pix, (STAR[0], STAR[1] + 1.0, 3.0), lbda=(6000, 6100))
    with pytest.raises(UserError, match="star"):
        fit_pixtable_star(pix, "somewhere", lbda=(6000, 6100))
    # A bare pair (the old (dec, ra) form) is refused, not read either way.
    with pytest.raises(UserError, match=r"star: expected \(ra, dec, radius\).*\(dec, ra\)"):
        fit_pixtable_star(pix, (STAR[1], STAR[0]), lbda=(6000, 6100))
    # The radius is given once: in the tuple, or with a bare SkyCoord.
    with pytest.raises(UserError, match="radius: .* give it once"):
        fit_pixtable_star(pix, (*STAR, 2.0), lbda=(6000, 6100), radius=2.0)
    with pytest.raises(UserError, match="lbda"):
        fit_pixtable_star(pix, (*STAR, 3.0), lbda=(6100, 6000))
    with pytest.raises(UserError, match="fwhm_model"):
        fit_pixtable_star(pix, (*STAR, 3.0), lbda=(6000, 6100),
                          fwhm_model="linear")
    with pytest.raises(UserError, match="fwhm_model"):
        fit_pixtable_star(pix, (*STAR, 3.0), lbda=(6000, 6100),
                          fwhm_model="cubic")
    with pytest.raises(UserError, match="radius"):
        fit_pixtable_star(pix, (*STAR, -1.0), lbda=(6000, 6100))
    with pytest.raises(UserError, match="radius"):
        fit_pixtable_star(pix, SkyCoord(*STAR, unit="deg"), lbda=(6000, 6100),
                          radius=-1)
    in_pixels = PixTable(xpos=[0.0], ypos=[0.0], lbda=[6000.0], data=[0.0],
                         dq=[0], stat=[1.0], origin=[0])
    with pytest.raises(UserError, match="angle"):
        fit_pixtable_star(in_pixels, (0.0, 0.0, 3.0), lbda=(5000, 7000))


def test_figure_of_the_fit(star_table, tmp_path):
    plotting = pytest.importorskip("imphot_astropy.plotting.pixtable_star")
    fit, samples = fit_pixtable_star(PixTable(star_table), (*STAR, 3.0),
                                     lbda=SLICES[:2], fwhm_model="linear",
                                     return_samples=True)
    assert [s.size for s in samples] == (fit["nsamples"]
                                         + fit["nrejected"]).tolist()
    fig = plotting.plot_pixtable_star(fit, samples)
    profile, fwhm = fig.axes
    assert (profile.get_label(), fwhm.get_label()) == plotting.PIXTABLE_STAR_PANELS
    # The fitted curves start at the normalised peak of each slice's Moffat.
    curves = [line for line in profile.get_lines()
              if not line.get_label().startswith("_")]
    assert len(curves) == 2
    for line, row in zip(curves, fit):
        # The core width of that FWHM, from astropy's Moffat2D.fwhm (which
        # is proportional to gamma), not from the package's own formula.
        gamma = row["fwhm"].value / Moffat2D(gamma=1.0, alpha=row["beta"]).fwhm
        peak = 0.04 * (row["beta"] - 1) / (np.pi * gamma ** 2)
        assert line.get_ydata()[0] == pytest.approx(peak, rel=1e-9)
    fig.savefig(tmp_path / "star.png")
    assert (tmp_path / "star.png").stat().st_size > 10000
    with pytest.raises(UserError, match="samples"):
        plotting.plot_pixtable_star(fit, samples[:1])


def test_streams_through_the_file(star_table, monkeypatch):
    """The fit reads the table in chunks and gathers the star's rows only:
    no whole column is read or memory-mapped."""
    from imphot_astropy.pixtable.storage import PixTableFile

    def refuse(*args, **kwargs):
        raise AssertionError("a whole column was read")
    pix = PixTable(star_table, chunk_rows=50000)
    assert pix.nrows > 4 * 50000
    monkeypatch.setattr(PixTableFile, "read", refuse)
    monkeypatch.setattr(PixTableFile, "memmap", refuse)
    fit = fit_pixtable_star(pix, (*STAR, 3.0), lbda=SLICES[:1])
    assert fit["nsamples"][0] > 1000
