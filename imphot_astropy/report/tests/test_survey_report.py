"""The survey report names the planted outliers, and every link resolves."""

import os
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

from imphot_astropy.exceptions import UserError
from imphot_astropy.plotting.layout import figure_layout_problems
from imphot_astropy.report import observing_conditions, summarise_survey, survey_report
from imphot_astropy.plotting import plot_cube_fit
from imphot_astropy.report._figures import (EXPOSURE_DPI, SURVEY_DPI, SURVEY_FIGURES,
                                            TableExposure)

from .conftest import JUMP, MISMATCH, N_EXPOSURES


class _Links(HTMLParser):
    """The href, src and stylesheet links of a page, and its text by section."""

    def __init__(self):
        super().__init__()
        self.links, self.images, self.section, self.text = [], [], None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("id")
        if tag in ("a", "link") and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs["src"])

    def handle_data(self, data):
        self.text[self.section] = self.text.get(self.section, "") + data


def _parse(path):
    parser = _Links()
    with open(path, encoding="utf-8") as stream:
        parser.feed(stream.read())
    return parser


def _local(href, page):
    """The file a relative link points to (no link may leave the report)."""
    url = urlparse(href)
    assert not url.scheme and not url.netloc, f"{page}: link {href} is not relative"
    return os.path.normpath(os.path.join(os.path.dirname(page), unquote(url.path)))


def test_planted_outliers_are_named_and_nothing_else(planted_report):
    index, _ = planted_report
    page = _parse(index)
    named = set(re.findall(r"exp\d{4}", page.text["outliers"]))
    assert named == {f"exp{i:04d}" for i in list(JUMP) + list(MISMATCH)}
    assert "dra_sky = " in page.text["outliers"]       # the jump, by its on-sky quantity
    assert "fwhm_over_seeing" in page.text["outliers"]  # the seeing mismatch


def test_every_link_and_image_resolves(planted_report):
    index, directory = planted_report
    pages, seen = [str(index)], set()
    while pages:
        page = pages.pop()
        if page in seen:
            continue
        seen.add(page)
        parsed = _parse(page)
        for href in parsed.links + parsed.images:
            target = _local(href, page)
            assert os.path.isfile(target), f"{page}: {href} does not resolve"
            assert target.startswith(str(directory))
            if target.endswith(".html"):
                pages.append(target)
    # The survey page, and a page per exposure, each reached by a link.
    assert len(seen) == 1 + N_EXPOSURES


def test_numbers_recover_the_truth(planted_survey):
    table, headers, truth = planted_survey
    summary = summarise_survey(table, observing_conditions(headers))
    stats = summary.statistics()
    assert stats["n_exposures"] == N_EXPOSURES and stats["n_bands"] == 4
    # The table's offsets scatter by 3 mas about the truth; on the sky
    # ΔRA cos δ = -dx here, and dra (of coordinates) = that / cos δ.
    assert abs(stats["median_dra_sky"] - np.median(-truth["dx"])) < 0.01
    assert abs(stats["median_ddec_sky"] - np.median(truth["dy"])) < 0.01
    assert np.allclose(summary.exposures["dra_sky"], -truth["dx"], atol=0.015)
    cos_dec = np.cos(np.radians(-60.56))
    assert np.allclose(summary.exposures["dra"], -truth["dx"] / cos_dec, atol=0.015 / cos_dec)
    # The FWHM over the monitor's is 0.8 by construction (1.2 where planted).
    ratio = np.asarray(summary.exposures["fwhm_over_seeing"])
    normal = np.ones(N_EXPOSURES, bool)
    normal[list(MISMATCH)] = False
    assert np.allclose(ratio[normal], 0.8, rtol=0.01)
    assert np.allclose(ratio[~normal], 1.2, rtol=0.01)


def test_survey_figures_are_readable(planted_survey):
    table, headers, truth = planted_survey
    summary = summarise_survey(table, observing_conditions(headers))
    for name, (draw, _) in SURVEY_FIGURES.items():
        assert figure_layout_problems(draw(summary), dpi=SURVEY_DPI) == [], name
    # An exposure page's figure, from the table's rows, with an outlier's offsets.
    exposure = TableExposure(summary.rows["exp0005"])
    assert figure_layout_problems(plot_cube_fit(exposure), dpi=EXPOSURE_DPI) == []


