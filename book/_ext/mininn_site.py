"""Sphinx extension for the book's website.

1. MathJax served by the site itself. Sphinx's default MathJax comes from a CDN, so a page
   read offline shows raw TeX. This extension copies MathJax 3 from an installed registry
   package (PyPI's ``django-static-mathjax``, listed in the ``[book]`` extra) into the
   build's ``_static/`` folder and points ``mathjax_path`` at that copy: every page loads
   its math renderer, and the fonts and extensions MathJax loads on demand, from the site.
2. mininn's docstrings read the way they are written (Markdown style: `code` in single
   backticks, |x| for an absolute value, (*, D) for shapes) when autodoc renders them as
   reStructuredText for the API reference; see :func:`markdown_style_docstring`.
3. Two console errors of the theme's stack fixed (a script sphinx-thebe adds twice, and
   the colour mode of a first visit), and a root ``index.html`` that names the site's icon.
4. The nitpicky build (``-n``) ignores the standard library's and NumPy's types, which the
   offline build cannot link to, and mininn's private base classes: see ``EXTERNAL_TYPES``.

Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

#: Where the copy lands, relative to the output's ``_static/`` folder.
MATHJAX_DIR = "mathjax"
#: The MathJax component each page loads: TeX and MathML input, CommonHTML output.
MATHJAX_ENTRY = "tex-mml-chtml.js"

#: Types in mininn's signatures that the book does not document: the standard library's and
#: NumPy's (the build is offline, so there is no intersphinx to link them).
EXTERNAL_TYPES = [
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.random._generator.Generator",
    "collections.OrderedDict",
    "collections.abc.Callable",
    "collections.abc.Iterable",
    "collections.abc.Iterator",
    "collections.abc.Sequence",
    "os.PathLike",
]
#: Private base classes, which autodoc names under "Bases:" but the reference leaves out.
PRIVATE_BASES = r"mininn(\.\w+)*\._\w+"


def mathjax_source() -> Path:
    """The ``es5`` folder of the installed MathJax package (the browser-ready build)."""
    try:
        import mathjax  # the import name of the django-static-mathjax distribution
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ExtensionError(
            "MathJax is not installed: run pip install -e '.[book]' "
            "(the book serves MathJax from the site, from the django-static-mathjax package)"
        ) from exc
    root = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    if not (root / MATHJAX_ENTRY).is_file():
        raise ExtensionError(f"no {MATHJAX_ENTRY} in {root}: is django-static-mathjax broken?")
    return root


def _skip(folder: str, names: list[str]) -> set[str]:
    """Files of the MathJax package the site never loads.

    ``latest.js`` would fetch MathJax from a CDN, ``node-main.js`` is for Node.js, and the
    SVG output is unused (pages use CommonHTML output).
    """
    unused = {"latest.js", "node-main.js", "svg"}
    return {n for n in names if n in unused or (n.endswith(".js") and "svg" in n)}


# -- docstrings ---------------------------------------------------------------------------

_LITERAL = re.compile(r"(``.+?``|:[\w:]+:`[^`]+`)")  # already literal, or an explicit role
_SINGLE = re.compile(r"(?<![`\w])`([^`\n]+)`(?![`_\w])")
_BAR = re.compile(r"(?<!\\)\|")
_STAR = re.compile(r"(?<=\()\*|(?<![\\*])\*(?=[,)])")  # shape wildcards: (*) and (*, D)
_VARTYPE = re.compile(r"^(\s*):vartype ([^:]+): (.*)$")
_TYPE = re.compile(r"^\s*:type: (.*)$")


def markdown_style_docstring(line: str) -> str:
    """One docstring line as reST, keeping its Markdown meaning.

    `x` (code in Markdown) becomes an inline literal; outside literals, a ``|`` (an absolute
    value such as |x|, never a substitution in mininn) is escaped, and so is a ``*`` that
    stands for any leading dimensions in a shape, as in (*, D).
    """
    parts = _LITERAL.split(line)
    for i in range(0, len(parts), 2):  # even items lie outside literals and roles
        pieces = _LITERAL.split(_SINGLE.sub(lambda m: "``" + m.group(1) + "``", parts[i]))
        pieces[::2] = [_STAR.sub(r"\\*", _BAR.sub(r"\\|", p)) for p in pieces[::2]]
        parts[i] = "".join(pieces)
    return "".join(parts)


def _process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    if what in ("data", "attribute"):
        # napoleon reads "Plain-text data sets: name -> ..." as "type: description"; a type
        # with spaces is prose, so put the sentence back together.
        for i, line in enumerate(lines):
            m = _TYPE.match(line)
            if m and " " in m.group(1).strip():
                del lines[i]
                first = next((j for j, t in enumerate(lines) if t.strip()), None)
                if first is not None:
                    lines[first] = f"{m.group(1).strip()}: {lines[first].lstrip()}"
                break
    in_example = False  # doctest blocks (>>> and their output) stay as they are
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">>>"):
            in_example = True
        elif not stripped:
            in_example = False
        if not in_example:
            lines[i] = markdown_style_docstring(line)
    # Attribute types are prose ("uint8 ndarray (N, 28, 28)"), not names to cross-reference:
    # show each as a literal in front of its attribute's description.
    for i in reversed(range(len(lines))):
        m = _VARTYPE.match(lines[i])
        if not m:
            continue
        del lines[i]
        prefix = f":ivar {m.group(2)}:"
        for j in range(i - 1, -1, -1):
            if lines[j].strip().startswith(prefix):
                head, _, rest = lines[j].partition(prefix)
                # "a, b" as one field name: the field would read "a," as a's type
                prefix = ":ivar " + re.sub(r",\s+", ",", m.group(2)) + ":"
                kind = m.group(3).strip().replace("``", "")
                lines[j] = f"{head}{prefix} ``{kind}``" + (f" -- {rest.strip()}" * bool(rest))
                break


_SECTION_RULE = re.compile(r"^-{3,}\s*$")
_FIELD = re.compile(r"^\*{0,2}\w+(\s*,\s*\*{0,2}\w+)*(\s+:(\s.*)?|\s*:)?\s*$")


def _close_sections(app, what, name, obj, options, lines: list[str]) -> None:
    """Before napoleon: end a NumPy-style section where its fields end.

    mininn's docstrings often put a paragraph or a doctest after their ``Attributes`` or
    ``Parameters`` section; napoleon would read it as more fields (and try to link its words
    as types). Such a paragraph gets a ``Notes`` heading (``Examples`` for a doctest).
    """
    in_fields = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and _SECTION_RULE.match(lines[i + 1]) and line.strip():
            in_fields = True
            i += 2
            continue
        starts_paragraph = i > 0 and not lines[i - 1].strip()
        if in_fields and starts_paragraph and line.strip() and not line.startswith(" "):
            if not _FIELD.match(line):
                title = "Examples" if line.startswith(">>>") else "Notes"
                lines[i:i] = [title, "-" * len(title)]
                in_fields = False
                i += 2
        i += 1


# -- wiring -------------------------------------------------------------------------------


def _configure(app: Sphinx, config) -> None:
    mathjax_source()  # fail early, with a clear message, when the package is missing
    config.mathjax_path = f"{MATHJAX_DIR}/{MATHJAX_ENTRY}"
    # pydata-sphinx-theme starts a first visit with an empty colour mode and logs an error
    # ("Got invalid theme mode") before it falls back to "auto": start from "auto".
    config.html_context = {"default_mode": "auto", **(config.html_context or {})}
    config.nitpick_ignore = set(map(tuple, config.nitpick_ignore)) | {
        ("py:class", name) for name in EXTERNAL_TYPES
    }
    config.nitpick_ignore_regex = set(map(tuple, config.nitpick_ignore_regex)) | {
        ("py:class", PRIVATE_BASES)
    }


def _tidy_page_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop repeated scripts from a page.

    sphinx-thebe's configuration script (``const THEBE_JS_URL = ...``) is added twice in a
    Jupyter Book build, and a second ``const`` declaration is a SyntaxError in every page's
    console. An identical script (same file, same inline body) is only ever needed once.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        name = getattr(script, "filename", script) or ""  # None and "" both mean inline
        key = (str(name), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: handlers that run later add to the same list


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / MATHJAX_DIR
    shutil.copytree(mathjax_source(), target, ignore=_skip, dirs_exist_ok=True)


def _write_index(app: Sphinx, exception: Exception | None) -> None:
    """The site's root ``index.html``: a redirect to the home page, with the site's icon.

    sphinx-external-toc writes a bare ``<meta http-equiv="Refresh">`` when this runs
    first; without an icon link the browser then asks for ``/favicon.ico``, which the site
    does not have (a failed request on every visit to the site's root).
    """
    if exception is not None or app.builder.name != "html" or app.config.root_doc == "index":
        return
    index = Path(app.outdir) / "index.html"
    if index.exists():
        return
    home = f"{app.config.root_doc}.html"
    icon = Path(app.config.html_favicon or "").name
    icon_link = f'<link rel="icon" href="_static/{icon}">\n' if icon else ""
    index.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Refresh" content="0; url={home}" />\n{icon_link}'
        f"<title>{app.config.html_title or app.config.project}</title></head>\n"
        f'<body><a href="{home}">Go to the home page</a></body></html>\n',
        encoding="utf-8",
    )


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _configure)
    app.connect("autodoc-process-docstring", _close_sections, priority=400)  # before napoleon
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)  # after it
    # early: the event stops at the first handler that returns a template name
    app.connect("html-page-context", _tidy_page_scripts, priority=100)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _write_index, priority=400)  # before sphinx-external-toc
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
