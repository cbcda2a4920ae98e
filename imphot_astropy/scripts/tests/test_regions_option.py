"""fit_photometry --regions with ds9 files in other sky frames, and a directory.

The documentation promises that galactic and ecliptic regions are
converted (the command used to end in ``AttributeError: 'SkyCoord' object
has no attribute 'x'``); a directory given as the region file is said to
be one (it used to be "does not exist").
"""

import pytest
from astropy.coordinates import SkyCoord

from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.scripts.fit_photometry import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("regions")
    hst, muse, _ = make_synthetic_pair(shape=(60, 60), oversample=3, seed=4)
    hst_path, muse_path = directory / "hst.fits", directory / "muse.fits"
    hst.write(hst_path)
    muse.write(muse_path)
    ra, dec = muse.wcs.pixel_to_world_values(33.0, 27.0)
    return str(hst_path), str(muse_path), SkyCoord(ra, dec, unit="deg"), directory


def _region_file(directory, ds9_frame, coord):
    """A ds9 file with one circle at ``coord``, written in ``ds9_frame``."""
    import regions
    frame = regions.Regions.parse(f'{ds9_frame}; circle(1, 1, 1")',
                                  format="ds9")[0].center.frame
    there = coord.transform_to(frame).spherical
    path = directory / f"{ds9_frame}.reg"
    path.write_text(f'{ds9_frame}\ncircle({there.lon.deg:.10f}, {there.lat.deg:.10f}, '
                    '4.5")\n')
    return str(path)


def test_galactic_and_ecliptic_regions_fit_the_same_pixels(files, capsys):
    hst, muse, coord, directory = files
    tables = {}
    for frame in ("fk5", "galactic", "ecliptic"):
        path = _region_file(directory, frame, coord)
        assert main([hst, muse, "--regions", path]) == 0, capsys.readouterr().err
        tables[frame] = capsys.readouterr().out
    assert tables["galactic"] == tables["fk5"]
    assert tables["ecliptic"] == tables["fk5"]
    # The regions did restrict the fit: without them it differs.
    assert main([hst, muse, "--regions", "none"]) == 0
    assert capsys.readouterr().out != tables["fk5"]


def test_directory_as_region_file(files, capsys):
    hst, muse, _, directory = files
    assert main([hst, muse, "--regions", str(directory)]) == 1
    err = capsys.readouterr().err
    assert f"{directory} is a directory, not a ds9 region file" in err
    assert "Traceback" not in err
