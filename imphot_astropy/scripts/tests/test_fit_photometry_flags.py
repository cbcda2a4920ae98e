"""fit_photometry prints the quality flags and writes them to its table."""

from astropy.table import Table

from imphot_astropy.scripts.fit_photometry import main
from imphot_astropy.batch.tests.helpers import write_synthetic_field


def test_swapped_inputs_print_a_bound_flag(tmp_path, capsys):
    hst, muses, _ = write_synthetic_field(str(tmp_path), 1, shape=(48, 48), seed=5)
    table = str(tmp_path / "fits.ecsv")
    # The MUSE image given as the HST image and the other way round.
    assert main([muses[0], hst, "--table", table]) == 0
    err = capsys.readouterr().err
    # beta is fixed on the command line; the FWHM falls below a pixel.
    assert "flags:" in err and "bound: fwhm" in err and "swapped" in err
    written = Table.read(table)
    assert bool(written["flag_bound"][0]) and "fwhm" in written["flags"][0]


def test_clean_fits_print_no_flag(tmp_path, capsys):
    hst, muses, _ = write_synthetic_field(str(tmp_path), 1, shape=(48, 48), seed=6)
    assert main([hst, muses[0]]) == 0
    assert "flags:" not in capsys.readouterr().err