def test_existing_directory_is_refused_unless_overwrite(planted_survey, tmp_path):
    table, headers, _ = planted_survey
    small = table[np.isin(table["name"], ["exp0000", "exp0001", "exp0002"])]
    target = tmp_path / "report"
    survey_report(small, target)
    before = os.path.getmtime(target / "index.html")
    with pytest.raises(UserError, match="exists; give overwrite=True"):
        survey_report(small, target)
    assert os.path.getmtime(target / "index.html") == before
    survey_report(small, target, overwrite=True, title="again")
    assert "again" in (target / "index.html").read_text()
    # Nothing of the build is left beside it.
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_a_directory_that_is_not_a_report_is_never_replaced(planted_survey, tmp_path):
    table, _, _ = planted_survey
    other = tmp_path / "data"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not a survey report"):
        survey_report(table, other, overwrite=True)
    assert (other / "notes.txt").read_text() == "keep me"


def test_bad_inputs_are_user_errors(planted_survey, tmp_path):
    table, _, _ = planted_survey
    with pytest.raises(UserError, match="no such file"):
        survey_report(tmp_path / "missing.ecsv", tmp_path / "r")
    with pytest.raises(UserError, match="no column"):
        survey_report(table["name", "method"], tmp_path / "r")
    with pytest.raises(UserError, match="reference_bands: F336W"):
        survey_report(table, tmp_path / "r", reference_bands=["F336W"])
    with pytest.raises(UserError, match="does not exist"):
        survey_report(table, tmp_path / "no" / "r")
    assert sorted(os.listdir(tmp_path)) == []


def test_notes_uncertain_flag_and_offset_list_totals(tmp_path):
    """A one-band survey (its degrees capped, with a note), a joint fit flagged
    uncertain, and an exposure whose cube had an offset applied."""
    from imphot_astropy.datasets import make_survey_table
    table, headers, _ = make_survey_table(6, filters=("F814W",), applied_offsets={2: (1.0, -0.5)})
    assert table.meta["NOTES"] and table.meta["FWHM_DEGREE"] == 0
    row = np.flatnonzero((table["name"] == "exp0004") & (table["method"] == "joint"))[0]
    table["flag_uncertain"][row] = True
    table["flags"] = table["flags"].astype("U80")
    table["flags"][row] = "uncertain: fwhm_c0 +/- 9 spans more than its range"
    index = survey_report(table, tmp_path / "r", cubes=headers, nprocess=1)
    page = _parse(index)
    assert table.meta["NOTES"][0] in page.text["notes"]
    assert "exp0004" in page.text["outliers"] and "uncertain: fwhm_c0" in page.text["outliers"]
    text = (tmp_path / "r" / "exposures" / "exp0002.html").read_text()
    fitted = table[(table["name"] == "exp0002") & (table["method"] == "joint")][0]
    total = f"total dRA {fitted['dra'] + 1.0:+.4f}″, dDec {fitted['ddec'] - 0.5:+.4f}″"
    assert total in text and "already applied dRA +1.0000″, dDec -0.5000″" in text


def test_reused_layouts_leave_nothing_overlapping():
    """The exposure figures placed with a layout computed for another exposure
    (the report's fast path) pass the layout check, as new layouts would."""
    from matplotlib import rc_context
    from imphot_astropy.datasets import make_survey_table
    from imphot_astropy.report import _figures
    table, headers, _ = make_survey_table(60, offset_jumps={7: (0.5, 0.0)}, seed=3)
    summary = summarise_survey(table, observing_conditions(headers))
    _figures._LAYOUTS.clear()
    reused = 0
    with rc_context({"axes.titley": 1.0}):
        for name in summary.exposures["name"]:
            before = len(_figures._LAYOUTS)
            fig = _figures._laid_out(lambda: plot_cube_fit(TableExposure(summary.rows[name])),
                                     EXPOSURE_DPI)
            assert fig.get_layout_engine() is None
            if len(_figures._LAYOUTS) == before:
                reused += 1
                if reused % 3 == 1:     # a sample: the check draws the figure again
                    assert figure_layout_problems(fig, dpi=EXPOSURE_DPI) == [], name
    assert reused > 30
