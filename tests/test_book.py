"""The book: table of contents, stored notebooks, exercises, and the built website.

nbval (``pytest --nbval-lax book``) re-runs every notebook; these tests check what nbval
does not: that the stored outputs are complete and in order, that figures are labelled,
that every chapter ends with exercises whose solutions are hidden, and that the site builds
without a single warning and shows what a reader needs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mininn._colab import is_colab_cell

ROOT = Path(__file__).resolve().parents[1]


def toc_files() -> list[Path]:
    """Every page listed in _toc.yml (read without a YAML dependency: `file:` and `root:`)."""
    text = (ROOT / "_toc.yml").read_text()
    names = re.findall(r"^\s*(?:-\s*file|root):\s*(\S+)", text, re.M)
    pages = []
    for name in names:
        for suffix in (".ipynb", ".md"):
            if (ROOT / (name + suffix)).exists():
                pages.append(ROOT / (name + suffix))
                break
        else:
            pytest.fail(f"_toc.yml lists {name}, which is neither {name}.ipynb nor {name}.md")
    return pages


PAGES = toc_files()
NOTEBOOKS = [p for p in PAGES if p.suffix == ".ipynb"]
PARTS = ("foundations", "mlp", "cnn", "rnn")  # folders of book/ whose pages are chapters
CHAPTERS = [p for p in PAGES if p.parent.name in PARTS]


def page_text(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text()
    nb = json.loads(path.read_text())
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_every_notebook_in_book_is_in_the_toc():
    stored = set((ROOT / "book").rglob("*.ipynb")) - set(
        (ROOT / "book").rglob(".ipynb_checkpoints/*")
    )
    assert stored <= set(NOTEBOOKS), f"not in _toc.yml: {sorted(stored - set(NOTEBOOKS))}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_is_stored_executed_in_order_without_errors(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    code = [c for c in code if not is_colab_cell(c)]  # never run here: no output by design
    assert code, "a chapter notebook without code"
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "some code cells have no stored output: re-run the notebook"
    assert counts == list(range(1, len(counts) + 1)), (
        "cells were not run once, top to bottom, in a fresh kernel"
    )
    for c in code:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"stored error output: {out.get('ename')}"
    assert path.stat().st_size < 3_000_000, "keep stored outputs small"
    source = "\n".join("".join(c["source"]) for c in code)
    assert "sys.path" not in source and "import *" not in source


FIGURE_TITLE = re.compile(r"\b(set_title|title|suptitle)\s*\(|\btitle\s*=")
FIGURE_AXES = re.compile(
    r"\b(set_xlabel|xlabel|set_ylabel|ylabel)\s*\(|\bxlabel\s*=|axis\(\s*['\"]off"
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_figure_has_a_title_and_axis_labels(path):
    """A cell that draws a figure sets its title and axis labels (or hides axes, for images).

    Checked on the source of the drawing cell and of the helper functions it calls that are
    defined earlier in the notebook.
    """
    nb = json.loads(path.read_text())
    helpers: dict[str, str] = {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        pattern = r"^def (\w+)\((?:.|\n)*?\)[^:\n]*:[ \t]*\n((?:[ \t]+.*\n?|\n)*)"
        for name, body in re.findall(pattern, src, re.M):
            helpers[name] = body
        if not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            continue
        called = "".join(body for name, body in helpers.items() if re.search(rf"\b{name}\(", src))
        full = src + "\n" + called
        assert FIGURE_TITLE.search(full), f"cell {i} draws a figure without a title:\n{src[:300]}"
        assert FIGURE_AXES.search(full), (
            f"cell {i} draws a figure without axis labels:\n{src[:300]}"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_has_label_title_and_hidden_exercise_solutions(path):
    text = page_text(path)
    assert re.match(r"\s*\(ch-[a-z-]+\)=\s*\n\s*# ", text), (
        "start with a (ch-...)= label and a title"
    )
    prose = re.sub(r"^(`{3,}|~{3,}).*?^\1", "", text, flags=re.M | re.S)  # drop code blocks
    assert len(re.findall(r"^# ", prose, re.M)) == 1, "exactly one # title"
    assert re.search(r"^## Exercises", text, re.M), "no ## Exercises section"
    exercises = re.findall(r":{3,}\s*\{exercise\}[^\n]*\n\s*:label:\s*(\S+)", text)
    assert len(exercises) >= 4, f"only {len(exercises)} labelled exercises"
    solutions = re.findall(r":{3,}\s*\{solution\}\s*(\S+)\s*\n((?:\s*:\w+:.*\n)*)", text)
    solved = {label: options for label, options in solutions}
    for label in exercises:
        assert label in solved, f"exercise {label} has no solution"
        assert ":class: dropdown" in solved[label], f"solution of {label} is not hidden"


def test_bibliography_has_no_duplicate_keys():
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "book/references.bib").read_text(), re.M)
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    commands = [line.strip() for b in blocks for line in b.splitlines() if line.strip()]
    assert len(commands) == 2, f"README must show exactly two set-up commands: {commands}"
    build, test = commands
    assert "jupyter-book build ." in build and "pytest" in test
    ci = (ROOT / ".ci/run").read_text()
    assert test in ci, "README's test command must appear verbatim in .ci/run"


# -- the built website ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    """The site built with every warning fatal (tests/conftest.py: one build per session)."""
    return built_site


def test_site_home_page_lists_every_chapter(site):
    redirect = re.search(r'url=([^"]+)"', (site / "index.html").read_text())
    assert redirect, "index.html does not lead to the home page"
    home = site / redirect.group(1)
    links = set(re.findall(r'href="([^"#]+)', home.read_text()))
    for page in CHAPTERS:
        target = (site / page.relative_to(ROOT).with_suffix(".html")).resolve()
        assert any((home.parent / link).resolve() == target for link in links), (
            f"{page.name} is not linked from the home page"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_site_page_has_math_hidden_solutions_and_no_raw_markup(site, path):
    html = (site / path.relative_to(ROOT).with_suffix(".html")).read_text()
    assert "mathjax" in html.lower(), "MathJax is not loaded"
    if "$" in page_text(path):
        assert re.search(r'class="[^"]*\bmath\b', html), "the page's math is not marked for MathJax"
    solutions = re.findall(r'<div class="([^"]*\bsolution\b[^"]*)"', html)
    assert solutions, "no solutions rendered"
    for classes in solutions:
        assert "dropdown" in classes.split(), f"a solution is not collapsed: {classes}"
    body = re.sub(r"<(script|pre|code)\b.*?</\1>", "", html, flags=re.S)
    for raw in (":::", "{exercise}", "{solution}", "{cite", "{ref}", "{prf:"):
        assert raw not in body, f"unrendered markup {raw!r} on the page"


def test_site_pages_have_launch_and_download_buttons(site):
    for page in NOTEBOOKS:
        html = (site / page.relative_to(ROOT).with_suffix(".html")).read_text()
        nb_path = page.relative_to(ROOT).as_posix()
        assert "colab.research.google.com" in html and nb_path in html, f"no Colab link: {nb_path}"
        assert "mybinder.org" in html, f"no Binder link: {nb_path}"
        assert page.name in html and "download" in html.lower(), f"no download button: {nb_path}"
