"""apply_corrections, shift_image and the corrected-file writer."""

import os
from types import SimpleNamespace

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.nddata import CCDData, NDData, VarianceUncertainty, StdDevUncertainty

from imphot_astropy.corrections import (apply_corrections, parse_corrections, shift_image,
                                        aligned_filename, write_aligned_image)
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource, muse_wcs
from imphot_astropy.datasets.synthetic import SYNTHETIC_UNIT
from imphot_astropy.exceptions import UserError
from imphot_astropy.fitting import FittedValue
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.io import read_image


def _fit(dx=0.05, dy=-0.03, scale=1.25, bg=0.1, unit=SYNTHETIC_UNIT, method="image"):
    return SimpleNamespace(dx=FittedValue(dx, 0.001, False), dy=FittedValue(dy, 0.001, False),
                           scale=FittedValue(scale, 0.01, False),
                           bg=FittedValue(bg, 0.001, False), unit=unit, method=method)


def _image(shape=(30, 40), seed=0, rotation=0.0, mask=None):
    rng = np.random.default_rng(seed)
    data = rng.normal(5.0, 1.0, size=shape)
    variance = rng.uniform(0.5, 2.0, size=shape)
    return CCDData(data, unit=SYNTHETIC_UNIT, wcs=muse_wcs(shape, rotation=rotation),
                   uncertainty=VarianceUncertainty(variance), mask=mask)


def _write_muse(image, path):
    """A MUSE-like file: empty primary, DATA, STAT, and DQ if masked."""
    header = image.wcs.to_header()
    header["BUNIT"] = image.unit.to_string("fits")
    hdus = [fits.PrimaryHDU(header=fits.Header({"OBJECT": "test"})),
            fits.ImageHDU(image.data, header=header, name="DATA"),
            fits.ImageHDU(image.uncertainty.array, header=image.wcs.to_header(),
                          name="STAT")]
    if image.mask is not None:
        hdus.append(fits.ImageHDU(image.mask.astype(np.int32), name="DQ"))
    fits.HDUList(hdus).writeto(path)
    return str(path)


def test_parse_corrections():
    assert parse_corrections("xy,scale,zero") == {"x", "y", "scale", "zero"}
    assert parse_corrections("x,y,scale,zero") == {"x", "y", "scale", "zero"}
    assert parse_corrections(" ZERO ") == {"zero"}
    assert parse_corrections(["y", "scale"]) == {"y", "scale"}
    with pytest.raises(UserError, match="corrections: unknown correction 'shift'"):
        parse_corrections("xy,shift")
    with pytest.raises(UserError, match="corrections: unknown correction ''"):
        parse_corrections("xy,,scale")
    with pytest.raises(UserError, match="corrections: no correction named"):
        parse_corrections([])
    with pytest.raises(UserError, match="corrections: expected a comma-separated"):
        parse_corrections(3)


def test_scale_and_zero():
    image = _image()
    fit = _fit()
    out = apply_corrections(image, fit, corrections="scale,zero")
    assert isinstance(out, CCDData)
    assert np.allclose(out.data, (image.data - 0.1) / 1.25)
    assert np.allclose(out.uncertainty.array, image.uncertainty.array / 1.25**2)
    assert np.array_equal(out.wcs.wcs.crpix, image.wcs.wcs.crpix)
    assert out.meta["IMPCORR"] == "scale,zero" and out.meta["IMPSCALE"] == 1.25
    only_zero = apply_corrections(image, fit, corrections="zero")
    assert np.allclose(only_zero.data, image.data - 0.1)
    only_scale = apply_corrections(image, fit, corrections="scale")
    assert np.allclose(only_scale.data, image.data / 1.25)


