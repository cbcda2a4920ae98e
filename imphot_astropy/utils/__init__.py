"""Small helpers shared by several subpackages, each written once.

A low-level subpackage: it imports only `imphot_astropy.exceptions`.
"""

from .validation import *  # noqa: F401,F403
from .workers import *  # noqa: F401,F403
from .progress import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403

from .validation import __all__ as _validation_all
from .workers import __all__ as _workers_all
from .progress import __all__ as _progress_all
from .memory import __all__ as _memory_all

__all__ = list(_validation_all) + list(_workers_all) + list(_progress_all) + list(_memory_all)
