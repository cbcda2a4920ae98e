"""Command-line programs: each parses its arguments and calls the public API.

The programs are the modules ``fit_photometry``, ``regrid_hst_to_muse``,
``make_wideband_image``, ``fit_cube_photometry`` and ``survey_report`` (each with
``main(argv=None)``); ``arguments`` holds
the option parser shared with user programs.
"""

__all__ = []
