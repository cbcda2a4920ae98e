"""Print the README's set-up and test commands, one per line, exactly as written.

The README's first section gives a new user two literal blocks (``::``
followed by indented lines): the command that installs the package and runs
it on the sample data, and the command that runs the tests. CI runs what
this prints, so that the README cannot drift from what CI checks
(imphot_astropy/tests/test_readme_commands.py checks the extraction).
"""

import sys
from pathlib import Path

__all__ = ["readme_commands"]


def readme_commands(text):
    """The commands of the literal blocks before the README's second heading.

    Examples
    --------
    >>> readme_commands("T\\n=\\n\\nDo::\\n\\n    a && b\\n\\nthen::\\n\\n    c\\n")
    ['a && b', 'c']
    """
    lines = text.splitlines()
    commands = []
    in_block = False
    headings = 0
    for i, line in enumerate(lines):
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and set(underline.strip()) <= set("=-~") and underline.strip() \
                and not line.startswith(" "):
            headings += 1
            if headings == 2:
                break
        if in_block:
            if line.startswith("    ") and line.strip():
                commands.append(line.strip())
                continue
            if line.strip():
                in_block = False
        if line.rstrip().endswith("::"):
            in_block = True
    return commands


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.rst")
    found = readme_commands(readme.read_text())
    if len(found) != 2:
        sys.exit(f"{readme}: expected 2 commands in the first section, found {found}")
    print("\n".join(found))
