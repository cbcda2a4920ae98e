"""Array-level cores: pure functions of numpy arrays and pixel scales.

Nothing here knows about files, HDUs or WCS objects.
"""

from .transfer import *  # noqa: F401,F403
from .transfer import __all__ as _transfer_all

__all__ = list(_transfer_all)
