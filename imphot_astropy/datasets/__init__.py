"""Sample data: synthetic image pairs and pixel tables with known truth, and the HDFS files."""

from .synthetic import *  # noqa: F401,F403
from .hdfs import *  # noqa: F401,F403
from .exposures import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .archives import *  # noqa: F401,F403
from .pixtables import *  # noqa: F401,F403
from .survey_tables import *  # noqa: F401,F403
from .synthetic import __all__ as _synthetic_all
from .exposures import __all__ as _exposures_all
from .hdfs import __all__ as _hdfs_all
from .noise import __all__ as _noise_all
from .archives import __all__ as _archives_all
from .pixtables import __all__ as _pixtables_all
from .survey_tables import __all__ as _survey_tables_all

__all__ = (list(_synthetic_all) + list(_hdfs_all) + list(_exposures_all) + list(_noise_all)
           + list(_archives_all) + list(_pixtables_all) + list(_survey_tables_all))
