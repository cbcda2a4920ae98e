"""Benchmark: the joint multi-band fit of one exposure, alone.

`bench_cube_photometry.py` times the whole survey pass against the
established tool's chain (which has no joint fit of its own); this script
isolates the part after the single-band fits: the joint fit's band
problems, its Levenberg-Marquardt iterations and its sandwich covariance
(``imphot_astropy.survey.cube_fit._joint_fit``), which is what a change to
``survey/bands.py``, ``joint.py`` or ``joint_covariance.py`` affects.

The exposure is either a directory written by ``bench_cube_photometry.py
--keep`` (``DATACUBE_exposure.fits`` and ``hst_<band>.fits``, read only),
or, by default, a synthetic exposure made in memory by
`imphot_astropy.datasets.make_exposure_cube`. The band images, regridded
HST images and single-band fits are made once per repetition and not
timed. It prints the median wall and CPU time of the joint section, the
joint values with their sandwich errors, and the load average.

Measured 2026-11-29 on the 3681 x 320 x 320 exposure kept by
``bench_cube_photometry.py`` (shared 2-core machine, load average 5-6, so
wall times are ~3x the CPU times): joint section median 3.1 s wall,
1.05 s CPU, 2 Jacobians and 3 residuals, sandwich included (about 60% of
it). Before (lmfit's MINPACK leastsq on the tall Jacobian, lmfit's
least-squares covariance, band problems built again), timed with the same
inputs at the same load: 5.3 s wall, 2.1 s CPU.

Usage::

    python benchmarks/bench_joint_fit.py [--dir DIR] [--repeat 3]
"""

import argparse
import os
import statistics
import sys
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
BANDS = ("F606W", "F775W", "F814W", "F850LP")


def _inputs(directory):
    if directory:
        return (os.path.join(directory, "DATACUBE_exposure.fits"),
                {b: os.path.join(directory, f"hst_{b}.fits") for b in BANDS})
    from imphot_astropy.datasets import make_exposure_cube
    cube, hst, _ = make_exposure_cube(shape=(200, 200), nplanes=300, noise=0.3, seed=4)
    return cube, hst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="an exposure kept by bench_cube_photometry.py")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    from imphot_astropy.io import read_image
    from imphot_astropy.fitting import measure_image_photometry
    from imphot_astropy.survey import cube_fit
    from imphot_astropy.wideband.multiband import bandpass_images
    import reproject  # noqa: F401  (imported lazily by the package)

    warnings.simplefilter("ignore")
    cube, hst_images = _inputs(options.dir)
    names = list(hst_images)
    images, spectra = bandpass_images(cube, names, spectra=True)
    band_images = {n: read_image(images[n]) for n in names}
    on_grid = cube_fit._hst_on_grid(hst_images, names, band_images, None)
    hst = {n: read_image(on_grid[n]) for n in names}
    options_ = cube_fit._band_options(names, {}, None)
    how = dict(fwhm_degree=1, beta_degree=0, psf_nodes=4, source_light=True,
               lbrange=cube_fit.DEFAULT_LBRANGE, joint_parameters=None)
    walls, cpus = [], []
    for _ in range(options.repeat):
        single = {n: measure_image_photometry(hst[n], band_images[n], keep_state=True)
                  for n in names}
        wall, cpu = time.perf_counter(), time.process_time()
        with cube_fit.threadpool_limits(limits=1, user_api="blas"), \
                cube_fit.sp_fft.set_workers(2):
            joint, result, refits, _ = cube_fit._joint_fit(
                names, hst, band_images, spectra, single, options_, {}, how)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(f"joint section: median {statistics.median(walls):.3f} s wall "
          f"({', '.join(f'{w:.3f}' for w in walls)}), "
          f"{statistics.median(cpus):.3f} s CPU; {result.nfev} residuals, "
          f"{result.njev} Jacobians, {refits} refits; load {os.getloadavg()[0]:.1f}")
    for name in ("dx", "dy", "fwhm_c0", "fwhm_c1", "beta_c0"):
        p = result.params[name]
        print(f"  {name:8s} {p.value:.6f} +/- {p.stderr:.6f} (sandwich)")


if __name__ == "__main__":
    main()
