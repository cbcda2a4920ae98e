"""The star and image-and-star iterators: identity with direct calls."""

import pytest

from imphot_astropy.exceptions import UserError, WorkerError
from imphot_astropy.fitting import FittedImagePhotometry, FittedStarPhotometry
from imphot_astropy.photometry import fit_star_photometry, fit_image_and_star_photometry
from imphot_astropy.batch import FitStarPhotometryMP, FitImageAndStarPhotometryMP

from .compare import assert_identical


@pytest.fixture(scope="module")
def star(field):
    ra, dec = field.truths[0]["star_radec"][0]
    return (ra, dec, 1.5)


def test_star_iterator_is_identical_to_direct_calls(field, star, corrupt_muse):
    kwargs = {"star": star, "fix_beta": 2.5}
    files = field.muses[:3] + [corrupt_muse]
    with FitStarPhotometryMP(field.hst, files, kwargs, nworker=2) as fits:
        items = list(fits)
        stats = fits.worker_stats
    errors = [i for i in items if isinstance(i, WorkerError)]
    results = [i for i in items if not isinstance(i, WorkerError)]
    assert len(errors) == 1 and errors[0].filename == corrupt_muse
    assert sorted(r.filename for r in results) == sorted(field.muses[:3])
    for result in results:
        assert isinstance(result, FittedStarPhotometry)
        assert_identical(result, fit_star_photometry(field.hst, result.filename, **kwargs))
        # The star says which file it came from too: the seeing differs by 0.02".
        truth = field.truths[field.muses.index(result.filename)]
        assert abs(result.fwhm.value - truth["fwhm"]) < 0.05
    assert all(s["hst_reads"] == 1 for s in stats.values())


def test_image_and_star_iterator_gives_both_results_of_each_file(field, star):
    kwargs = {"star": star, "fix_beta": 2.5}
    files = field.muses[3:6]
    with FitImageAndStarPhotometryMP(field.hst, files, kwargs, nworker=2) as fits:
        pairs = list(fits)
    assert sorted(p[0].filename for p in pairs) == sorted(files)
    for image_fit, star_fit in pairs:
        assert isinstance(image_fit, FittedImagePhotometry)
        assert isinstance(star_fit, FittedStarPhotometry)
        assert image_fit.filename == star_fit.filename
        assert_identical((image_fit, star_fit),
                         fit_image_and_star_photometry(field.hst, image_fit.filename,
                                                       **kwargs))


def test_star_iterators_need_a_star(field):
    with pytest.raises(UserError, match="star=\\(ra, dec, radius\\)"):
        FitStarPhotometryMP(field.hst, field.muses, {"fix_beta": 2.5})
    with pytest.raises(UserError, match="star=\\(ra, dec, radius\\)"):
        FitImageAndStarPhotometryMP(field.hst, field.muses, {})
    with pytest.raises(UserError, match="'taper' is not a keyword argument of "
                                        "fit_star_photometry"):
        FitStarPhotometryMP(field.hst, field.muses, {"star": (1, 2, 3), "taper": 2})
