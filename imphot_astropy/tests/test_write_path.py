"""One write path: no module outside ``io`` writes a file except through atomic_output.

Every output must be written under a temporary name and renamed when
complete, never over an input, with the permissions of a new file
(`imphot_astropy.io.atomic_output`). This test reads the source of every
module of the package (not the tests) and finds each call that writes,
replaces, creates or removes a file or a directory; outside ``io`` it must
sit inside a ``with atomic_output(...)`` block, where it writes the
temporary file that ``atomic_output`` renames, or inside a ``with
atomic_directory(...)`` block, where it fills the new directory that
``atomic_directory`` puts in place.
"""

import ast
from pathlib import Path

import imphot_astropy

PACKAGE = Path(imphot_astropy.__file__).parent

# Methods that write a file (or make or remove one, or a directory) whatever
# their object: astropy's and numpy's writers, pathlib's.
_WRITING_METHODS = {"writeto", "savefig", "tofile", "write_text", "write_bytes", "to_csv",
                    "dump", "mkdir", "touch", "unlink", "rmdir"}
# Functions (module.name) that write, replace, create or remove files or
# directories.
_WRITING_FUNCTIONS = {("os", "replace"), ("os", "rename"), ("os", "link"),
                      ("os", "symlink"), ("os", "truncate"), ("shutil", "copy"),
                      ("shutil", "copy2"), ("shutil", "copyfile"), ("shutil", "move"),
                      ("shutil", "copytree"), ("np", "save"), ("np", "savez"),
                      ("np", "savez_compressed"), ("np", "savetxt"), ("fits", "writeto"),
                      ("tempfile", "mkstemp"), ("tempfile", "NamedTemporaryFile"),
                      ("tempfile", "mkdtemp"), ("os", "mkdir"), ("os", "makedirs"),
                      ("os", "remove"), ("os", "unlink"), ("os", "rmdir"),
                      ("os", "removedirs"), ("shutil", "rmtree")}
# The blocks inside which those calls write what io puts in place.
_ATOMIC_BLOCKS = {"atomic_output", "atomic_directory"}
_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}


def _name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _mode(call, position):
    """The mode string of an open() call, if it is a constant."""
    for keyword in call.keywords:
        if keyword.arg == "mode" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    if len(call.args) > position and isinstance(call.args[position], ast.Constant):
        return call.args[position].value
    return None


def _writes(call):
    """True if the call writes, replaces or creates a file."""
    func = call.func
    name = _name(func)
    owner = _name(func.value) if isinstance(func, ast.Attribute) else None
    if (owner, name) in _WRITING_FUNCTIONS:
        return True
    if isinstance(func, ast.Attribute) and name in _WRITING_METHODS:
        return True
    if isinstance(func, ast.Attribute) and name == "write" \
            and any(k.arg in ("overwrite", "format") for k in call.keywords):
        return True  # Table.write, CCDData.write, NDData.write (the unified I/O)
    if name == "open" and owner in (None, "io", "builtins", "fits", "gzip", "bz2"):
        mode = _mode(call, 1)
        return isinstance(mode, str) and (any(c in mode for c in "wax+")
                                          or mode in ("update", "append"))
    if (owner, name) == ("os", "open"):
        flags = {node.attr for node in ast.walk(call) if isinstance(node, ast.Attribute)}
        return bool(flags & _WRITE_FLAGS)
    return False


def _is_atomic_with(node):
    return isinstance(node, (ast.With, ast.AsyncWith)) and any(
        isinstance(item.context_expr, ast.Call)
        and _name(item.context_expr.func) in _ATOMIC_BLOCKS for item in node.items)


def _unguarded_writes(tree):
    """(line, source) of the writing calls not inside a with atomic_output block."""
    found = []

    def visit(node, guarded):
        if isinstance(node, ast.Call) and not guarded and _writes(node):
            found.append(node.lineno)
        inside = guarded or _is_atomic_with(node)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if "tests" in relative.parts or relative.parts[0] == "io":
            continue
        yield relative, path


def test_the_detector_sees_each_kind_of_write():
    source = '''
hdulist.writeto(path)
fig.savefig(path)
table.write(path, format="ascii.ecsv", overwrite=True)
open(path, "w")
open(path, mode="ab")
fits.open(path, mode="update")
os.replace(a, b)
shutil.copyfile(a, b)
np.save(path, x)
os.open(path, os.O_CREAT | os.O_WRONLY)
table.write(path, format="ascii.ecsv")
os.makedirs(path, exist_ok=True)
Path(path).mkdir()
shutil.rmtree(path)
os.remove(path)
with atomic_output(path) as tmp:
    hdulist.writeto(tmp)
    shutil.copyfile(a, tmp)
with atomic_directory(path) as building:
    os.mkdir(os.path.join(building, "pages"))
open(path)
os.open(path, os.O_RDONLY)
bar.write("text")
os.path.exists(path)
'''
    assert _unguarded_writes(ast.parse(source)) == list(range(2, 17))


def test_no_module_outside_io_writes_a_file_but_through_atomic_output():
    offenders = []
    for relative, path in _modules():
        source = path.read_text(encoding="utf-8")
        for line in _unguarded_writes(ast.parse(source, filename=str(path))):
            offenders.append(f"{relative}:{line}")
    assert offenders == [], ("these calls write a file outside io.atomic_output: "
                             + ", ".join(offenders))
