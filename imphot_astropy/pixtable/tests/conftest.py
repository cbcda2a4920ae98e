"""Synthetic pixel tables shared by the tests of this subpackage."""

import pytest

from imphot_astropy.datasets import SyntheticPixTable

#: Rows of the shared synthetic tables: enough for a few hundred rows in a
#: 2" aperture, small enough to be written in a fraction of a second.
NROWS = 60000


class WrittenTable:
    """A synthetic table, the file it was written to, and its truth."""

    def __init__(self, path, synth, save_as_ima):
        self.path = str(path)
        self.synth = synth
        self.ima = save_as_ima
        synth.write(self.path, save_as_ima=save_as_ima)
        self.truth = synth.rows(0, synth.nrows)


@pytest.fixture(scope="session")
def tables(tmp_path_factory):
    """Tables keyed by (projection, save_as_ima): two exposures, a weight
    column in the projected ones."""
    directory = tmp_path_factory.mktemp("pixtables")
    out = {}
    for projection in ("projected", "positioned"):
        for ima in (True, False):
            synth = SyntheticPixTable(NROWS, projection=projection, nexp=2,
                                      weight=(projection == "projected"),
                                      seed=11)
            name = f"{projection}-{'ima' if ima else 'tab'}.fits"
            out[projection, ima] = WrittenTable(directory / name, synth, ima)
    return out


@pytest.fixture(scope="session")
def projected(tables):
    """The projected, image-format table."""
    return tables["projected", True]


@pytest.fixture(scope="session")
def positioned(tables):
    """The positioned, image-format table."""
    return tables["positioned", True]


@pytest.fixture(params=[("projected", True), ("projected", False),
                        ("positioned", True), ("positioned", False)],
                ids=["projected-ima", "projected-tab", "positioned-ima",
                     "positioned-tab"])
def any_table(request, tables):
    """Each of the four shared tables in turn."""
    return tables[request.param]
