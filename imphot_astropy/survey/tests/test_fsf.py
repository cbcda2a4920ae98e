"""FSF keywords: ours read by MPDAF, MPDAF's read by us, the old MOFFAT1 form."""

import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy import UserError
from imphot_astropy.datasets import muse_wcs
from imphot_astropy.survey import FSFModel

PIVOTS = (5921.1, 7692.4, 8057.0, 9033.1)


def _header_with_wcs():
    header = muse_wcs((100, 100)).to_header()
    header["NAXIS"] = 2
    header["NAXIS1"] = header["NAXIS2"] = 100
    return header


def test_mpdaf_reads_our_keywords():
    mpdaf_fsf = pytest.importorskip("mpdaf.MUSE", reason="mpdaf is not installed")
    ours = FSFModel([0.651, -0.187, 0.012], [2.43, 0.21], lbrange=(4750.0, 9350.0))
    header = ours.to_header(_header_with_wcs())
    theirs = mpdaf_fsf.FSFModel.read(header)
    for lam in PIVOTS:
        assert abs(theirs.get_fwhm(lam) - ours.fwhm(lam)) < 1e-6
        assert abs(theirs.get_beta(lam) - ours.beta(lam)) < 1e-6


def test_we_read_mpdaf_keywords():
    mpdaf_fsf = pytest.importorskip("mpdaf.MUSE", reason="mpdaf is not installed")
    # MPDAF's coefficients run from the highest power down.
    theirs = mpdaf_fsf.MoffatModel2([0.012, -0.187, 0.651], [0.21, 2.43], (5000, 9000), 0.2)
    header = theirs.to_header(_header_with_wcs())
    ours = FSFModel.from_header(header)
    for lam in PIVOTS:
        assert abs(theirs.get_fwhm(lam) - ours.fwhm(lam)) < 1e-9
        assert abs(theirs.get_beta(lam) - ours.beta(lam)) < 1e-9


def test_moffat1_read_as_mpdaf_does():
    header = fits.Header({"FSFMODE": "MOFFAT1", "FSF00FWA": 0.95, "FSF00FWB": -4.2e-5,
                          "FSF00BET": 2.7})
    ours = FSFModel.read(header)
    lam = np.array(PIVOTS)
    np.testing.assert_allclose(ours.fwhm(lam), 0.95 - 4.2e-5 * lam, rtol=1e-12)
    np.testing.assert_allclose(ours.beta(lam), 2.7)
    mpdaf_fsf = pytest.importorskip("mpdaf.MUSE", reason="mpdaf is not installed")
    theirs = mpdaf_fsf.FSFModel.read(header, pixstep=0.2)
    np.testing.assert_allclose(ours.fwhm(lam), theirs.get_fwhm(lam), rtol=1e-12)


def test_moffat_model_has_the_fwhm_and_unit_volume():
    model = FSFModel([0.6, -0.2], [2.5]).moffat(8000.0)
    assert model.fwhm == pytest.approx(float(FSFModel([0.6, -0.2], [2.5]).fwhm(8000.0)))
    y, x = np.mgrid[-200:201, -200:201] * 0.02
    assert model(x, y).sum() * 0.02**2 == pytest.approx(1.0, abs=0.01)


def test_rewriting_drops_stale_coefficients(tmp_path):
    header = FSFModel([0.6, -0.2, 0.03], [2.5, 0.1]).to_header()
    FSFModel([0.7], [2.6]).to_header(header)
    assert "FSF00F02" not in header and "FSF00B01" not in header
    path = tmp_path / "cube.fits"
    fits.PrimaryHDU(header=header).writeto(path)
    assert FSFModel.read(path).fwhm(7000.0) == pytest.approx(0.7)


def test_errors():
    with pytest.raises(UserError, match="FSFMODE"):
        FSFModel.from_header(fits.Header())
    with pytest.raises(UserError, match="lbrange"):
        FSFModel([0.6], [2.5], lbrange=(9000, 5000))
    with pytest.raises(UserError, match="field"):
        FSFModel.from_header(FSFModel([0.6], [2.5]).to_header(), field=3)


@pytest.mark.parametrize("field", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99])
def test_mpdaf_finds_every_field_we_write(field):
    mpdaf_fsf = pytest.importorskip("mpdaf.MUSE", reason="mpdaf is not installed")
    ours = FSFModel([0.62 + 0.01 * field, -0.15], [2.4, 0.1], lbrange=(4750.0, 9350.0))
    header = ours.to_header(_header_with_wcs(), field=field)
    assert header["NFIELDS"] == 1
    theirs = mpdaf_fsf.FSFModel.read(header)        # MPDAF's defaults
    assert theirs is not None and theirs.field == field
    for lam in PIVOTS:
        assert abs(theirs.get_fwhm(lam) - ours.fwhm(lam)) < 1e-9
        assert abs(theirs.get_beta(lam) - ours.beta(lam)) < 1e-9
    assert FSFModel.from_header(header).fwhm(7000.0) == pytest.approx(ours.fwhm(7000.0))


@pytest.mark.parametrize("with_field_0", [False, True])
def test_two_fields_set_nfields_as_mpdaf_reads_it(with_field_0):
    mpdaf_fsf = pytest.importorskip("mpdaf.MUSE", reason="mpdaf is not installed")
    header = _header_with_wcs()
    models = {1: FSFModel([0.7, -0.2], [2.5]), 2: FSFModel([0.6, -0.1], [2.3])}
    if with_field_0:
        FSFModel([0.9], [3.0]).to_header(header, field=0)
    for field, model in models.items():
        model.to_header(header, field=field)
    assert header["NFIELDS"] == 2
    theirs = mpdaf_fsf.FSFModel.read(header)
    assert len(theirs) == 2                            # fields 1 and 2; 00 skipped
    for model, their in zip(models.values(), theirs):
        for lam in PIVOTS:
            assert abs(their.get_fwhm(lam) - model.fwhm(lam)) < 1e-9
            assert abs(their.get_beta(lam) - model.beta(lam)) < 1e-9
    # We read NFIELDS the same way: field 1 first, not field 00.
    assert FSFModel.from_header(header).fwhm(7000.0) == pytest.approx(0.7)
    assert FSFModel.from_header(header, field=2).beta(7000.0) == pytest.approx(2.3)


def test_field_numbers_mpdaf_cannot_find_are_refused():
    for field in (10, 12, 98, -1, 100, 1.0):
        with pytest.raises(UserError, match="field: .*0-9 or 99.*MPDAF"):
            FSFModel([0.6], [2.5]).to_header(field=field)
    header = FSFModel([0.6], [2.5], lbrange=(5000.0, 9000.0)).to_header(field=1)
    with pytest.raises(UserError, match="FSFLB1, FSFLB2"):
        FSFModel([0.6], [2.5], lbrange=(4750.0, 9350.0)).to_header(header, field=2)
    header["NFIELDS"] = 3
    with pytest.raises(UserError, match=r"NFIELDS = 3 .*\[2, 3\]"):
        FSFModel.from_header(header)
