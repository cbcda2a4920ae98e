"""Normalise the ``star`` and ``regions`` arguments, whatever astropy form they take.

Users of astropy, photutils and regions hold star positions as `SkyCoord`
objects or table rows and regions as `regions` objects; the fitters work on
plain (ra, dec, radius) numbers and lists of regions. These functions do
the translation in one place, so that every fitter accepts the same forms.
"""

from regions import Region, Regions

from ..exceptions import UserError
from ..utils.stars import parse_star

# parse_star lives in utils.stars (the pixel-table star fit reads the same
# tuple and may not import masking); re-exported here, its public home.
__all__ = ["parse_star", "region_objects"]


def region_objects(regions, argname="regions"):
    """The regions of a `regions` object or list of them; None for other input.

    Parameters
    ----------
    regions : object
        A `regions.Regions`, a single `regions.Region`, or a list/tuple of
        sky or pixel regions. Anything else (a file name, ds9 lines) gives
        None, for the ds9 reader to handle. A region is an exclusion when
        its ``meta["include"]`` is False (as the ds9 ``-`` prefix sets it),
        an inclusion otherwise.
    argname : str
        The argument name, quoted in error messages.

    Returns
    -------
    regions : list of `regions.Region` or None
        A new list (the regions themselves are not modified).

    Raises
    ------
    UserError
        For a list that mixes regions with other things.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.coordinates import SkyCoord
    >>> from regions import CircleSkyRegion, Regions
    >>> circle = CircleSkyRegion(SkyCoord(338.23, -60.56, unit="deg"), 2 * u.arcsec)
    >>> len(region_objects(Regions([circle]))), region_objects("file.reg")
    (1, None)
    """
    if isinstance(regions, Region):
        return [regions]
    if isinstance(regions, Regions):
        return list(regions)
    if isinstance(regions, (list, tuple)) and regions and any(
            isinstance(r, Region) for r in regions):
        bad = [r for r in regions if not isinstance(r, Region)]
        if bad:
            raise UserError(f"{argname}: a list of regions must hold only regions "
                            f"objects, not {type(bad[0]).__name__}")
        return list(regions)
    return None
