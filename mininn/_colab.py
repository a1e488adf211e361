"""The first code cell of every notebook: install mininn when it runs on Google Colab.

Colab starts from a bare Python with no mininn, so each notebook of the book (``book/``),
of ``solutions/`` and of ``exercises/`` begins with :data:`COLAB_CELL`. It installs mininn
from the book's repository only when ``google.colab`` is imported, which is the case on
Colab alone: locally, on Binder (which installs mininn from ``binder/requirements.txt``),
under nbval and under ``mininn grade`` (which runs only setup and exercise cells) it does
nothing.

To add the cell to notebooks that lack it (it never adds it twice)::

    python -m mininn._colab                # every notebook in _toc.yml and solutions/
    python -m mininn._colab book/cnn/x.ipynb solutions/x.ipynb

then regenerate the student notebooks with ``mininn assign solutions/ exercises/``.
Outputs and execution counts of the other cells are kept; the new cell has none.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: The repository the book is published from (``repository.url`` in ``_config.yml``).
REPOSITORY = "https://github.com/mininn-book/mininn"

#: The exact source of the first code cell of every notebook.
COLAB_CELL = f"""\
# On Google Colab, install mininn first (anywhere else this cell does nothing).
import sys

if "google.colab" in sys.modules:
    %pip install -q "mininn @ git+{REPOSITORY}"\
"""

#: Tags of the cell in the book's notebooks: the website does not show it.
BOOK_TAGS = ["remove-cell"]


def is_colab_cell(cell: dict) -> bool:
    """Whether a notebook cell (a dict, as nbformat or json loads it) is the install cell."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    return cell.get("cell_type") == "code" and source == COLAB_CELL


def first_code_cell(nb: dict) -> dict | None:
    """The first code cell of a notebook, or None."""
    return next((c for c in nb.get("cells", []) if c.get("cell_type") == "code"), None)


def add_colab_cell(path: str | Path, tags: list[str] | None = None) -> bool:
    """Insert the install cell before the first code cell of `path`; True if it changed.

    Idempotent: a notebook whose first code cell is already the install cell is left as it
    is. Nothing is executed: the other cells keep their outputs and execution counts. A
    notebook re-executed after the cell was added (where the cell ran as number 1, doing
    nothing) gets the stored form back: the cell without output or count, the other cells
    numbered from 1 again.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    first = first_code_cell(nb)
    if first is not None and is_colab_cell(first):
        if first.execution_count is None and not first.outputs:
            return False
        shift = first.execution_count or 0
        first.execution_count, first.outputs = None, []
        for c in nb.cells:
            if c.cell_type == "code" and c is not first and c.execution_count is not None:
                c.execution_count -= shift
                for out in c.outputs:
                    if out.get("execution_count") is not None:
                        out["execution_count"] -= shift
        nbformat.validate(nb)
        nbformat.write(nb, path)
        return True
    cell = nbformat.v4.new_code_cell(source=COLAB_CELL)
    cell.execution_count = None
    cell.outputs = []
    if tags:
        cell.metadata["tags"] = list(tags)
    index = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(index, cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return True


def book_notebooks(root: Path) -> list[Path]:
    """The notebooks that _toc.yml lists (read with a regular expression, no YAML needed)."""
    text = (root / "_toc.yml").read_text()
    names = re.findall(r"^\s*(?:-\s*file|root):\s*(\S+)", text, re.M)
    return [root / f"{n}.ipynb" for n in names if (root / f"{n}.ipynb").exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mininn._colab", description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: book and solutions")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository root")
    args = parser.parse_args(argv)
    paths = args.notebooks or (
        book_notebooks(args.root) + sorted((args.root / "solutions").glob("*.ipynb"))
    )
    for path in paths:
        try:
            in_book = Path(path).resolve().relative_to(args.root.resolve()).parts[:1] == ("book",)
        except ValueError:  # a notebook outside the repository
            in_book = False
        changed = add_colab_cell(path, BOOK_TAGS if in_book else None)
        print(f"{'wrote' if changed else 'kept '}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
