"""`mininn grade`: score student notebooks with every check outside the student's code.

For each exercise of a notebook's chapter, the grader starts a fresh child process
(`mininn.grading.runner`) under a wall-clock limit, a memory limit and an output limit,
gives it the notebook's setup cells, the cell that defines the exercise's function and the
checker's inputs, and reads back the raw outputs as plain arrays. The comparison with the
references happens here, in the grading process. An exercise scores only on an explicit
pass of every one of its cases; anything else (an exception, a timeout, a crash, a missing
cell, a malformed reply) scores 0 for that exercise alone, with a message.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mininn.grading.exercises import EXERCISES, by_chapter
from mininn.grading.notebook import chapter_of
from mininn.grading.spec import Case, Exercise, compare, decode, encode

__all__ = ["grade", "grade_notebook", "ExerciseResult", "HiddenCheck", "load_hidden", "report"]

OUTPUT_LIMIT = 16 * 1024 * 1024  # bytes a student's code may print
REPLY_LIMIT = 64 * 1024 * 1024  # bytes of replies read from one child


@dataclass
class HiddenCheck:
    """An instructor's extra check: more cases for one exercise, reported by name only."""

    exercise: str
    name: str
    points: int
    make_cases: Any  # Callable[[int], list[Case]]


@dataclass
class CheckResult:
    name: str
    points: int
    score: int
    passed: bool
    message: str
    hidden: bool = False


@dataclass
class ExerciseResult:
    notebook: str
    exercise: str
    title: str
    points: int
    score: int = 0
    passed: bool = False
    message: str = ""
    seconds: float = 0.0
    hidden: list[CheckResult] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reading a notebook
# ---------------------------------------------------------------------------------------------


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _is_setup(cell: dict) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    first = _source(cell).lstrip().splitlines()[:1]
    return "setup" in tags or bool(first and first[0].strip().lower().startswith("# setup"))


def _defines(src: str, function: str) -> bool:
    return re.search(rf"^def\s+{re.escape(function)}\s*\(", src, re.M) is not None


def load_notebook(path: Path) -> dict:
    """The notebook's JSON, or ValueError with a reader-friendly reason."""
    if not path.exists():
        raise ValueError(f"{path}: no such notebook")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a valid notebook (not valid JSON: {e})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path}: not a valid notebook (no list of cells)")
    return nb


# ---------------------------------------------------------------------------------------------
# Running one exercise in a child process
# ---------------------------------------------------------------------------------------------


def _limits(memory_mb: int) -> None:  # runs in the child between fork and exec
    import resource

    os.setsid()
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises instead


