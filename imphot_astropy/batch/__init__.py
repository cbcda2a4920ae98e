"""Fitting many MUSE exposures at once: local worker processes or a Dask cluster.

`FitImagePhotometryMP`, `FitStarPhotometryMP` and
`FitImageAndStarPhotometryMP` fit each MUSE file of a list against one HST
image and yield the results as they complete; `FitPhotometryMP` does the
same for any module-level fitting function, and `FitCubePhotometryMP` fits
exposure cubes against HST images in several bands (the survey's
`~imphot_astropy.survey.fit_cube_photometry`). `write_photometry_table` writes
the results to one ECSV or FITS table.
"""

from .iterators import *  # noqa: F401,F403
from .tables import *  # noqa: F401,F403
from .iterators import __all__ as _iterators_all
from .tables import __all__ as _tables_all

__all__ = list(_iterators_all) + list(_tables_all)
