"""fit_cube_photometry --filter-curve: a band's curve replaces the installed one."""

import warnings

import numpy as np
from astropy.table import Table

from imphot_astropy.bandpasses import hst_filter_bandpass
from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
from imphot_astropy.scripts.fit_cube_photometry import main


def test_filter_curve_option_is_used_and_recorded(tmp_path):
    cube, hst, truth = make_exposure_cube(shape=(40, 40), nplanes=20, filters=("F775W",),
                                          seed=4)
    cube_path, hst_path = tmp_path / "exposure.fits", tmp_path / "hst.fits"
    write_exposure_cube(cube, cube_path)
    hst["F775W"].write(hst_path)
    bandpass = hst_filter_bandpass("F775W")
    curve = tmp_path / "my_f775w.dat"
    np.savetxt(curve, np.column_stack([bandpass.waveset.value,
                                       bandpass(bandpass.waveset).value]))
    table = tmp_path / "fits.ecsv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main([str(cube_path), "--hst", f"F775W={hst_path}", "--filter-curve",
                       f"F775W={curve}", "--fwhm-degree", "0", "--fix-beta", "2.5",
                       "--table", str(table), "--nprocess", "1"])
    assert status == 0
    rows = Table.read(table)
    assert rows.meta["filter_curves"] == {"F775W": "my_f775w"}
    assert np.all(np.abs(rows["dx"] - truth["dx"]) < 0.01)
