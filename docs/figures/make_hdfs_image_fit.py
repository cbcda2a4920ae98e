"""The image-fit figure of the Hubble Deep Field South sample pair.

Fits the MUSE white-light image ``IMAGE-HDFS-1.34.fits`` with the HST
F606W image regridded onto its grid (beta fixed at 2.5) and draws the fit:
the MUSE image as compared, the model made from the HST image, their
difference, the Fourier amplitudes of the three, and the fitted values.

In the docs (matplotlib's plot directive picks up the pyplot figure)::

    .. plot:: figures/make_hdfs_image_fit.py

From a shell, writing a PNG::

    python docs/figures/make_hdfs_image_fit.py output.png

The plot directive runs this script as ``__main__`` in this directory, with
no argument: the script then writes nothing, so that building the docs
writes only into the build folder (the directive saves the figure there).

The sample files are found in ``../shared/data/hdfs`` beside the
repository, or where ``IMPHOT_HDFS_DIR`` points.
"""

import sys

import matplotlib.pyplot as plt

from imphot_astropy import fit_image_photometry
from imphot_astropy.datasets import hdfs_directory
from imphot_astropy.plotting import IMAGE_FIT_FIGSIZE

hdfs = hdfs_directory()  # a UserError naming IMPHOT_HDFS_DIR if not found

fig = plt.figure(figsize=IMAGE_FIT_FIGSIZE)
fit = fit_image_photometry(hdfs / "HST-HDFS-on-MUSE-grid.fits",
                           hdfs / "IMAGE-HDFS-1.34.fits", fix_beta=2.5, fig=fig)

if __name__ == "__main__" and len(sys.argv) > 1:
    output = sys.argv[1]
    fig.savefig(output, dpi=100)
    print(fit.summary())
    print(f"wrote {output}")
