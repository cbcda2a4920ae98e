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


# --- Parity with the reference tool (issue 18) ---------------------------

from imphot_astropy import UserError  # noqa: E402
from imphot_astropy.masking import fit_regions, IgnoredRegionWarning  # noqa: E402


def test_unsupported_shapes_are_ignored_with_a_warning_naming_the_line(wcs, tmp_path):
    path = tmp_path / "mixed.reg"
    path.write_text("# Region file format: DS9 version 4.1\n"
                    "image\n"
                    "polygon(1, 1, 5, 1, 5, 5)\n"
                    "circle(11, 21, 2.5)\n"
                    "point(3, 3) # point=x\n"
                    "annulus(30, 30, 2, 4)\n"
                    "text(20, 20) # text={label}\n"
                    "vector(10, 10, 5, 45)\n"
                    "-box(11, 21, 1, 1, 0)\n")
    with pytest.warns(IgnoredRegionWarning) as caught:
        regs = read_ds9_regions(str(path))
    messages = [str(w.message) for w in caught]
    assert len(messages) == 5
    for line, shape in [(3, "polygon"), (5, "point"), (6, "annulus"), (7, "text"),
                        (8, "vector")]:
        assert any(f"mixed.reg, line {line}: ignoring the {shape} region" in m
                   for m in messages), (line, messages)
    # The circle and the box still mask exactly as on their own.
    alone = read_ds9_regions(["image", "circle(11, 21, 2.5)", "-box(11, 21, 1, 1, 0)"])
    np.testing.assert_array_equal(regions_mask(regs, wcs, SHAPE),
                                  regions_mask(alone, wcs, SHAPE))


def test_a_file_of_only_unsupported_shapes_is_refused():
    with pytest.raises(UserError, match="line 2: the region shape 'polygon' is not "
                                        "supported.*no region of these shapes"):
        read_ds9_regions(["fk5", "polygon(338.23, -60.56, 338.24, -60.56, 338.24, -60.55)",
                          "point(338.23, -60.56)"])


def test_star_overrides_a_region_file(wcs, tmp_path):
    ra, dec = wcs.pixel_to_world_values(10.0, 10.0)
    star = (float(ra), float(dec), 1.1)
    path = tmp_path / "other.reg"
    path.write_text("image\ncircle(40, 30, 5)\n")
    with pytest.warns(UserWarning, match="star overrides regions"):
        regs = fit_regions(str(path), star)
    np.testing.assert_array_equal(regions_mask(regs, wcs, SHAPE),
                                  regions_mask([star_region(star)], wcs, SHAPE))
    # Without a star the file is used; "star"/"notstar" mean nothing without one.
    assert len(fit_regions(str(path))) == 1
    for name in ("star", "notstar"):
        with pytest.raises(UserError, match=f"regions: '{name}' needs the star argument"):
            fit_regions(name)
    for nothing in (None, "none", "", " NONE "):
        assert fit_regions(nothing) == []
        assert [r.meta["include"] for r in fit_regions(nothing, star)] == [True]
    assert [r.meta["include"] for r in fit_regions("notstar", star)] == [False]