def test_crpix_correction_puts_the_star_at_its_true_sky_position():
    # MUSE features lie (dx, dy) from where the WCS says; after the CRPIX
    # correction, the MUSE star's pixel maps to the star's true position.
    dx, dy = 0.13, -0.07
    for rotation in (0.0, 35.0):
        hst, muse, truth = make_synthetic_pair(
            shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], dx=dx, dy=dy,
            rotation=rotation, noise=0.0, oversample=3)
        out = apply_corrections(muse, _fit(dx=dx, dy=dy), corrections="xy")
        assert np.allclose(out.wcs.wcs.crpix - muse.wcs.wcs.crpix, [dx / 0.2, dy / 0.2])
        muse_star_x, muse_star_y = 20.3 + dx / 0.2, 19.6 + dy / 0.2
        ra, dec = out.wcs.pixel_to_world_values(muse_star_x, muse_star_y)
        true_ra, true_dec = truth["star_radec"][0]
        assert abs(ra - true_ra) * np.cos(np.deg2rad(dec)) * 3600 < 1e-4
        assert abs(dec - true_dec) * 3600 < 1e-4
        assert np.array_equal(out.data, muse.data)


def test_single_axis_corrections():
    image = _image()
    out = apply_corrections(image, _fit(dx=0.1, dy=0.3), corrections="y")
    assert np.allclose(out.wcs.wcs.crpix - image.wcs.wcs.crpix, [0.0, 1.5])


def test_shift_image_moves_content_and_conserves_flux():
    yy, xx = np.mgrid[0:40, 0:40]
    blob = np.exp(-((xx - 20.0)**2 + (yy - 18.0)**2) / (2 * 2.0**2))
    mask = np.zeros(blob.shape, dtype=bool)
    shifted, new_mask, variance = shift_image(blob, mask, np.ones_like(blob), 0.4, -1.3)
    total = shifted.sum()
    assert total == pytest.approx(blob.sum(), rel=1e-6)
    cx = np.sum(xx * shifted) / total
    cy = np.sum(yy * shifted) / total
    assert cx == pytest.approx(19.6, abs=1e-3) and cy == pytest.approx(19.3, abs=1e-3)
    # Pixels whose content came from outside the image are masked.
    assert new_mask[:, -1].all() and new_mask[:2, :].all() and not new_mask[10:30, 5:35].any()
    # Sinc interpolation keeps the variance of white noise.
    assert np.allclose(variance, 1.0)
    noise = np.random.default_rng(1).normal(size=(200, 200))
    moved, _, _ = shift_image(noise, np.zeros(noise.shape, bool), None, 0.5, 0.3)
    assert np.var(moved[5:-5, 5:-5]) == pytest.approx(np.var(noise), rel=0.02)


def test_shift_image_moves_the_mask_and_does_not_ring_at_it():
    data = np.full((20, 20), 3.0)
    mask = np.zeros(data.shape, dtype=bool)
    mask[10, 10] = True
    data[10, 10] = 1e9  # a masked garbage value
    shifted, new_mask, _ = shift_image(data, mask, None, 1.0, 0.0)
    assert new_mask[10, 9] and not new_mask[10, 10]
    assert np.allclose(shifted[~new_mask], 3.0)
    with pytest.raises(UserError, match="every pixel is masked"):
        shift_image(data, np.ones_like(mask), None, 0.5, 0.5)


def test_resample_keeps_the_grid_and_moves_the_pixels():
    dx, dy = 0.13, -0.07
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], dx=dx, dy=dy,
        noise=0.0, bg=0.0, oversample=3)
    out = apply_corrections(muse, _fit(dx=dx, dy=dy, bg=0.0), corrections="xy",
                            resample=True)
    assert np.array_equal(out.wcs.wcs.crpix, muse.wcs.wcs.crpix)
    yy, xx = np.mgrid[0:41, 0:41]
    for image, x0, y0 in ((muse.data, 20.3 + dx / 0.2, 19.6 + dy / 0.2), (out.data, 20.3, 19.6)):
        weights = image * (np.hypot(xx - x0, yy - y0) < 8)
        assert np.sum(xx * weights) / weights.sum() == pytest.approx(x0, abs=0.02)
        assert np.sum(yy * weights) / weights.sum() == pytest.approx(y0, abs=0.02)
    assert out.data[~out.mask].sum() == pytest.approx(muse.data[~out.mask].sum(), rel=1e-3)


