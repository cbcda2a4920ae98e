"""ds9 regions in galactic and ecliptic coordinates land where the same sky is.

The documentation promises that sky frames other than fk5/icrs are
converted; each case is compared with the same place written in fk5 (a
circle) and with a polygon through the corners of a rotated box, placed
in the box's own frame (its angle counts from that frame's longitude axis,
as in ds9, and must be turned as the frame is: the regions package's own
``to_pixel`` counts it from the WCS's RA axis whatever the frame).
"""

import numpy as np
import pytest
import regions
import astropy.units as u
from astropy.coordinates import SkyCoord

from imphot_astropy.datasets.synthetic import muse_wcs
from imphot_astropy.exceptions import UserError
from imphot_astropy.masking import read_ds9_regions, regions_mask

SHAPE = (50, 60)
WCS = muse_wcs(SHAPE, rotation=20.0)


def _frame_of(ds9_frame):
    """The astropy frame the regions package reads a ds9 frame as."""
    parsed = regions.Regions.parse(f'{ds9_frame}; circle(10, 10, 1")', format="ds9")
    return parsed[0].center.frame


def _lonlat(x, y, ds9_frame):
    ra, dec = WCS.pixel_to_world_values(x, y)
    coord = SkyCoord(ra, dec, unit="deg", frame="icrs").transform_to(_frame_of(ds9_frame))
    return coord.spherical.lon.deg, coord.spherical.lat.deg


@pytest.mark.parametrize("frame", ["galactic", "ecliptic"])
def test_circle_in_other_frame_is_the_fk5_circle(frame):
    lon, lat = _lonlat(40.0, 15.0, frame)
    other = read_ds9_regions([frame, f'circle({lon:.10f}, {lat:.10f}, 1.1")'])
    assert other[0].center.frame.name == "icrs"
    ra, dec = WCS.pixel_to_world_values(40.0, 15.0)
    fk5 = read_ds9_regions(["fk5", f'circle({ra:.10f}, {dec:.10f}, 1.1")'])
    keep = ~regions_mask(other, WCS, SHAPE)
    assert keep.sum() > 80
    assert np.array_equal(keep, ~regions_mask(fk5, WCS, SHAPE))


def _corner_polygon(lon, lat, frame, width, height, angle):
    """The box's corners, offset in its own frame, as a pixel polygon.

    As in ds9, the width lies along the frame's longitude axis, toward
    decreasing longitude (west, the +x axis of a north-up image), turned by
    ``angle`` toward north: position angle (east of north) angle - 90; the
    height along position angle ``angle``.
    """
    center = SkyCoord(lon * u.deg, lat * u.deg, frame=_frame_of(frame))
    along_width = (angle - 90.0) * u.deg
    along_height = angle * u.deg
    corners = []
    for sw, sh in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        point = center.directional_offset_by(along_width, sw * width / 2 * u.arcsec)
        point = point.directional_offset_by(along_height, sh * height / 2 * u.arcsec)
        corners.append(point.icrs)
    x, y = WCS.world_to_pixel(SkyCoord(corners))
    return regions.PolygonPixelRegion(regions.PixCoord(x, y))


@pytest.mark.parametrize("frame", ["galactic", "ecliptic"])
def test_rotated_box_keeps_its_orientation_on_the_sky(frame):
    lon, lat = _lonlat(30.0, 25.0, frame)
    converted = read_ds9_regions([frame, f'-box({lon:.10f}, {lat:.10f}, 2", 7", 35)'])
    assert converted[0].center.frame.name == "icrs"
    polygon = _corner_polygon(lon, lat, frame, 2.0, 7.0, 35.0)
    expected = polygon.to_mask(mode="center").to_image(SHAPE).astype(bool)
    excluded = regions_mask(converted, WCS, SHAPE)
    assert expected.sum() > 50
    assert np.array_equal(excluded, expected)
    # Unturned, the box would cover other pixels.
    unturned = converted[0].copy()
    unturned.angle = 35 * u.deg
    assert not np.array_equal(regions_mask([unturned], WCS, SHAPE), expected)


def test_corner_polygon_reads_angles_as_ds9_does():
    """The truth above agrees with the regions package where no frame turns."""
    ra, dec = WCS.pixel_to_world_values(30.0, 25.0)
    fk5 = read_ds9_regions(["fk5", f'box({ra:.10f}, {dec:.10f}, 2", 7", 35)'])
    polygon = _corner_polygon(float(ra), float(dec), "fk5", 2.0, 7.0, 35.0)
    assert np.array_equal(~regions_mask(fk5, WCS, SHAPE),
                          polygon.to_mask(mode="center").to_image(SHAPE).astype(bool))


def test_directory_is_not_called_missing(tmp_path):
    with pytest.raises(UserError, match=f"regions: {tmp_path} is a directory, not a ds9 "
                                        "region file"):
        read_ds9_regions(str(tmp_path))
