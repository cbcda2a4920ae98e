"""Slice numbers of the MUSE image slicer in its three numbering schemes.

A MUSE IFU cuts its part of the field into 48 slices, arranged in four
stacks of 12. The same slice has three numbers:

- CCD: 1-48, the order of the slices' spectra across the detector, which is
  what the ``origin`` column of a pixel table records;
- sky: 1-48, the order of the slices on the sky, from top to bottom;
- optical: ``(stack, slice)``, with stack 1-4 and slice 1-12 within the
  stack.

The conversion table is published in the MUSE "Global Positioning System"
document (VLT-TRE-MUSE-14670-0657).
"""

import numpy as np

from ..exceptions import UserError

__all__ = ["Slicer", "NSLICES", "NSTACKS", "SLICES_PER_STACK"]

#: Number of slices of one IFU.
NSLICES = 48
#: Number of stacks of slices of one IFU.
NSTACKS = 4
#: Number of slices in one stack.
SLICES_PER_STACK = 12

# The published CCD -> sky table repeats the same pattern in each group of
# 12 CCD slices, offset by 12 sky slices per group (VLT-TRE-MUSE-14670-0657).
_CCD2SKY_PATTERN = np.array([9, 8, 1, 10, 7, 2, 11, 6, 3, 12, 5, 4])
# Index 0 is unused so that the tables can be indexed by slice number.
_CCD2SKY = np.concatenate(
    [[0]] + [_CCD2SKY_PATTERN + SLICES_PER_STACK * group
             for group in range(NSTACKS)])
_SKY2CCD = np.zeros_like(_CCD2SKY)
_SKY2CCD[_CCD2SKY[1:]] = np.arange(1, NSLICES + 1)


def _as_slice_numbers(value, argname):
    """Return ``value`` as an integer array of slice numbers in 1-48."""
    array = np.asarray(value)
    if array.dtype.kind not in "iu" or array.size == 0:
        raise UserError(f"{argname}: expected slice numbers (integers 1-"
                        f"{NSLICES}), got {value!r}")
    if array.min() < 1 or array.max() > NSLICES:
        raise UserError(f"{argname}: slice numbers must be in 1-{NSLICES}, "
                        f"got {value!r}")
    return array


def _scalar_or_array(result, like):
    """Return a Python int for a scalar input, an array otherwise."""
    return int(result) if np.ndim(like) == 0 else result


