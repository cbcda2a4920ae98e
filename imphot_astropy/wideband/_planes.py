"""The plane arithmetic shared by the bandpass images (private).

`bandpass_image` (one filter) and `bandpass_images` (several filters in one
pass) both convert the filter curve to Angstrom, add up the weighted planes
block by block in plane order, and write the same header keywords; this
module holds that common part, so that the two cannot drift apart. Its names
are for the modules of `imphot_astropy.wideband` only.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import astropy.units as u
from astropy.io import fits
from threadpoolctl import threadpool_limits

from ..exceptions import UserError
from ..utils import progress_bar as make_progress_bar
from .planesums import WeightedPlaneSums, ScratchBuffers

# A private module: nothing here is part of the public API.
__all__ = []

# The reference warns when more than this fraction of the filter's
# integrated response lies outside the cube.
WARN_LOST_FRACTION = 0.005

# Planes are handed to workers in blocks of about this many values (16 MB of
# float32 per array): big enough that a worker's Python overhead is small,
# small enough to bound memory and keep all workers busy. The blocks depend
# only on the cube's shape, and their sums are added in plane order, so the
# result is the same, to the bit, for any number of workers.
VALUES_PER_BLOCK = 4_000_000


def curve_in_angstrom(curve, cube):
    """Return the filter curve as (wavelengths in Angstrom, throughput)."""
    if curve.unit is not None:
        try:
            return curve.to_angstrom(), curve.throughput
        except u.UnitConversionError:
            raise UserError(f"unit_wave: {curve.unit} is not a unit of "
                            "wavelength") from None
    # Pixel positions along the spectral axis: pixel k - 0.5 is the lower
    # edge of plane k, and wavelengths vary linearly within a plane (and
    # beyond the cube, as in its first and last planes).
    edges = np.append(cube.lower, cube.upper[-1])
    positions = np.arange(edges.size) - 0.5
    p = curve.wavelengths
    wave = np.interp(p, positions, edges)
    below, above = p < positions[0], p > positions[-1]
    wave[below] = edges[0] + (p[below] - positions[0]) * (edges[1] - edges[0])
    wave[above] = edges[-1] + (p[above] - positions[-1]) * (edges[-1] - edges[-2])
    if edges[-1] < edges[0]:
        # On a decreasing wavelength axis increasing pixels run backwards.
        return wave[::-1].copy(), curve.throughput[::-1].copy()
    return wave, curve.throughput


def plane_blocks(start, stop, npix):
    size = max(1, VALUES_PER_BLOCK // max(npix, 1))
    return [(k, min(k + size, stop)) for k in range(start, stop, size)]


def sum_block(cube, weights, block, sums, scratch, flux):
    """Read planes block[0]:block[1] and form their products for ``sums``.

    The products are added to ``sums`` by the caller, in plane order, so
    that the images are the same, to the bit, for any number of workers.
    """
    start, stop = block
    data, variance, mask = cube.planes(start, stop)
    return sums.plane_products(data, weights[..., start:stop], variance, mask,
                               None if flux is None else flux[start:stop], scratch)


def plane_progress(total, show):
    return make_progress_bar(total, show, unit="plane", desc="bandpass image", delay=0.5)


class InOrder:
    """Lets workers add their blocks' products to the sums in block order."""

    def __init__(self):
        self.condition = threading.Condition()
        self.turn = 0
        self.failed = False

    def add(self, index, action):
        """Run ``action`` once every block before ``index`` has run its own."""
        with self.condition:
            self.condition.wait_for(lambda: self.turn == index or self.failed)
            if self.failed:
                return
            action()
            self.turn += 1
            self.condition.notify_all()

    def fail(self):
        with self.condition:
            self.failed = True
            self.condition.notify_all()


def combine_planes(cube, weights, start, stop, nworkers, progress_bar, sums=None,
                   flux=None):
    """Add up the weighted planes start:stop, block by block, in order.

    ``weights`` is one weight per cube plane, or one row per filter (then
    ``sums`` has as many rows); ``flux``, if given, receives the sum of
    each plane read.
    """
    npix = cube.shape[1] * cube.shape[2]
    blocks = plane_blocks(start, stop, npix)
    if sums is None:
        sums = WeightedPlaneSums(cube.shape[1:], with_variance=cube.has_variance)
    nworkers = min(nworkers, len(blocks)) if cube.concurrent else 1
    # The workers are the parallelism: BLAS threads inside them would only
    # compete for the same cores (the products are memory-bound anyway),
    # and one BLAS thread keeps the sums independent of the machine.
    with plane_progress(stop - start, progress_bar) as bar, \
            threadpool_limits(limits=1, user_api="blas"):
        if nworkers <= 1:
            scratch = ScratchBuffers()
            for block in blocks:
                sums.add_products(sum_block(cube, weights, block, sums, scratch, flux))
                bar.update(block[1] - block[0])
            return sums
        queue = iter(enumerate(blocks))
        queue_lock = threading.Lock()
        order = InOrder()

        def work():
            # Each worker takes the next block, reads and multiplies it
            # (in parallel with the others), then waits for its turn to add.
            scratch = ScratchBuffers()
            try:
                while not order.failed:
                    with queue_lock:
                        index, block = next(queue, (None, None))
                    if block is None:
                        return
                    chunks = sum_block(cube, weights, block, sums, scratch, flux)
                    # Runs before the next iteration: the closure's values hold.
                    order.add(index, lambda: (sums.add_products(chunks),
                                              bar.update(block[1] - block[0])))
            except BaseException:
                order.fail()
                raise

        with ThreadPoolExecutor(max_workers=nworkers) as pool:
            futures = [pool.submit(work) for _ in range(nworkers)]
            try:
                for future in futures:
                    future.result()
            except BaseException:        # an error or Ctrl-C: stop the others
                order.fail()
                raise
    return sums


def describe_range(lo, hi):
    return f"{lo:.1f}-{hi:.1f} Angstrom"


def result_header(cube, curve, lost, wave_lo, wave_hi):
    header = fits.Header(cube.primary_header, copy=True)
    header["FILTER"] = (curve.name[:68], "filter curve of the bandpass image")
    if curve.stand_in_for:
        header["BPSTAND"] = (str(curve.stand_in_for)[:68],
                             "the filter curve stands in for this filter")
    header["BPLOST"] = (round(lost, 6), "fraction of filter response outside cube")
    header["BPWMIN"] = (round(float(wave_lo), 3), "[Angstrom] first plane used, lower edge")
    header["BPWMAX"] = (round(float(wave_hi), 3), "[Angstrom] last plane used, upper edge")
    if cube.filename:
        header["BPCUBE"] = (os.path.basename(cube.filename)[:68], "cube of the image")
    return header
