"""The screenshot of a survey report's page in docs/survey.rst.

Makes the report of a synthetic survey of 40 exposures (one with an offset
jump, one with a FWHM far from its seeing monitor's: the survey of
docs/survey.rst's last section) and photographs the top of its survey page
in headless Chromium (``apt-get install chromium``), through the DevTools
helper of the report's tests::

    python docs/figures/make_survey_report_screenshot.py docs/figures/survey_report.png

The PNG is kept in the repository: building the docs needs no browser
(without an output argument, as the docs' test of figure scripts runs it,
the script does nothing).
"""

import os
import sys
import tempfile

from imphot_astropy.datasets import make_survey_table
from imphot_astropy.report import survey_report
from imphot_astropy.report.tests.browser import HeadlessPage, find_chromium


def main(output):
    table, headers, _ = make_survey_table(40, offset_jumps={12: (0.4, 0.1)},
                                          seeing_mismatches={27: 1.5}, seed=3)
    with tempfile.TemporaryDirectory() as work:
        index = survey_report(table, os.path.join(work, "report"), cubes=headers)
        with HeadlessPage(find_chromium(), width=1150) as page:
            page.open(f"file://{index}")
            page.screenshot(output, height=1500)


if __name__ == "__main__" and len(sys.argv) > 1:
    main(sys.argv[1])
