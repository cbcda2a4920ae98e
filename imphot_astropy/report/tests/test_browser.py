"""The report in a real browser: headless Chromium renders the survey page.

The screenshot is kept as a CI artifact: ``build/report-screenshot.png``
under the repository (pytest's root directory).
"""

import shutil

import pytest

from .browser import HeadlessPage, find_chromium

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)")

_IMAGES = ("Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, "
           "i.naturalWidth, i.getBoundingClientRect().width])")


def test_survey_page_renders(planted_report, request):
    index, directory = planted_report
    build = request.config.rootpath / "build"
    build.mkdir(exist_ok=True)
    screenshot = build / "report-screenshot.png"
    with HeadlessPage(CHROMIUM) as page:
        page.open(index.as_uri() if hasattr(index, "as_uri") else f"file://{index}")
        height = page.evaluate("document.documentElement.scrollHeight")
        images = page.evaluate(_IMAGES)
        outliers = page.evaluate("document.getElementById('outliers').innerText")
        rows = page.evaluate("document.querySelectorAll('table.exposures tbody tr').length")
        page.screenshot(screenshot)
        assert page.errors == [] and page.failed == []
    # Five figures, each loaded (a broken image has naturalWidth 0) and shown.
    assert len(images) == 5
    for src, complete, natural, shown in images:
        assert complete and natural >= 500 and shown > 300, src
    assert height > 3000                  # numbers, five figures and 24 table rows
    assert rows == 24
    assert "exp0005" in outliers and "exp0016" in outliers
    with open(screenshot, "rb") as stream:
        assert stream.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_missing_figure_is_seen(planted_report, tmp_path):
    # The checks above can fail: the same page without one of its figures.
    _, directory = planted_report
    copy = tmp_path / "copy"
    shutil.copytree(directory, copy)
    (copy / "fwhm.png").unlink()
    with HeadlessPage(CHROMIUM) as page:
        page.open((copy / "index.html").as_uri())
        images = dict((src, natural) for src, _, natural, _ in page.evaluate(_IMAGES))
        assert page.failed
    assert images["fwhm.png"] == 0 and images["offsets.png"] > 0


def test_exposure_page_renders(planted_report):
    _, directory = planted_report
    with HeadlessPage(CHROMIUM) as page:
        page.open((directory / "exposures" / "exp0005.html").as_uri())
        images = page.evaluate(_IMAGES)
        flags = page.evaluate("document.getElementById('flags').innerText")
        assert page.errors == [] and page.failed == []
    assert [natural > 0 for _, _, natural, _ in images] == [True]
    assert "outlier: dra_sky = " in flags