def run_child(
    setup: list[str], cell: str, function: str, cases: list[Case], timeout: float, memory_mb: int
) -> tuple[list[dict], str]:
    """Run the student's cell and function on the cases; return (events, how it ended)."""
    job = json.dumps(
        {
            "setup": setup,
            "cell": cell,
            "function": function,
            "cases": [encode(c.args) for c in cases],
        }
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL"):
        if key in os.environ:
            env[key] = os.environ[key]
    read_fd, write_fd = os.pipe()
    replies = bytearray()

    def reader() -> None:
        with os.fdopen(read_fd, "rb") as r:
            while chunk := r.read(65536):
                if len(replies) < REPLY_LIMIT:
                    replies.extend(chunk[: REPLY_LIMIT - len(replies)])

    with tempfile.TemporaryDirectory(prefix="mininn-grade-") as work:
        with open(os.path.join(work, "output.txt"), "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "mininn.grading.runner", str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=out,
                cwd=work,
                env=env,
                pass_fds=(write_fd,),
                preexec_fn=lambda: _limits(memory_mb),  # noqa: PLW1509 - limits need it
            )
            os.close(write_fd)
            thread = threading.Thread(target=reader, daemon=True)
            thread.start()
            ended = "exit"
            try:
                proc.stdin.write(job.encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                ended = "timeout"
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait()
            thread.join(timeout=10)
        if ended == "exit" and proc.returncode != 0:
            ended = f"exit code {proc.returncode}"
            if proc.returncode < 0:
                ended = f"killed by signal {signal.Signals(-proc.returncode).name}"

    events = []
    for line in bytes(replies).decode("utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            events.append({"event": "garbage"})
            continue
        events.append(event if isinstance(event, dict) else {"event": "garbage"})
    return events, ended


def _judge(cases: list[Case], events: list[dict], ended: str, timeout: float) -> list[str | None]:
    """A verdict per case: None for a pass, else the message. Fails closed."""
    verdicts: list[str | None] = ["no result was reported"] * len(cases)
    for ev in events:
        kind = ev.get("event")
        if kind in ("setup_error", "cell_error", "missing"):
            msg = str(ev.get("message", kind))
            if kind == "setup_error":
                msg = "a setup cell failed: " + msg
            elif kind == "cell_error":
                msg = "the exercise cell " + msg
            verdicts = [msg if v == "no result was reported" else v for v in verdicts]
        elif kind == "garbage":
            return [
                "the grader received a malformed reply (did the code write to its channel?)"
            ] * len(cases)
        elif kind in ("result", "error", "start"):
            i = ev.get("case")
            if not isinstance(i, int) or not 0 <= i < len(cases):
                return ["the grader received a malformed reply"] * len(cases)
            if kind == "start":
                verdicts[i] = "stopped before returning"
            elif kind == "error":
                verdicts[i] = str(ev.get("message", "raised an exception"))
            else:
                try:
                    value = decode(ev.get("value"))
                except (ValueError, TypeError, KeyError) as e:
                    verdicts[i] = f"returned a value the grader could not read ({e})"
                    continue
                c = cases[i]
                verdicts[i] = compare(value, c.expected, c.rtol)
    if not any(ev.get("event") == "done" for ev in events):
        if ended == "timeout":
            why = f"did not finish within the time limit of {timeout:g} s (an endless loop?)"
        elif ended == "exit":
            why = "the process ended early (exit code 0); did the code call os._exit?"
        else:
            why = f"the process ended early ({ended}); did the code call os._exit or crash?"
        unfinished = ("no result was reported", "stopped before returning")
        verdicts = [why if v in unfinished else v for v in verdicts]
    return verdicts


def grade_exercise(
    nb_name: str,
    cells: list[dict],
    ex: Exercise,
    hidden: list[HiddenCheck],
    seed: int,
    timeout: float,
    memory_mb: int,
) -> ExerciseResult:
    result = ExerciseResult(nb_name, ex.id, ex.title, ex.points)
    extra = [h for h in hidden if h.exercise == ex.id]
    result.hidden = [CheckResult(h.name, h.points, 0, False, "", hidden=True) for h in extra]
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    owners = [c for c in code if _defines(_source(c), ex.function)]
    if not owners:
        elsewhere = any(
            isinstance(c, dict)
            and c.get("cell_type") != "code"
            and _defines(_source(c), ex.function)
            for c in cells
        )
        result.message = (
            f"the cell defining {ex.function} is not a code cell any more (turned into markdown?)"
            if elsewhere
            else f"no code cell defines {ex.function} (was the exercise cell deleted or renamed?)"
        )
        return result
    setup = [_source(c) for c in code if _is_setup(c) and c not in owners]
    cases = ex.cases(seed)
    groups = [(None, cases)] + [(h, h.make_cases(seed)) for h in extra]
    all_cases = [c for _, cs in groups for c in cs]
    t0 = time.perf_counter()
    events, ended = run_child(
        setup, _source(owners[-1]), ex.function, all_cases, timeout, memory_mb
    )
    result.seconds = time.perf_counter() - t0
    verdicts = _judge(all_cases, events, ended, timeout)

    k = 0
    for check, cs in groups:
        mine = verdicts[k : k + len(cs)]
        k += len(cs)
        if check is None:
            failed = [(c, v) for c, v in zip(cs, mine, strict=True) if v is not None]
            result.passed = bool(cs) and not failed
            result.score = ex.points if result.passed else 0
            if failed:
                c, v = failed[0]
                label = "a hidden case" if c.hidden else f"case '{c.name}'"
                more = f" ({len(failed)} of {len(cs)} cases failed)" if len(failed) > 1 else ""
                result.message = f"{label}: {v}{more}"
            else:
                result.message = f"all {len(cs)} cases passed"
        else:
            hr = next(h for h in result.hidden if h.name == check.name)
            hr.passed = bool(cs) and all(v is None for v in mine)
            hr.score = check.points if hr.passed else 0
    if len(owners) > 1:
        result.message += f" [note: {len(owners)} cells define {ex.function}; the last was graded]"
    if all("not implemented yet" in (v or "") for v in verdicts[: len(cases)]) and cases:
        result.message = "not implemented yet"
    return result


def grade_notebook(
    path: Path,
    hidden: list[HiddenCheck] | None = None,
    seed: int = 0,
    timeout: float = 20.0,
    memory_mb: int = 1024,
) -> tuple[list[ExerciseResult], str | None]:
    """Grade one notebook: (results, None) or ([], reason) when it cannot be read."""
    path = Path(path)
    try:
        nb = load_notebook(path)
    except ValueError as e:
        return [], str(e)
    chapter = chapter_of(path, nb)
    exercises = by_chapter().get(chapter)
    if not exercises:
        return [], f"{path}: no graded exercises for chapter {chapter!r}"
    results = []
    for ex in exercises:
        try:
            results.append(
                grade_exercise(path.name, nb["cells"], ex, hidden or [], seed, timeout, memory_mb)
            )
        except Exception as e:  # noqa: BLE001 - one exercise's problem never stops the grader
            r = ExerciseResult(path.name, ex.id, ex.title, ex.points)
            r.message = f"the grader could not run this exercise: {type(e).__name__}: {e}"
            results.append(r)
    return results, None


# ---------------------------------------------------------------------------------------------
# Hidden checks, reports
# ---------------------------------------------------------------------------------------------


def load_hidden(directory: Path) -> list[HiddenCheck]:
    """Every `HIDDEN` list of HiddenCheck in the .py files of an instructor's directory."""
    checks: list[HiddenCheck] = []
    for file in sorted(Path(directory).glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"mininn_hidden_{file.stem}", file)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for check in getattr(module, "HIDDEN", []):
            if check.exercise not in EXERCISES:
                raise ValueError(
                    f"{file}: hidden check {check.name!r} names unknown exercise {check.exercise!r}"
                )
            checks.append(check)
    return checks


def _versions() -> dict[str, str]:
    import numba

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
    }


def gradescope_json(results: list[ExerciseResult], problems: list[str], seconds: float) -> dict:
    tests = []
    for r in results:
        tests.append(
            {
                "name": f"{r.exercise}: {r.title}",
                "number": str(len(tests) + 1),
                "score": r.score,
                "max_score": r.points,
                "status": "passed" if r.passed else "failed",
                "output": r.message,
                "visibility": "visible",
            }
        )
        for h in r.hidden:
            tests.append(
                {
                    "name": f"{r.exercise}: {h.name} (hidden check)",
                    "number": str(len(tests) + 1),
                    "score": h.score,
                    "max_score": h.points,
                    "status": "passed" if h.passed else "failed",
                    "output": "",
                    "visibility": "after_published",
                }
            )
    for p in problems:
        tests.append(
            {
                "name": "notebook",
                "number": str(len(tests) + 1),
                "score": 0,
                "max_score": 0,
                "status": "failed",
                "output": p,
                "visibility": "visible",
            }
        )
    score = sum(t["score"] for t in tests)
    max_score = sum(t["max_score"] for t in tests)
    return {
        "score": score,
        "max_score": max_score,
        "execution_time": round(seconds, 3),
        "output": f"Points {score}/{max_score}",
        "tests": tests,
        "extra_data": _versions(),
    }


def report(results: list[ExerciseResult], problems: list[str]) -> str:
    rows = [("Exercise", "Points", "Status", "Message")]
    for r in results:
        rows.append(
            (r.exercise, f"{r.score}/{r.points}", "pass" if r.passed else "FAIL", r.message)
        )
        for h in r.hidden:
            rows.append(
                (f"  hidden: {h.name}", f"{h.score}/{h.points}", "pass" if h.passed else "FAIL", "")
            )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    for p in problems:
        lines.append(f"problem: {p}")
    score = sum(r.score + sum(h.score for h in r.hidden) for r in results)
    total = sum(r.points + sum(h.points for h in r.hidden) for r in results)
    lines.append("")
    lines.append(f"Points {score}/{total}")
    return "\n".join(lines)


def grade(
    notebooks: list[str | Path],
    json_path: str | Path | None = None,
    timeout: float = 20.0,
    memory_mb: int = 1024,
    hidden_dir: str | Path | None = None,
    seed: int = 0,
) -> tuple[list[ExerciseResult], list[str], str]:
    """Grade notebooks; write Gradescope's results.json if asked; return the printed report."""
    t0 = time.perf_counter()
    problems: list[str] = []
    hidden: list[HiddenCheck] = []
    if hidden_dir is not None:
        try:
            hidden = load_hidden(Path(hidden_dir))
        except Exception as e:  # noqa: BLE001
            problems.append(f"hidden checks in {hidden_dir} could not be loaded: {e}")
    results: list[ExerciseResult] = []
    for nb in notebooks:
        res, problem = grade_notebook(Path(nb), hidden, seed, timeout, memory_mb)
        results.extend(res)
        if problem:
            problems.append(problem)
    text = report(results, problems)
    if json_path is not None:
        data = gradescope_json(results, problems, time.perf_counter() - t0)
        tmp = Path(str(json_path) + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, json_path)
    return results, problems, text