def test_input_is_not_modified_unless_inplace():
    image = _image(mask=np.zeros((30, 40), dtype=bool))
    data, crpix = image.data.copy(), image.wcs.wcs.crpix.copy()
    out = apply_corrections(image, _fit(), resample=True)
    assert out is not image
    assert np.array_equal(image.data, data) and np.array_equal(image.wcs.wcs.crpix, crpix)
    assert not image.mask.any()


@pytest.mark.parametrize("resample", [False, True])
def test_inplace_corrects_the_container(resample):
    image = _image(mask=np.zeros((30, 40), dtype=bool))
    expected = apply_corrections(image, _fit(), resample=resample)
    returned = apply_corrections(image, _fit(), resample=resample, inplace=True)
    assert returned is image
    assert np.allclose(image.data, expected.data)
    assert np.array_equal(image.mask, expected.mask)
    assert np.allclose(image.uncertainty.array, expected.uncertainty.array)
    assert np.allclose(image.wcs.wcs.crpix, expected.wcs.wcs.crpix)
    assert image.meta["IMPCORR"] == "x,y,scale,zero"


def test_inplace_keeps_the_kind_of_uncertainty():
    image = NDData(np.full((10, 10), 4.0), unit=SYNTHETIC_UNIT, wcs=muse_wcs((10, 10)),
                   uncertainty=StdDevUncertainty(np.full((10, 10), 0.5)))
    apply_corrections(image, _fit(), corrections="scale", inplace=True)
    assert isinstance(image.uncertainty, StdDevUncertainty)
    assert np.allclose(image.uncertainty.array, 0.4) and np.allclose(image.data, 3.2)


def test_inplace_refusals(tmp_path):
    path = _write_muse(_image(), tmp_path / "m.fits")
    with pytest.raises(UserError, match="inplace: only an NDData/CCDData image"):
        apply_corrections(path, _fit(), inplace=True)
    ints = CCDData(np.ones((5, 5), dtype=int), unit="adu", wcs=muse_wcs((5, 5)))
    with pytest.raises(UserError, match="inplace: the image data must be floating point"):
        apply_corrections(ints, _fit(unit=u.adu), inplace=True)
    with pytest.raises(UserError, match="inplace: expected True or False"):
        apply_corrections(_image(), _fit(), inplace="yes")


def test_fits_file_input_gives_ccddata_and_leaves_the_file(tmp_path):
    image = _image()
    path = _write_muse(image, tmp_path / "m.fits")
    before = os.path.getmtime(path), os.path.getsize(path)
    out = apply_corrections(path, _fit())
    assert isinstance(out, CCDData)
    assert np.allclose(out.data, (image.data - 0.1) / 1.25)
    assert (os.path.getmtime(path), os.path.getsize(path)) == before
    # The returned header has no stale WCS keywords.
    assert "CRPIX1" not in out.meta and "BUNIT" in out.to_hdu()[0].header


def test_background_is_converted_to_the_image_unit():
    image = _image()
    tenfold = CCDData(image.data, unit=u.Unit(1e-21 * u.erg / u.s / u.cm**2 / u.AA),
                      wcs=image.wcs)
    out = apply_corrections(tenfold, _fit(bg=0.1), corrections="zero")
    assert np.allclose(out.data, image.data - 1.0)
    adu = CCDData(image.data, unit="adu", wcs=image.wcs)
    with pytest.raises(UserError, match="cannot be converted"):
        apply_corrections(adu, _fit(), corrections="zero")


