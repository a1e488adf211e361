"""The grader: full marks for solutions, zero for blanks, and no way to cheat or crash it.

Most tests take the instructor's autodiff notebook, replace the `mul_backward` exercise
cell with hostile or broken student code, grade it, and assert two things: that exercise
loses its points with a clear message, and the untouched `div_backward` exercise next to it
keeps full marks (one exercise's problem never changes another's score).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mininn.grading import EXERCISES, by_chapter, check
from mininn.grading.assign import assign, assign_notebook, dumps
from mininn.grading.grader import grade, grade_notebook
from mininn.grading.spec import compare, decode, encode

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
TIMEOUT = 6.0


def solution_notebook() -> dict:
    return json.loads((ROOT / "solutions" / "autodiff.ipynb").read_text())


def cell_index(nb: dict, function: str) -> int:
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code" and f"def {function}(" in "".join(c["source"]):
            return i
    raise LookupError(function)


def with_cell(source: str | None, *, kind: str = "code", function: str = "mul_backward") -> dict:
    """The autodiff solutions with the `function` cell replaced (or removed, if None)."""
    nb = solution_notebook()
    i = cell_index(nb, function)
    if source is None:
        del nb["cells"][i]
    else:
        nb["cells"][i]["source"] = source
        nb["cells"][i]["cell_type"] = kind
        if kind == "markdown":
            for key in ("outputs", "execution_count"):
                nb["cells"][i].pop(key, None)
    return nb


def run(tmp_path: Path, nb: dict | str, **kwargs):
    path = tmp_path / "autodiff.ipynb"
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb))
    kwargs.setdefault("timeout", TIMEOUT)
    results, problem = grade_notebook(path, **kwargs)
    assert problem is None, problem
    return {r.exercise: r for r in results}


def assert_isolated(results, message_part: str):
    bad, good = results["autodiff.mul_backward"], results["autodiff.div_backward"]
    assert bad.score == 0 and not bad.passed
    assert message_part.lower() in bad.message.lower(), bad.message
    assert good.passed and good.score == good.points, good.message


# -- the instructor's and the student's notebooks ---------------------------------------------


def test_registry_has_at_least_16_exercises_in_four_chapters():
    chapters = by_chapter()
    assert {"linear_algebra", "calculus", "autodiff", "probability"} <= set(chapters)
    for name in ("linear_algebra", "calculus", "autodiff", "probability"):
        assert len(chapters[name]) >= 4, name
    assert len(EXERCISES) >= 16
    for ex in EXERCISES.values():
        assert ex.id.split(".")[0] and ex.points > 0 and ex.hint
        cases = ex.cases(0)
        assert any(c.hidden for c in cases) and any(not c.hidden for c in cases), ex.id
        names = [c.name for c in cases]
        assert len(names) == len(set(names)), f"{ex.id}: case names repeat"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_score_full_marks_and_exercises_score_zero(path, tmp_path):
    t0 = time.perf_counter()
    results, problems, text = grade([path], json_path=tmp_path / "r.json")
    assert not problems and results
    assert all(r.passed and r.score == r.points for r in results), text
    assert time.perf_counter() - t0 < 60

    t0 = time.perf_counter()
    results, problems, text = grade([ROOT / "exercises" / path.name])
    assert not problems and results
    for r in results:
        assert r.score == 0 and r.message == "not implemented yet", text
    assert text.rstrip().endswith(f"Points 0/{sum(r.points for r in results)}")
    assert time.perf_counter() - t0 < 60


def test_every_solution_cell_is_checked_in_its_notebook():
    for path in SOLUTIONS:
        nb = json.loads(path.read_text())
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        for ex in by_chapter()[path.stem]:
            assert f"def {ex.function}(" in text, f"{path.name} lacks {ex.function}"
            assert f'check("{ex.id}", {ex.function})' in text, f"{path.name} never checks {ex.id}"


def test_exercises_folder_is_what_assign_writes(tmp_path):
    assign(ROOT / "solutions", tmp_path)
    ours = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    theirs = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert ours == theirs
    for name in ours:
        assert (ROOT / "exercises" / name).read_text() == (tmp_path / name).read_text(), (
            f"exercises/{name} is stale: run `mininn assign solutions/ exercises/`"
        )


def test_assign_is_idempotent_and_leaves_no_solution_text(tmp_path):
    assign(ROOT / "solutions", tmp_path / "a")
    assign(ROOT / "solutions", tmp_path / "b")
    again = assign_notebook(json.loads((tmp_path / "a" / "autodiff.ipynb").read_text()), "autodiff")
    assert dumps(again) == (tmp_path / "a" / "autodiff.ipynb").read_text()
    for path in SOLUTIONS:
        student = (tmp_path / "a" / path.name).read_text()
        assert student == (tmp_path / "b" / path.name).read_text()
        assert "BEGIN SOLUTION" not in student and "END SOLUTION" not in student
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            for block in src.split("# BEGIN SOLUTION")[1:]:
                for line in block.split("# END SOLUTION")[0].splitlines():
                    if len(line.strip()) > 12:  # every substantive solution line is gone
                        assert line.strip() not in student, f"{path.name} leaks: {line.strip()}"
        sj = json.loads(student)
        assert all(c.get("outputs", []) == [] for c in sj["cells"])
        assert all(
            c.get("execution_count") is None for c in sj["cells"] if c["cell_type"] == "code"
        )
        assert set(sj["metadata"]) <= {"kernelspec", "mininn"}
        for c in sj["cells"]:
            assert set(c["metadata"]) <= {"tags"}


def test_assign_rejects_unbalanced_markers(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    nb = solution_notebook()
    nb["cells"][cell_index(nb, "mul_backward")]["source"] = (
        "def mul_backward(g, a, b):\n    # BEGIN SOLUTION\n    return g\n"
    )
    (src / "autodiff.ipynb").write_text(json.dumps(nb))
    with pytest.raises(ValueError, match="never closed"):
        assign(src, tmp_path / "out")


# -- robustness: each case loses only its own exercise's points -------------------------------

WRONG = "def mul_backward(grad, a, b):\n    return grad * a, grad * b\n"


def test_correct_answer_passes(tmp_path):
    results = run(tmp_path, solution_notebook())
    assert all(r.passed for r in results.values())


def test_student_code_that_raises(tmp_path):
    src = "def mul_backward(grad, a, b):\n    return grad * b, grad * c\n"
    results = run(tmp_path, with_cell(src))
    assert_isolated(results, "NameError")
    assert "line 2" in results["autodiff.mul_backward"].message


def test_wrong_answer_names_index_and_values(tmp_path):
    results = run(tmp_path, with_cell(WRONG))
    assert_isolated(results, "differs at index")


def test_infinite_loop_is_stopped_by_the_time_limit(tmp_path):
    src = "def mul_backward(grad, a, b):\n    while True:\n        pass\n"
    t0 = time.perf_counter()
    results = run(tmp_path, with_cell(src), timeout=3)
    assert time.perf_counter() - t0 < 3 * 2 + 10
    assert_isolated(results, "time limit of 3 s")


def test_allocating_10_gb_hits_the_memory_limit(tmp_path):
    src = "import numpy as np\ndef mul_backward(grad, a, b):\n    big = np.ones(10 * 1024**3 // 8)\n    return grad * b, grad * a\n"
    results = run(tmp_path, with_cell(src), memory_mb=1024)
    assert_isolated(results, "memory")


@pytest.mark.parametrize(
    ("src", "message"),
    [
        (
            "import sys\nsys.exit(0)\ndef mul_backward(grad, a, b):\n    return grad * b, grad * a\n",
            "sys.exit",
        ),
        ("import sys\ndef mul_backward(grad, a, b):\n    sys.exit(0)\n", "sys.exit"),
        (
            "import os\nos._exit(0)\ndef mul_backward(grad, a, b):\n    return grad * b, grad * a\n",
            "os._exit",
        ),
        ("import os\ndef mul_backward(grad, a, b):\n    os._exit(0)\n", "os._exit"),
        (
            "import os, signal\ndef mul_backward(grad, a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
            "SIGKILL",
        ),
    ],
    ids=[
        "sys.exit-at-import",
        "sys.exit-in-function",
        "os._exit-at-import",
        "os._exit-in-function",
        "kill-self",
    ],
)
def test_exiting_the_process(tmp_path, src, message):
    assert_isolated(run(tmp_path, with_cell(src)), message)


def test_printing_100_mb(tmp_path):
    src = "def mul_backward(grad, a, b):\n    print('x' * 1_000_000 * 100)\n    return grad * b, grad * a\n"
    assert_isolated(run(tmp_path, with_cell(src)), "printed more output")


@pytest.mark.parametrize(
    ("ret", "message"),
    [
        ("grad * np.nan, grad * a", "NaN"),
        ("(grad * b).astype(np.int64), grad * a", "dtype int64"),
        ("(grad * b)[:1], grad * a", "has shape"),
        ("(grad * b).tolist(), grad * a", "got a list"),
        ("None", "got None"),
        ("grad * b", "tuple of 2 values"),
    ],
    ids=["nan", "wrong-dtype", "wrong-shape", "list", "none", "one-value"],
)
def test_wrong_return_values(tmp_path, ret, message):
    src = f"import numpy as np\ndef mul_backward(grad, a, b):\n    return {ret}\n"
    assert_isolated(run(tmp_path, with_cell(src)), message)


@pytest.mark.parametrize(
    "tamper",
    [
        "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None",
        "import mininn.grading.spec as s\ns.compare = lambda *a, **k: None\n"
        "import mininn.grading as g\ng.compare = s.compare\ng.check = lambda *a, **k: True",
        "open('conftest.py', 'w').write('import pytest\\n')\n"
        "open('results.json', 'w').write('{\"score\": 100, \"max_score\": 12, \"tests\": []}')",
    ],
    ids=["redefine-allclose", "monkeypatch-grading", "conftest-and-forged-results"],
)
def test_tampering_cannot_change_a_verdict(tmp_path, tamper):
    src = "import numpy as np\n" + tamper + "\n" + WRONG
    results = run(tmp_path, with_cell(src))
    assert_isolated(results, "differs")


def test_forged_results_json_is_overwritten(tmp_path):
    target = tmp_path / "results.json"
    forged = json.dumps({"score": 12, "max_score": 12, "tests": []})
    src = f"open({str(target)!r}, 'w').write({forged!r})\n" + WRONG
    nb_path = tmp_path / "autodiff.ipynb"
    nb_path.write_text(json.dumps(with_cell(src)))
    grade([nb_path], json_path=target, timeout=TIMEOUT)
    data = json.loads(target.read_text())
    assert data["score"] == 10 and data["max_score"] == 12


def test_garbage_on_the_grader_channel(tmp_path):
    src = (
        "import os, sys\n"
        "def mul_backward(grad, a, b):\n"
        '    os.write(int(sys.argv[1]), b\'{"event": "result", "case": 0}\\nnot json\\n\')\n'
        "    return grad * b, grad * a\n"
    )
    assert_isolated(run(tmp_path, with_cell(src)), "malformed")


def test_renamed_function(tmp_path):
    src = "def mul_backward_v2(grad, a, b):\n    return grad * b, grad * a\n"
    assert_isolated(run(tmp_path, with_cell(src)), "no code cell defines mul_backward")


def test_deleted_cell(tmp_path):
    assert_isolated(run(tmp_path, with_cell(None)), "no code cell defines mul_backward")


def test_cell_turned_into_markdown(tmp_path):
    src = "def mul_backward(grad, a, b):\n    return grad * b, grad * a\n"
    assert_isolated(run(tmp_path, with_cell(src, kind="markdown")), "not a code cell")


def test_duplicated_cell_grades_the_last_definition(tmp_path):
    nb = solution_notebook()
    i = cell_index(nb, "mul_backward")
    wrong = copy.deepcopy(nb["cells"][i])
    wrong["source"] = WRONG
    nb["cells"].insert(i + 1, wrong)
    results = run(tmp_path, nb)
    assert_isolated(results, "the last was graded")


def test_not_json_and_missing_notebooks_are_reported(tmp_path):
    broken = tmp_path / "autodiff.ipynb"
    broken.write_text("{ this is not json")
    good = tmp_path / "good" / "autodiff.ipynb"
    good.parent.mkdir()
    good.write_text(json.dumps(solution_notebook()))
    results, problems, text = grade(
        [broken, tmp_path / "missing.ipynb", good], json_path=tmp_path / "r.json", timeout=TIMEOUT
    )
    assert any("not valid JSON" in p for p in problems)
    assert any("no such notebook" in p for p in problems)
    assert sum(r.score for r in results) == 12  # the good notebook is still graded
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 12


def test_hidden_checks_are_reported_by_name_status_and_points_only(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "extra.py").write_text(
        "import numpy as np\n"
        "from mininn.grading.grader import HiddenCheck\n"
        "from mininn.grading.spec import Case\n"
        "def cases(seed):\n"
        "    a = np.full((2, 2), 3.0); b = np.full((2, 2), -2.0); g = np.ones((2, 2))\n"
        "    return [Case('secret', (g, a, b), (g * b, g * a), 1e-12)]\n"
        "HIDDEN = [HiddenCheck('autodiff.mul_backward', 'instructor case', 4, cases)]\n"
    )
    nb = tmp_path / "autodiff.ipynb"
    nb.write_text(json.dumps(solution_notebook()))
    results, problems, text = grade([nb], json_path=tmp_path / "r.json", hidden_dir=hidden)
    assert not problems
    assert "hidden: instructor case" in text and "secret" not in text
    assert text.rstrip().endswith("Points 16/16")
    data = json.loads((tmp_path / "r.json").read_text())
    entry = next(t for t in data["tests"] if "instructor case" in t["name"])
    assert entry["score"] == 4 and entry["output"] == "" and entry["status"] == "passed"

    nb.write_text(json.dumps(with_cell(WRONG)))
    _, _, text = grade([nb], hidden_dir=hidden)
    assert text.rstrip().endswith("Points 10/16") and "secret" not in text


# -- Gradescope's results.json ----------------------------------------------------------------

RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "max_score", "execution_time", "tests", "extra_data"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "max_score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "number",
                    "score",
                    "max_score",
                    "status",
                    "output",
                    "visibility",
                ],
                "properties": {
                    "name": {"type": "string"},
                    "number": {"type": "string"},
                    "score": {"type": "number", "minimum": 0},
                    "max_score": {"type": "number", "minimum": 0},
                    "status": {"enum": ["passed", "failed"]},
                    "output": {"type": "string"},
                    "visibility": {
                        "enum": ["hidden", "after_due_date", "after_published", "visible"]
                    },
                },
                "additionalProperties": False,
            },
        },
        "extra_data": {
            "type": "object",
            "required": ["python", "numpy", "numba"],
            "properties": {k: {"type": "string"} for k in ("python", "numpy", "numba")},
        },
    },
}


def test_results_json_validates_against_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    nb = tmp_path / "autodiff.ipynb"
    nb.write_text(json.dumps(with_cell(WRONG)))
    grade([nb], json_path=tmp_path / "results.json", timeout=TIMEOUT)
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert data["score"] == sum(t["score"] for t in data["tests"]) == 10
    assert data["max_score"] == 12
    assert data["extra_data"]["numpy"] == np.__version__


def test_command_line_prints_table_and_points(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mininn.cli",
            "grade",
            str(ROOT / "solutions" / "autodiff.ipynb"),
            "--json",
            str(tmp_path / "r.json"),
            "--timeout",
            "20",
            "--memory",
            "1024",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["Exercise", "Points", "Status", "Message"]
    assert lines[-1] == "Points 12/12"
    assert (tmp_path / "r.json").exists()


# -- check() in the notebook and the comparison ------------------------------------------------


def test_check_prints_specific_messages_and_hides_hidden_cases(capsys):
    def mul_backward(grad, a, b):
        return (grad * a, grad * b)

    assert check("autodiff.mul_backward", mul_backward) is False
    out = capsys.readouterr().out
    assert "FAIL" in out and "differs at index" in out and "largest relative error" in out
    hidden = [c.name for c in EXERCISES["autodiff.mul_backward"].cases(0) if c.hidden]
    assert hidden and not any(name in out for name in hidden)

    def good(grad, a, b):
        return grad * b, grad * a

    assert check("autodiff.mul_backward", good) is True


def test_check_reports_not_implemented_and_unknown_ids(capsys):
    def mul_backward(grad, a, b):
        raise NotImplementedError("write it")

    assert check("autodiff.mul_backward", mul_backward) is False
    assert "not implemented yet" in capsys.readouterr().out
    with pytest.raises(KeyError, match="autodiff.mul_backward"):
        check("mul_backward", mul_backward)


def test_compare_messages_and_tolerance():
    e = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert compare(e.copy(), e, 1e-12) is None
    assert "shape (2,)" in compare(e[0], e, 1e-5)
    off = e.copy()
    off[1, 0] = 3.1
    msg = compare(off, e, 1e-5)
    assert "index (1, 0)" in msg and "expected 3" in msg and "got 3.1" in msg
    assert compare(e * (1 + 1e-7), e, 1e-5) is None  # float32-sized differences pass
    assert compare(np.zeros(2), np.zeros(2), 1e-12) is None  # the floor makes zeros compare
    assert compare(np.float64(2.0), 2.0, 1e-9) is None
    assert "number" in compare("2.0", 2.0, 1e-9)


def test_encode_decode_round_trip_without_pickle():
    value = (np.arange(6, dtype=np.float32).reshape(2, 3), 3, 2.5, (1, 2), None, np.float64(-0.5))
    back = decode(json.loads(json.dumps(encode(value))))
    assert isinstance(back, tuple) and back[1:5] == (3, 2.5, (1, 2), None)
    np.testing.assert_array_equal(back[0], value[0])
    assert back[0].dtype == np.float32
    assert decode(encode(np.array(5.0))).shape == ()
    with pytest.raises(ValueError):
        decode({"type": "ndarray", "dtype": "<f8", "shape": [3], "data": "AAAA"})
    with pytest.raises(ValueError):
        decode({"type": "ndarray", "dtype": "|O", "shape": [1], "data": ""})
