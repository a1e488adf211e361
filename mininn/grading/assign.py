"""`mininn assign solutions/ exercises/`: write student notebooks from the instructor's.

In every code cell, each block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes
``raise NotImplementedError("...")`` with the exercise's one-line hint, indented like the
block. Markdown cells tagged ``solution`` and any markdown between the markers are dropped.
Outputs, execution counts and all metadata except the kernel, the chapter and cell tags are
removed, so no solution text is left anywhere. The output is a function of the input only:
running it twice changes nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mininn.grading.exercises import by_chapter
from mininn.grading.notebook import chapter_of

__all__ = ["assign_notebook", "assign"]

BEGIN = re.compile(r"^([ \t]*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
KEEP_NOTEBOOK_META = ("kernelspec", "mininn")
KEEP_TAGS = {"setup"}


def _hint_for(source: str, chapter: str) -> str:
    for ex in by_chapter().get(chapter, []):
        if re.search(rf"^def\s+{re.escape(ex.function)}\s*\(", source, re.M):
            return ex.hint
    return "write your code here"


def strip_solutions(source: str, replacement: str | None) -> str:
    """Replace each solution block; `replacement=None` drops it (for markdown)."""
    out: list[str] = []
    inside = False
    lines = source.splitlines()
    for lineno, line in enumerate(lines, 1):
        m = BEGIN.match(line)
        if m:
            if inside:
                raise ValueError(f"line {lineno}: BEGIN SOLUTION inside another solution block")
            inside = True
            if replacement is not None:
                out.append(f"{m.group(1)}raise NotImplementedError({json.dumps(replacement)})")
            continue
        if END.match(line):
            if not inside:
                raise ValueError(f"line {lineno}: END SOLUTION without BEGIN SOLUTION")
            inside = False
            continue
        if not inside:
            out.append(line)
    if inside:
        raise ValueError("a BEGIN SOLUTION block is never closed by END SOLUTION")
    return "\n".join(out)


def assign_notebook(nb: dict, chapter: str) -> dict:
    """The student version of one instructor notebook of `chapter` (a new dict)."""
    cells = []
    for i, cell in enumerate(nb["cells"]):
        kind = cell["cell_type"]
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t in KEEP_TAGS]
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        if kind == "code":
            hint = _hint_for(source, chapter)
            new = {
                "id": str(cell.get("id", f"cell-{i}")),
                "cell_type": "code",
                "execution_count": None,
                "metadata": {"tags": tags} if tags else {},
                "outputs": [],
                "source": strip_solutions(source, hint).splitlines(keepends=True),
            }
        else:
            new = {
                "id": str(cell.get("id", f"cell-{i}")),
                "cell_type": kind,
                "metadata": {"tags": tags} if tags else {},
                "source": strip_solutions(source, None).splitlines(keepends=True),
            }
        cells.append(new)
    meta = {k: nb.get("metadata", {})[k] for k in KEEP_NOTEBOOK_META if k in nb.get("metadata", {})}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def assign(source_dir: str | Path, target_dir: str | Path) -> list[Path]:
    """Write the student version of every notebook in `source_dir` to `target_dir`."""
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    notebooks = sorted(source_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {source_dir}")
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        try:
            student = assign_notebook(nb, chapter_of(path, nb))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        out = target_dir / path.name
        text = dumps(student)
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            out.write_text(text, encoding="utf-8")
        written.append(out)
    return written
