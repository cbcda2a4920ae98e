"""ds9 regions become masks in the right places."""

import numpy as np
import pytest

from imphot_astropy.masking import read_ds9_regions, regions_mask, star_region
from imphot_astropy.datasets.synthetic import muse_wcs

SHAPE = (50, 60)


@pytest.fixture(params=[0.0, 30.0])
def wcs(request):
    return muse_wcs(SHAPE, rotation=request.param)


def test_physical_and_image_coordinates_are_one_based(wcs):
    for frame in ("image", "physical"):
        regs = read_ds9_regions([f"{frame}; circle(11, 21, 2.5)"])
        keep = ~regions_mask(regs, wcs, SHAPE)
        ys, xs = np.nonzero(keep)
        assert (xs.mean(), ys.mean()) == (10.0, 20.0)


def test_sky_circle_lands_on_its_pixel(wcs):
    ra, dec = wcs.pixel_to_world_values(40.0, 15.0)
    regs = read_ds9_regions(["fk5", f'circle({ra:.9f}, {dec:.9f}, 1.1")'])
    keep = ~regions_mask(regs, wcs, SHAPE)
    ys, xs = np.nonzero(keep)
    assert xs.mean() == pytest.approx(40, abs=0.01) and ys.mean() == pytest.approx(15, abs=0.01)
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    assert keep.sum() == np.sum(np.hypot(xx - 40, yy - 15) < 5.5)


def test_include_and_exclude_combine(wcs):
    regs = read_ds9_regions(["image", "box(30.5, 25.5, 20, 10, 0)", "-circle(30, 25, 2.2)"])
    keep = ~regions_mask(regs, wcs, SHAPE)
    assert keep.sum() == 20 * 10 - 13
    assert not keep[24, 29] and keep[24, 22] and not keep[24, 18]


def test_only_excludes_keep_everything_else(wcs):
    regs = read_ds9_regions(["image; -ellipse(30, 25, 6.2, 3.2, 0)"])
    mask = regions_mask(regs, wcs, SHAPE)
    assert mask[24, 29] and mask[24, 34] and not mask[24, 37] and not mask[28, 29]


def test_rotated_ellipse_in_sky_coordinates(wcs):
    ra, dec = wcs.pixel_to_world_values(30.0, 25.0)
    regs = read_ds9_regions(["fk5", f'ellipse({ra}, {dec}, 2", 0.5", 90)'])
    keep = ~regions_mask(regs, wcs, SHAPE)
    ys, xs = np.nonzero(keep)
    # Position angle 90 from the RA axis: the major axis points north.
    north = np.array(wcs.world_to_pixel_values(ra, dec + 1 / 3600)) - [30.0, 25.0]
    extent = np.array([xs - 30.0, ys - 25.0])
    along = np.abs(north @ extent) / np.linalg.norm(north)
    assert along.max() == pytest.approx(10, abs=1.0)


def test_star_region(wcs):
    ra, dec = wcs.pixel_to_world_values(10.0, 10.0)
    keep = ~regions_mask([star_region((ra, dec, 1.1))], wcs, SHAPE)
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    assert keep.sum() == np.sum(np.hypot(xx - 10, yy - 10) < 5.5) and keep[10, 10]
