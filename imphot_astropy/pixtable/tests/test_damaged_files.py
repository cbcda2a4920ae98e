"""Damaged pixel-table files are said to be damaged, in their own words.

A pixel table with a corrupted extension header used to end in astropy's
``AttributeError: '_ValidHDU' object has no attribute '_summary'``; a table
cut in the middle, or just after its primary header, was called a table
with missing columns or not a pixel table at all.
"""

import pytest

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import PixTable
from imphot_astropy.datasets import make_synthetic_pixtable

BLOCK = 2880


@pytest.fixture(scope="module", params=[True, False], ids=["images", "table"])
def table_bytes(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("damaged") / "pixtable.fits"
    make_synthetic_pixtable(path, nrows=20000, save_as_ima=request.param)
    return path.read_bytes()


def _write(tmp_path, content):
    path = tmp_path / "damaged.fits"
    path.write_bytes(bytes(content))
    return str(path)


def _second_extension(content):
    """The offset of the second extension's header (the first for a table)."""
    first = content.find(b"XTENSION=")
    second = content.find(b"XTENSION=", first + BLOCK)
    return second if second > 0 else first


@pytest.mark.parametrize("damage, match", [
    # The keyword of the first card garbled: astropy makes a bare _ValidHDU.
    (lambda h: h[:8].replace(b"XTENSION", b"XTENSIOX") + h[8:],
     r"the header of HDU \d is corrupted: it does not start with SIMPLE or a known "
     r"XTENSION \(its first card reads \"XTENSIOX="),
    # The extension type garbled.
    (lambda h: h[:20].replace(b"'IMAGE   '", b"'IMAGX   '").replace(
        b"'BINTABLE'", b"'BINTABLX'") + h[20:], r"the header of HDU \d is corrupted"),
    # BITPIX overwritten: astropy cannot size the data.
    (lambda h: h[:80] + b"\xff" * 80 + h[160:],
     r"not a readable FITS file: a header is corrupted"),
])
# astropy warns of the non-ASCII bytes of the third damage before failing.
@pytest.mark.filterwarnings("ignore:non-ASCII characters")
@pytest.mark.filterwarnings("ignore:The following header keyword is invalid")
def test_corrupted_header(table_bytes, tmp_path, damage, match):
    start = _second_extension(table_bytes)
    header = table_bytes[start:start + BLOCK]
    path = _write(tmp_path, table_bytes[:start] + damage(header) + table_bytes[start + BLOCK:])
    with pytest.raises(UserError, match=f"{path}: " + match):
        PixTable(path)


def test_cut_in_the_middle(table_bytes, tmp_path):
    path = _write(tmp_path, table_bytes[:len(table_bytes) // 2])
    with pytest.raises(UserError, match=f"{path}: the file is truncated: its .* HDU "
                                        r"needs \d+ bytes but the file has only \d+"):
        PixTable(path)


def test_cut_at_a_block_boundary_inside_the_data(table_bytes, tmp_path):
    """Whole 2880-byte blocks, so only the data sizes in the headers tell."""
    cut = (len(table_bytes) // 2) // BLOCK * BLOCK
    path = _write(tmp_path, table_bytes[:cut])
    with pytest.raises(UserError, match=f"{path}: the file is truncated"):
        PixTable(path)


def test_cut_after_the_primary_header(table_bytes, tmp_path):
    path = _write(tmp_path, table_bytes[:table_bytes.find(b"XTENSION=")])
    with pytest.raises(UserError, match=f"{path}: the file is truncated: it ends after "
                                        "its primary header"):
        PixTable(path)


def test_the_undamaged_file_reads(table_bytes, tmp_path):
    table = PixTable(_write(tmp_path, table_bytes))
    assert table.nrows == 20000
