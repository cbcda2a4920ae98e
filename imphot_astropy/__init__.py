"""imphot_astropy: MUSE image photometry against HST, on astropy.

Compare a MUSE image with an HST image of the same sky to measure the MUSE
PSF (Moffat FWHM and beta), the flux scale and zero offset, and the pointing
offset. The public names and keywords are those of the MPDAF-based
``imphot``, re-expressed on astropy objects.

The names below are imported on first use (PEP 562): ``import
imphot_astropy`` loads no subpackage, so that a command's ``--help`` or a
program that needs only one subpackage does not pay for scipy, matplotlib
and regions.
"""

import importlib

__version__ = "0.1.dev0"

# Public name -> the module (relative to this package) that defines it. The
# subpackages `pixtable` and `plotting` are public names themselves (None).
# The import contract (.importlinter) forbids this module from importing any
# subpackage statically: every import goes through __getattr__ below.
_LAZY_NAMES = {
    "UserError": ".exceptions",
    "WorkerError": ".exceptions",
    "image_grids_aligned": ".io",
    "read_muse_image": ".io",
    "read_hst_image": ".io",
    "find_point_sources": ".fitting",
    "fit_pixtable_star": ".fitting",
    "HstFilterInfo": ".preparation",
    "rescale_hst_like_muse": ".preparation",
    "regrid_hst_like_muse": ".preparation",
    "write_regridded_hst": ".preparation",
    "hst_filter_bandpass": ".preparation",
    "FittedValue": ".fitting",
    "FittedPhotometry": ".fitting",
    "FittedImagePhotometry": ".fitting",
    "FittedStarPhotometry": ".fitting",
    "photometry_table": ".fitting",
    "fit_image_photometry": ".photometry",
    "fit_star_photometry": ".photometry",
    "fit_image_and_star_photometry": ".photometry",
    "apply_corrections": ".corrections",
    "bandpass_image": ".wideband",
    "FilterTruncationWarning": ".wideband",
    "write_muse_image": ".io",
    "bandpass_images": ".wideband",
    "fit_cube_photometry": ".survey",
    "FSFModel": ".survey",
    "CubePhotometry": ".survey",
    "write_offset_list": ".survey",
    "survey_report": ".report",
    "apply_cube_corrections": ".corrections",
    "FitPhotometryMP": ".batch",
    "FitImagePhotometryMP": ".batch",
    "FitStarPhotometryMP": ".batch",
    "FitImageAndStarPhotometryMP": ".batch",
    "FitCubePhotometryMP": ".batch",
    "write_photometry_table": ".batch",
    "ImphotArgumentParser": ".scripts.arguments",
    "extract_function_args": ".scripts.arguments",
    "FIT_IMAGE": ".scripts.arguments",
    "FIT_STAR": ".scripts.arguments",
    "FIT_BOTH": ".scripts.arguments",
    "fit_photometry_main": ".scripts.fit_photometry",
    "regrid_hst_to_muse_main": ".scripts.regrid_hst_to_muse",
    "make_wideband_image_main": ".scripts.make_wideband_image",
    "pixtable": None,
    "plotting": None,
    "PixTable": ".pixtable",
    "Slicer": ".pixtable",
}

__all__ = list(_LAZY_NAMES)


def __getattr__(name):
    """Import a public name, or a subpackage, on first use (PEP 562).

    Examples
    --------
    >>> import imphot_astropy
    >>> imphot_astropy.UserError.__name__
    'UserError'
    """
    if name in _LAZY_NAMES:
        module_name = _LAZY_NAMES[name]
        if module_name is None:
            value = importlib.import_module(f".{name}", __name__)
        else:
            value = getattr(importlib.import_module(module_name, __name__), name)
    elif not name.startswith("__"):
        # Any other subpackage (imphot_astropy.core...), as after an import of
        # it; a name that is neither raises AttributeError, as it should.
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # the subpackage exists but needs something missing
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    """The module's attributes, including the public names not imported yet.

    Examples
    --------
    >>> import imphot_astropy
    >>> "fit_image_photometry" in dir(imphot_astropy)
    True
    """
    return sorted(set(globals()) | set(__all__))
