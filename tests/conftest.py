"""Fixtures shared by the test modules that need the built website."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _share_the_cores_between_workers() -> None:
    """Under pytest-xdist (`-n auto`), give each worker its share of the cores.

    Every worker, and every notebook kernel it starts (kernels inherit the environment), would
    otherwise run BLAS and Numba with one thread per core, so two workers on two cores would
    ask for four busy threads. This runs before NumPy or Numba is imported in the worker; a
    variable the user has set is left alone.
    """
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not workers:
        return
    threads = str(max(1, (os.cpu_count() or 1) // int(workers)))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, threads)


_share_the_cores_between_workers()


def jupyter_book() -> str | None:
    exe = shutil.which("jupyter-book")
    local = Path(sys.executable).parent / "jupyter-book"
    return exe or (str(local) if local.exists() else None)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The website, built once per test session exactly as CI builds it (``-W -n``).

    Returns the ``_build/html`` folder of a build in a temporary directory, so the tests
    never depend on a stale ``_build/`` of the working tree. To re-run the tests against a
    site you have just built yourself, name its folder in ``MININN_BUILT_SITE`` (for
    example ``MININN_BUILT_SITE=_build/html``): the build is then skipped.
    """
    prebuilt = os.environ.get("MININN_BUILT_SITE")
    if prebuilt:
        html = Path(prebuilt).resolve()
        assert (html / "objects.inv").is_file(), f"MININN_BUILT_SITE={prebuilt}: no built site"
        return html
    exe = jupyter_book()
    if exe is None:
        pytest.skip("jupyter-book is not installed (pip install -e '.[book]')")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [exe, "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert proc.returncode == 0 and not warnings, "book build failed or warned:\n" + "\n".join(
        warnings or log.splitlines()[-40:]
    )
    return out / "_build" / "html"
