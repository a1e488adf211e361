"""Every notebook starts with the guarded Colab install cell (mininn._colab.COLAB_CELL).

The cell installs mininn only on Colab; these tests check that it is the first code cell of
every notebook of the book, of solutions/ and of exercises/ (new notebooks included, as soon
as they exist), that it is stored without outputs, and that it really does nothing here.
Add it with ``python -m mininn._colab`` (then ``mininn assign solutions/ exercises/``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mininn._colab import (
    BOOK_TAGS,
    COLAB_CELL,
    REPOSITORY,
    add_colab_cell,
    book_notebooks,
    first_code_cell,
    is_colab_cell,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = (
    book_notebooks(ROOT)
    + sorted((ROOT / "solutions").glob("*.ipynb"))
    + sorted((ROOT / "exercises").glob("*.ipynb"))
)


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_every_notebook_of_the_book_is_covered():
    stored = {p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert stored <= set(NOTEBOOKS), sorted(stored - set(NOTEBOOKS))
    assert len(NOTEBOOKS) >= 3 * 16


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_first_code_cell_installs_mininn_on_colab_only(path):
    nb = json.loads(path.read_text())
    first = first_code_cell(nb)
    assert first is not None and is_colab_cell(first), (
        f"the first code cell of {path.name} is not mininn._colab.COLAB_CELL: "
        "run `python -m mininn._colab` (and `mininn assign solutions/ exercises/`)"
    )
    assert first["outputs"] == [] and first["execution_count"] is None
    assert sum(is_colab_cell(c) for c in nb["cells"]) == 1, "the install cell appears twice"
    if path.is_relative_to(ROOT / "book"):
        assert first["metadata"].get("tags") == BOOK_TAGS, "hide the cell on the website"


def test_cell_installs_from_the_books_repository():
    config = (ROOT / "_config.yml").read_text()
    url = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, re.M).group(1)
    assert url == REPOSITORY
    assert f'"mininn @ git+{REPOSITORY}"' in COLAB_CELL
    assert 'if "google.colab" in sys.modules:' in COLAB_CELL


def test_cell_does_nothing_outside_colab():
    """Run the cell the way IPython would (the %pip line only under the guard): no pip call."""
    pytest.importorskip("IPython")
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "import sys\n"
        "shell = InteractiveShell.instance()\n"
        "calls = []\n"
        "shell.register_magic_function(lambda line: calls.append(line), 'line', 'pip')\n"
        f"result = shell.run_cell({COLAB_CELL!r})\n"
        "assert result.success, result.error_in_exec or result.error_before_exec\n"
        "assert calls == [], calls\n"
        "sys.modules['google.colab'] = type(sys)('google.colab')\n"
        f"shell.run_cell({COLAB_CELL!r})\n"
        "assert calls == ['install -q \"mininn @ git+" + REPOSITORY + "\"'], calls\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_binder_installs_mininn():
    lines = (ROOT / "binder/requirements.txt").read_text().splitlines()
    assert "-e ." in [line.strip() for line in lines]


def test_add_colab_cell_is_idempotent_and_keeps_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("1 + 1", execution_count=1),
    ]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)
    ]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert add_colab_cell(path, ["remove-cell"]) is True
    once = path.read_text()
    assert add_colab_cell(path, ["remove-cell"]) is False
    assert path.read_text() == once
    cells = json.loads(once)["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "code"]
    assert is_colab_cell(cells[1]) and cells[1]["metadata"]["tags"] == ["remove-cell"]
    assert "".join(cells[2]["outputs"][0]["data"]["text/plain"]) == "2"
    assert cells[2]["execution_count"] == 1


def test_add_colab_cell_restores_a_re_executed_notebook(tmp_path):
    # Re-running a notebook runs the install cell too (as number 1, doing nothing); the
    # stored form keeps it without output and numbers the chapter's own cells from 1.
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(COLAB_CELL, execution_count=1),
        nbformat.v4.new_code_cell("1 + 1", execution_count=2),
        nbformat.v4.new_code_cell("print(3)", execution_count=3),
    ]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=2)
    ]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert add_colab_cell(path) is True
    cells = json.loads(path.read_text())["cells"]
    assert cells[0]["execution_count"] is None and cells[0]["outputs"] == []
    assert [c["execution_count"] for c in cells[1:]] == [1, 2]
    assert cells[1]["outputs"][0]["execution_count"] == 1
    assert add_colab_cell(path) is False
