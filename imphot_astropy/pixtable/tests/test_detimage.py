"""Detector images rebuilt from pixel tables."""

import numpy as np
import pytest
import astropy.units as u

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import PixTable


def _single_ifu(projected, ifu):
    pix = PixTable(projected.path, chunk_rows=5000)
    sub = pix.extract(ifu=ifu, exp=1)
    truth = projected.truth
    rows = (truth["ifu"] == ifu) & (truth["exp"] == 1)
    return sub, {key: value[rows] for key, value in truth.items()}


def test_data_image_puts_each_row_at_its_ccd_pixel(projected):
    sub, truth = _single_ifu(projected, 6)
    image = sub.reconstruct_det_image()
    xstart, ystart = truth["xpix"].min(), truth["ypix"].min()
    assert image.shape == (truth["ypix"].max() - ystart + 1,
                           truth["xpix"].max() - xstart + 1)
    assert image.unit == projected.synth.units()["data"]
    assert np.array_equal(image.data[truth["ypix"] - ystart,
                                     truth["xpix"] - xstart],
                          truth["data"].astype(float))
    assert (~image.mask).sum() == sub.nrows
    assert np.isnan(image.data[image.mask]).all()
    assert image.wcs.pixel_to_world_values(0, 0) == pytest.approx(
        (xstart, ystart))
    assert (image.meta["IFU"], image.meta["XSTART"], image.meta["YSTART"]) \
        == (6, xstart, ystart)


def test_wavelength_image(projected):
    sub, truth = _single_ifu(projected, 11)
    image = sub.reconstruct_det_waveimage()
    xstart, ystart = truth["xpix"].min(), truth["ypix"].min()
    assert image.unit == u.AA
    assert np.array_equal(image.data[truth["ypix"] - ystart,
                                     truth["xpix"] - xstart],
                          truth["lambda"].astype(float))
    assert (~image.mask).sum() == sub.nrows


def test_window(projected):
    sub, truth = _single_ifu(projected, 6)
    x0, y0 = int(truth["xpix"].min()) + 200, 1000
    image = sub.reconstruct_det_image(xstart=x0, ystart=y0, xstop=x0 + 99,
                                      ystop=y0 + 2999)
    inside = ((truth["xpix"] >= x0) & (truth["xpix"] < x0 + 100)
              & (truth["ypix"] >= y0) & (truth["ypix"] < y0 + 3000))
    assert image.shape == (3000, 100)
    assert (~image.mask).sum() == inside.sum() > 0
    assert np.array_equal(image.data[truth["ypix"][inside] - y0,
                                     truth["xpix"][inside] - x0],
                          truth["data"][inside].astype(float))
    with pytest.raises(UserError, match="empty region"):
        sub.reconstruct_det_image(xstart=10, xstop=5)


def test_refuses_several_ifus_or_exposures(projected):
    pix = PixTable(projected.path)
    with pytest.raises(UserError, match=r"IFUs \[5, 6\]"):
        pix.extract(ifu=[5, 6]).reconstruct_det_image()
    sub = pix.extract(ifu=5, exp=1)
    twice = PixTable(xpos=np.tile(sub.get_xpos(), 2),
                     ypos=np.tile(sub.get_ypos(), 2),
                     lbda=np.tile(sub.get_lambda(), 2),
                     data=np.tile(sub.get_data(), 2),
                     dq=np.tile(sub.get_dq(), 2),
                     stat=np.tile(sub.get_stat(), 2),
                     origin=np.tile(sub.get_origin(), 2),
                     primary_header=sub.primary_header)
    with pytest.raises(UserError, match="several rows"):
        twice.reconstruct_det_image()
