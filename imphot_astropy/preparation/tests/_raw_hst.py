"""Raw synthetic HST images at their native pixel size, for regridding tests.

A test helper, not part of the package: it renders the same sky as
`imphot_astropy.datasets.make_synthetic_pair` (sources placed in MUSE pixel
coordinates) on a fine, north-up HST grid, so that the regridder can be
checked end to end against images whose truth is known.
"""

from imphot_astropy.datasets.archives import render_sky_on_grid
from imphot_astropy.datasets.synthetic import muse_wcs


def hst_wcs(shape, pixel_scale, ra, dec, rotation=0.0):
    """A TAN WCS centred on (ra, dec), rotated by ``rotation`` degrees."""
    return muse_wcs(shape, pixel_scale, rotation, ra, dec)


def render_raw_hst(sources, muse_wcs, muse_shape, shape, pixel_scale=0.03, rotation=0.0,
                   hst_fwhm=0.085, hst_beta=1.6, muse_pixel=0.2):
    """The sky of ``sources`` seen by HST on a fine grid, and that grid's WCS.

    Galaxies are sampled on the fine grid in the MUSE frame (so their shapes
    and orientations are those of the MUSE rendering) and normalised to
    their fluxes; stars are exact points (phase ramps); the whole is
    convolved with a sampled, unit-sum Moffat HST PSF.
    """
    centre = muse_wcs.pixel_to_world_values((muse_shape[1] - 1) / 2.0,
                                            (muse_shape[0] - 1) / 2.0)
    wcs = hst_wcs(shape, pixel_scale, float(centre[0]), float(centre[1]), rotation)
    return render_sky_on_grid(sources, muse_wcs, wcs, shape, pixel_scale, hst_fwhm,
                              hst_beta, muse_pixel), wcs
