"""A synthetic survey with two planted problems, and its report."""

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")

from imphot_astropy.datasets import make_survey_table  # noqa: E402
from imphot_astropy.report import survey_report  # noqa: E402

#: 24 exposures; exposure 5's offset jumps by 0.4" in x, exposure 16's FWHM
#: is 1.5 times what the seeing monitor predicts (the others: 0.8 times).
N_EXPOSURES = 24
JUMP = {5: (0.4, 0.0)}
MISMATCH = {16: 1.5}


@pytest.fixture(scope="session")
def planted_survey():
    return make_survey_table(N_EXPOSURES, offset_jumps=JUMP, seeing_mismatches=MISMATCH,
                             seed=11)


@pytest.fixture(scope="session")
def planted_report(planted_survey, tmp_path_factory):
    table, headers, truth = planted_survey
    directory = tmp_path_factory.mktemp("report") / "survey"
    index = survey_report(table, directory, cubes=headers, nprocess=1)
    return index, directory
