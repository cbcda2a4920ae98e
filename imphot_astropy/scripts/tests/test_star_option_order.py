"""``--star`` before the file names, as the reference tool's scripts write it.

The reference's ``--star`` takes exactly three values (argparse nargs=3),
so ``fit_photometry --star RA DEC RADIUS HST.fits MUSE.fits`` leaves the
file names to the positional arguments. Ours also takes ``auto`` and
``auto RADIUS``; it must not swallow the file names either way.
"""

import pytest

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.scripts.arguments import FIT_BOTH, ImphotArgumentParser
from imphot_astropy.scripts.fit_photometry import main


def _parser():
    parser = ImphotArgumentParser(FIT_BOTH, prog="fit")
    parser.add_argument("hst")
    parser.add_argument("muse", nargs="+")
    return parser


@pytest.mark.parametrize("argv, star, muse", [
    (["--star", "338.2", "-60.5", "2", "h.fits", "m.fits"], (338.2, -60.5, 2.0),
     ["m.fits"]),
    (["--star", "1", "2", "3", "h.fits", "m1.fits", "m2.fits", "--fix_beta", "none"],
     (1.0, 2.0, 3.0), ["m1.fits", "m2.fits"]),
    (["h.fits", "--star", "1", "2", "3", "m.fits"], (1.0, 2.0, 3.0), ["m.fits"]),
    (["h.fits", "m.fits", "--star", "1", "2", "3"], (1.0, 2.0, 3.0), ["m.fits"]),
    (["--star", "auto", "h.fits", "m.fits"], "auto", ["m.fits"]),
    (["--star", "auto", "1.5", "h.fits", "m.fits"], ("auto", 1.5), ["m.fits"]),
    # After "--" every word is a file name, even one that looks like an option.
    (["--star", "1", "2", "3", "--", "h.fits", "-m.fits"], (1.0, 2.0, 3.0),
     ["-m.fits"]),
])
def test_star_takes_only_its_own_values(argv, star, muse):
    options = _parser().parse_args(argv)
    assert options.star == star
    assert (options.hst, options.muse) == ("h.fits", muse)


def test_too_few_star_values_are_reported(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["--star", "1", "2", "h.fits", "m.fits"])
    assert exit_info.value.code == 2
    assert "--star: 'h.fits' is not a number" in capsys.readouterr().err


def test_command_with_star_before_the_files(tmp_path, capsys):
    """The reference's order and ours give the same table."""
    hst, muse, truth = make_synthetic_pair(
        shape=(50, 50), sources=[SyntheticSource(24.3, 25.6, 500.0)], seed=2)
    hst_path, muse_path = str(tmp_path / "hst.fits"), str(tmp_path / "muse.fits")
    hst.write(hst_path)
    muse.write(muse_path)
    star = [repr(v) for v in truth["star_radec"][0]] + ["2.0"]
    assert main(["--star", *star, hst_path, muse_path]) == 0
    before = capsys.readouterr().out
    assert main([hst_path, muse_path, "--star", *star]) == 0
    assert capsys.readouterr().out == before
    assert " star " in before and " image " in before
