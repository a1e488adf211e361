"""The child process of `mininn grade`: runs one exercise's student code, reports raw outputs.

Started as ``python -I -m mininn.grading.runner FD`` with a job on standard input (JSON: the
setup cells, the exercise cell, the function name and the encoded arguments of each case).
It executes the cells, calls the function on each case and writes one JSON line per event
to file descriptor FD. It compares nothing: the parent process decides every verdict, so
whatever the student's code changes in this process cannot change a score.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import traceback


def _shell_free(source: str) -> str:
    """Comment out IPython magics and shell escapes (`%time`, `!pip ...`)."""
    return re.sub(r"^(\s*)([%!])", r"\1# \2", source, flags=re.M)


def _error_message(exc: BaseException, filename: str) -> str:
    if isinstance(exc, SystemExit):
        return f"the code called sys.exit({exc.code!r}), which the grader does not allow"
    if isinstance(exc, NotImplementedError):
        return "not implemented yet (NotImplementedError)"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "printed more output than the grader allows"
    if isinstance(exc, MemoryError):
        return "ran out of memory (MemoryError): the grader's memory limit was exceeded"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    where = f" (line {frames[-1].lineno} of the exercise cell)" if frames else ""
    text = f"{type(exc).__name__}: {exc}"
    if len(text) > 400:
        text = text[:400] + "..."
    return f"raised {text}{where}"


def main() -> None:
    fd = int(sys.argv[1])
    channel = os.fdopen(fd, "w", encoding="utf-8", closefd=True)
    write_line, dumps, flush = channel.write, json.dumps, channel.flush

    def send(**event) -> None:
        write_line(dumps(event) + "\n")
        flush()

    job = json.loads(sys.stdin.read())
    sys.stdin.close()

    # Imported before any student code runs, so a monkeypatch cannot change how outputs
    # are turned into plain bytes.
    from mininn.grading.spec import decode, encode

    namespace: dict = {"__name__": "__main__"}
    for i, src in enumerate(job["setup"]):
        try:
            exec(compile(_shell_free(src), f"<setup cell {i}>", "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - report, never crash
            send(event="setup_error", message=_error_message(exc, f"<setup cell {i}>"))

    cell = "<exercise cell>"
    try:
        exec(compile(_shell_free(job["cell"]), cell, "exec"), namespace)
    except BaseException as exc:  # noqa: BLE001
        send(event="cell_error", message=_error_message(exc, cell))
        send(event="done")
        return

    fn = namespace.get(job["function"])
    if not callable(fn):
        send(event="missing", message=f"the cell does not define a function {job['function']}")
        send(event="done")
        return

    for i, encoded in enumerate(job["cases"]):
        send(event="start", case=i)
        try:
            args = decode(encoded)
            value = fn(*args)
            payload = encode(value)
        except BaseException as exc:  # noqa: BLE001
            send(event="error", case=i, message=_error_message(exc, cell))
            continue
        send(event="result", case=i, value=payload)
    send(event="done")


if __name__ == "__main__":
    main()
