"""The API reference (book/api/) documents every public name of mininn.

The names are those in ``__all__`` of mininn and of each of its public modules and
subpackages; the reference's inventory (``objects.inv``, what Sphinx links to) must hold
each of them. The site is built once per session (tests/conftest.py).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The modules whose ``__all__`` the reference covers (book/api/*.md document each).
MODULES = [
    "mininn",
    "mininn.functional",
    "mininn.nn",
    "mininn.nn.init",
    "mininn.nn.utils",
    "mininn.optim",
    "mininn.optim.lr_scheduler",
    "mininn.data",
    "mininn.datasets",
    "mininn.metrics",
    "mininn.train",
    "mininn.plot",
    "mininn.grading",
]


def public_names() -> dict[str, str]:
    """Fully qualified public name -> 'module' or 'object', from every __all__."""
    names: dict[str, str] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            names[f"{module_name}.{name}"] = "module" if inspect.ismodule(obj) else "object"
    return names


def test_every_module_with_public_names_is_covered():
    """A new public module (one with __all__) gets a page: add it to MODULES and book/api/."""
    import mininn

    found = {"mininn"}
    for info in pkgutil.walk_packages(mininn.__path__, "mininn."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name.startswith(("mininn.kernels", "mininn.grading.")):
            continue  # kernels are internal; the grading package's API is its __init__
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__") and info.name not in {
            "mininn.tensor", "mininn.gradcheck", "mininn.serialization", "mininn.losses",
            "mininn.cli", "mininn.benchmarks", "mininn.functional_rnn", "mininn.nn.layers",
            "mininn.nn.module", "mininn.nn.rnn",
        }:  # fmt: skip  (re-exported by mininn, mininn.functional or mininn.nn)
            found.add(info.name)
    assert found <= set(MODULES), f"public modules without a reference page: {found - set(MODULES)}"
    documented = "\n".join(p.read_text() for p in (ROOT / "book/api").glob("*.md"))
    for module_name in MODULES:
        assert re.search(rf"automodule:: {re.escape(module_name)}\s*$", documented, re.M), (
            f"no page of book/api documents {module_name}"
        )


@pytest.fixture(scope="module")
def inventory(built_site) -> dict[str, set[str]]:
    from sphinx.util.inventory import InventoryFile

    html = built_site
    with open(html / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", lambda base, uri: uri)
    return {role: set(entries) for role, entries in inv.items()}


def test_reference_indexes_every_public_name(inventory):
    objects = set().union(*(v for k, v in inventory.items() if k.startswith("py:")))
    modules = inventory.get("py:module", set())
    missing = [
        name
        for name, kind in public_names().items()
        if (name not in modules if kind == "module" else name not in objects)
    ]
    assert not missing, f"{len(missing)} public names are not in the API reference: {missing}"


def test_reference_is_its_own_part_before_the_back_matter():
    toc = (ROOT / "_toc.yml").read_text()
    api = toc.index("caption: API reference")
    assert api < toc.index("caption: Back matter")
    pages = re.findall(r"file:\s*(book/api/\S+)", toc)
    assert sorted(pages) == sorted(f"book/api/{p.stem}" for p in (ROOT / "book/api").glob("*.md"))


def test_how_to_use_links_to_the_reference():
    assert "{ref}`api-reference`" in (ROOT / "book/foundations/how_to_use.md").read_text()


def test_every_public_name_has_an_example():
    """Each public class, function and module shows its use (and shapes) in a ``>>>`` example.

    Constants (``BOOK_STYLE``, ``MIRRORS``, ...) are documented by a ``#:`` comment, whose text
    is not the object's ``__doc__``, so they are not checked here.
    """
    missing = []
    for name in public_names():
        module_name, _, attr = name.rpartition(".")
        obj = getattr(importlib.import_module(module_name), attr)
        if not (inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj)):
            continue
        if ">>>" not in (inspect.getdoc(obj) or ""):
            missing.append(name)
    assert not missing, f"{len(missing)} public names have no >>> example: {missing}"


def modules_with_examples() -> list[str]:
    """Every module of mininn whose source holds a ``>>>`` example (kernels included)."""
    import mininn

    names = ["mininn"] + [info.name for info in pkgutil.walk_packages(mininn.__path__, "mininn.")]
    found = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec and spec.origin and spec.origin.endswith(".py"):
            if ">>>" in Path(spec.origin).read_text():
                found.append(name)
    return found


@pytest.mark.parametrize("module_name", modules_with_examples())
def test_docstring_examples_run(module_name):
    """The examples in the docstrings (and so on the website) run and print what they show."""
    module = importlib.import_module(module_name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    tests = finder.find(module, module_name)
    for test in tests:
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, f"{module_name}: no examples found"
    assert result.failed == 0, f"{module_name}: {result.failed} example(s) failed\n" + "".join(
        report
    )
