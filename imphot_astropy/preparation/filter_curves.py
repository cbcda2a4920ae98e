"""The HST filter curves, where they were importable from before.

They live in `imphot_astropy.bandpasses` (which `wideband` can use without
importing `preparation`); these names are re-exported for compatibility.
"""

from ..bandpasses.hst_curves import hst_filter_bandpass, hst_filter_curve_names

__all__ = ["hst_filter_bandpass", "hst_filter_curve_names"]