class Slicer:
    """Convert slice numbers between the CCD, sky and optical schemes.

    All methods are static and accept a single slice number or an array of
    them (optical numbers are ``(stack, slice)`` pairs, or a pair of arrays).
    An invalid number raises `~imphot_astropy.exceptions.UserError`.

    Examples
    --------
    >>> from imphot_astropy.pixtable import Slicer
    >>> Slicer.ccd2sky(4)
    10
    >>> Slicer.sky2ccd(10)
    4
    >>> Slicer.sky2optical(25)
    (2, 12)
    >>> Slicer.optical2sky((2, 12))
    25
    >>> Slicer.optical2ccd((2, 12))
    27
    >>> Slicer.ccd2optical(27)
    (2, 12)
    >>> Slicer.ccd2sky([1, 2, 3]).tolist()
    [9, 8, 1]
    """

    @staticmethod
    def ccd2sky(s):
        """Convert slice numbers from the CCD to the sky scheme.

        Parameters
        ----------
        s : int or array-like of int
            Slice numbers in the CCD scheme (1-48).

        Returns
        -------
        int or `numpy.ndarray`
            Slice numbers in the sky scheme.

        Examples
        --------
        >>> Slicer.ccd2sky(1)
        9
        """
        return _scalar_or_array(_CCD2SKY[_as_slice_numbers(s, "s")], s)

    @staticmethod
    def sky2ccd(s):
        """Convert slice numbers from the sky to the CCD scheme.

        Parameters
        ----------
        s : int or array-like of int
            Slice numbers in the sky scheme (1-48).

        Returns
        -------
        int or `numpy.ndarray`
            Slice numbers in the CCD scheme.

        Examples
        --------
        >>> Slicer.sky2ccd(9)
        1
        """
        return _scalar_or_array(_SKY2CCD[_as_slice_numbers(s, "s")], s)

    @staticmethod
    def sky2optical(s):
        """Convert slice numbers from the sky to the optical scheme.

        Sky slices 1-12 are stack 4 (slices 12 down to 1), sky slices 13-24
        stack 3, and so on.

        Parameters
        ----------
        s : int or array-like of int
            Slice numbers in the sky scheme (1-48).

        Returns
        -------
        (stack, slice) : tuple of int or of `numpy.ndarray`
            Stack number (1-4) and slice number within the stack (1-12).

        Examples
        --------
        >>> Slicer.sky2optical(1)
        (4, 12)
        """
        sky = _as_slice_numbers(s, "s") - 1
        stack = NSTACKS - sky // SLICES_PER_STACK
        within = SLICES_PER_STACK - sky % SLICES_PER_STACK
        return _scalar_or_array(stack, s), _scalar_or_array(within, s)

    @staticmethod
    def optical2sky(s):
        """Convert slice numbers from the optical to the sky scheme.

        Parameters
        ----------
        s : (int, int) or (array-like, array-like)
            Stack numbers (1-4) and slice numbers within the stack (1-12).

        Returns
        -------
        int or `numpy.ndarray`
            Slice numbers in the sky scheme.

        Examples
        --------
        >>> Slicer.optical2sky((4, 12))
        1
        """
        try:
            stack, within = s
        except (TypeError, ValueError):
            raise UserError(f"s: expected a (stack, slice) pair, got {s!r}") \
                from None
        stack = np.asarray(stack)
        within = np.asarray(within)
        if (stack.dtype.kind not in "iu" or within.dtype.kind not in "iu"
                or stack.size == 0 or within.size == 0
                or stack.min() < 1 or stack.max() > NSTACKS
                or within.min() < 1 or within.max() > SLICES_PER_STACK):
            raise UserError(f"s: expected stack numbers 1-{NSTACKS} and slice "
                            f"numbers 1-{SLICES_PER_STACK}, got {s!r}")
        sky = (NSTACKS - stack) * SLICES_PER_STACK + (SLICES_PER_STACK
                                                       - within) + 1
        return _scalar_or_array(sky, stack)

    @staticmethod
    def optical2ccd(s):
        """Convert slice numbers from the optical to the CCD scheme.

        Parameters
        ----------
        s : (int, int) or (array-like, array-like)
            Stack numbers (1-4) and slice numbers within the stack (1-12).

        Returns
        -------
        int or `numpy.ndarray`
            Slice numbers in the CCD scheme.

        Examples
        --------
        >>> Slicer.optical2ccd((4, 12))
        3
        """
        return Slicer.sky2ccd(Slicer.optical2sky(s))

    @staticmethod
    def ccd2optical(s):
        """Convert slice numbers from the CCD to the optical scheme.

        Parameters
        ----------
        s : int or array-like of int
            Slice numbers in the CCD scheme (1-48).

        Returns
        -------
        (stack, slice) : tuple of int or of `numpy.ndarray`
            Stack number (1-4) and slice number within the stack (1-12).

        Examples
        --------
        >>> Slicer.ccd2optical(3)
        (4, 12)
        """
        return Slicer.sky2optical(Slicer.ccd2sky(s))

    @staticmethod
    def stack_ccd_slices(stack):
        """Return the CCD numbers of the 12 slices of an optical stack.

        Parameters
        ----------
        stack : int
            Stack number in the optical scheme (1-4).

        Returns
        -------
        `numpy.ndarray`
            The sorted CCD slice numbers of that stack.

        Examples
        --------
        >>> Slicer.stack_ccd_slices(4).tolist()
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        """
        if isinstance(stack, (bool, np.bool_)) or not isinstance(
                stack, (int, np.integer)) or not 1 <= stack <= NSTACKS:
            raise UserError(f"stack: expected a stack number 1-{NSTACKS}, "
                            f"got {stack!r}")
        within = np.arange(1, SLICES_PER_STACK + 1)
        stacks = np.full_like(within, stack)
        return np.sort(Slicer.optical2ccd((stacks, within)))
