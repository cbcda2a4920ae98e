"""The survey report: a survey at a glance, as static HTML pages.

`survey_report` turns the table of ``fit_cube_photometry`` (and the cubes'
primary headers) into a directory of HTML pages and PNG figures that opens
from disk in any browser. The numbers (one row per exposure, the outliers)
come from `summarise_survey`; the figures only draw them; the pages are
written from Jinja2 templates. This layer uses survey, plotting, fitting
and io; the commands use it.
"""

from ._summary import *  # noqa: F401,F403
from .survey import *  # noqa: F401,F403
from ._summary import __all__ as _summary_all
from .survey import __all__ as _survey_all

__all__ = list(_summary_all) + list(_survey_all)
