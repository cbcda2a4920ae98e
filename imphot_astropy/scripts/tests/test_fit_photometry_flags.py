"""fit_photometry prints the quality flags and writes them to its table."""

from astropy.io import fits
from astropy.table import Table

from imphot_astropy.scripts.fit_photometry import main
from imphot_astropy.batch.tests.helpers import write_synthetic_field


def _unmarked_copy(path, out):
    """The file's image alone, without the marks that give swapped inputs
    away (a STAT extension, the IMPFILT keywords of a regridded HST image)."""
    with fits.open(path) as hdul:
        hdu = hdul["DATA"] if "DATA" in hdul else hdul[0]
        header = hdu.header.copy()
        for key in [k for k in header if k.startswith("IMPF")]:
            del header[key]
        fits.PrimaryHDU(hdu.data, header).writeto(out)
    return str(out)


def test_swapped_inputs_print_a_bound_flag(tmp_path, capsys):
    hst, muses, _ = write_synthetic_field(str(tmp_path), 1, shape=(48, 48), seed=5)
    table = str(tmp_path / "fits.ecsv")
    # The MUSE image given as the HST image and the other way round, in
    # files without the marks by which the fitters refuse swapped inputs.
    assert main([_unmarked_copy(muses[0], tmp_path / "m.fits"),
                 _unmarked_copy(hst, tmp_path / "h.fits"), "--table", table]) == 0
    err = capsys.readouterr().err
    # beta is fixed on the command line; the FWHM falls below a pixel.
    assert "flags:" in err and "bound: fwhm" in err and "swapped" in err
    written = Table.read(table)
    assert bool(written["flag_bound"][0]) and "fwhm" in written["flags"][0]


def test_clean_fits_print_no_flag(tmp_path, capsys):
    hst, muses, _ = write_synthetic_field(str(tmp_path), 1, shape=(48, 48), seed=6)
    assert main([hst, muses[0]]) == 0
    assert "flags:" not in capsys.readouterr().err