def test_bad_fit_results():
    with pytest.raises(UserError, match="imfit: expected the result of fit_image"):
        apply_corrections(_image(), object())
    with pytest.raises(UserError, match="imfit: the fitted scale -1.0 is not positive"):
        apply_corrections(_image(), _fit(scale=-1.0))
    with pytest.raises(UserError, match="imfit: the fitted dx"):
        apply_corrections(_image(), _fit(dx=np.nan))
    with pytest.raises(UserError, match="resample: expected True or False"):
        apply_corrections(_image(), _fit(), resample="no")


def test_aligned_filename():
    assert aligned_filename("a/b/IMAGE.fits") == "a/b/IMAGE_aligned.fits"
    assert aligned_filename("IMAGE.fits.gz") == "IMAGE_aligned.fits"
    assert aligned_filename("IMAGE.FITS") == "IMAGE_aligned.fits"
    assert aligned_filename("image") == "image_aligned.fits"
    assert aligned_filename(None) == "muse_aligned.fits"


@pytest.mark.parametrize("resample", [False, True])
def test_written_file_reads_back_as_the_corrected_image(tmp_path, resample):
    mask = np.zeros((30, 40), dtype=bool)
    mask[3:5, 7] = True
    image = _image(mask=mask, rotation=20.0)
    source = _write_muse(image, tmp_path / "exp.fits")
    path = write_aligned_image(source, _fit(), resample=resample)
    assert path == str(tmp_path / "exp_aligned.fits")
    assert sorted(os.listdir(tmp_path)) == ["exp.fits", "exp_aligned.fits"]
    expected = apply_corrections(source, _fit(), resample=resample)
    back = read_image(path)
    assert np.array_equal(back.mask, expected.mask)
    good = ~back.mask
    assert np.allclose(back.data[good], expected.data[good])
    assert np.allclose(back.variance[good], expected.uncertainty.array[good])
    assert back.unit == image.unit
    assert np.allclose(back.wcs.wcs.crpix, expected.wcs.wcs.crpix)
    assert np.allclose(back.wcs.pixel_to_world_values(3.0, 4.0),
                       expected.wcs.pixel_to_world_values(3.0, 4.0), rtol=0, atol=1e-10)
    with fits.open(path) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "DATA", "STAT", "DQ"]
        assert hdul[0].header["OBJECT"] == "test"
        assert hdul["DATA"].header["IMPRESAM"] == resample


def test_writer_never_replaces_an_input(tmp_path):
    image = _image()
    muse_file = _write_muse(image, tmp_path / "exp.fits")
    hst_file = _write_muse(image, tmp_path / "exp_aligned.fits")
    with pytest.raises(UserError, match="apply: .*exp_aligned.fits is an input file"):
        write_aligned_image(muse_file, _fit(), inputs=[hst_file])
    with pytest.raises(UserError, match="is an input file"):
        write_aligned_image(muse_file, _fit(), output=muse_file)
    with pytest.raises(UserError, match="directory of .* does not exist"):
        write_aligned_image(muse_file, _fit(), output=tmp_path / "no" / "x.fits")
    assert sorted(os.listdir(tmp_path)) == ["exp.fits", "exp_aligned.fits"]


def test_fit_image_photometry_apply_writes_next_to_the_muse_file(tmp_path, monkeypatch):
    hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    muse_file = _write_muse(muse, tmp_path / "cube-white.fits")
    fit = fit_image_photometry(hst, muse_file, fix_beta=2.5, apply=True)
    written = tmp_path / "cube-white_aligned.fits"
    back = read_image(str(written))
    expected = apply_corrections(muse_file, fit)
    assert np.allclose(back.data, expected.data)
    assert np.allclose(back.wcs.wcs.crpix, expected.wcs.wcs.crpix)
    # From no file: muse_aligned.fits in the current directory.
    monkeypatch.chdir(tmp_path)
    fit_image_photometry(hst, muse, fix_beta=2.5, apply=True, resample=True)
    with fits.open(tmp_path / "muse_aligned.fits") as hdul:
        assert hdul["DATA"].header["IMPRESAM"] is True
