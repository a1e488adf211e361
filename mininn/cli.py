"""The `mininn` command: `mininn grade`, `mininn assign`, `mininn data` and `mininn bench`."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _grade(args: argparse.Namespace) -> int:
    from mininn.grading.grader import grade

    _, _, text = grade(
        args.notebooks,
        json_path=args.json,
        timeout=args.timeout,
        memory_mb=args.memory,
        hidden_dir=args.hidden,
        seed=args.seed,
    )
    print(text)
    return 0


def _assign(args: argparse.Namespace) -> int:
    from mininn.grading.assign import assign

    try:
        written = assign(args.source, args.target)
    except (FileNotFoundError, ValueError) as e:
        print(f"mininn assign: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def _data(args: argparse.Namespace) -> int:
    from mininn.datasets import run_data

    return run_data(args)


def _bench(args: argparse.Namespace) -> int:
    from mininn.benchmarks import main_bench

    argv = [args.name] + (["--epochs", str(args.epochs)] if args.epochs else [])
    argv += ["--root", args.root] if args.root else []
    argv += ["--no-torch"] if args.no_torch else []
    argv += ["--json", args.json] if args.json else []
    if args.name == "rnn":
        argv += ["--steps", str(args.steps), "--minutes", str(args.minutes)]
    return main_bench(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mininn", description="Tools of the mininn book.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser(
        "grade",
        help="grade exercise notebooks",
        description="Run each exercise of the notebooks in a separate, limited process and "
        "compare its outputs with the checker's references. Prints a table and 'Points X/Y'.",
    )
    g.add_argument("notebooks", nargs="+", help="exercise notebooks (.ipynb)")
    g.add_argument("--json", metavar="PATH", help="also write Gradescope's results.json here")
    g.add_argument(
        "--timeout",
        type=float,
        default=20.0,
        metavar="S",
        help="wall-clock limit per exercise, in seconds (default 20)",
    )
    g.add_argument(
        "--memory",
        type=int,
        default=1024,
        metavar="MB",
        help="address-space limit per exercise, in MB (default 1024)",
    )
    g.add_argument("--hidden", metavar="DIR", help="directory of an instructor's hidden checks")
    g.add_argument("--seed", type=int, default=0, help="seed of the checker's inputs (default 0)")
    g.set_defaults(run=_grade)

    a = sub.add_parser(
        "assign",
        help="write student notebooks from solution notebooks",
        description="Replace every '# BEGIN SOLUTION' ... '# END SOLUTION' block with "
        "'raise NotImplementedError(hint)', clear outputs and metadata.",
    )
    a.add_argument("source", help="folder of solution notebooks")
    a.add_argument("target", help="folder to write the student notebooks to")
    a.set_defaults(run=_assign)

    from mininn.datasets import add_data_arguments

    d = sub.add_parser(
        "data",
        help="find, download and verify a data set",
        description="Look for the data set's files (--root, $MININN_DATA, ~/.cache/mininn, "
        "/usr/share/datasets), download them if missing, verify their checksums and print "
        "where they are.",
    )
    add_data_arguments(d)
    d.set_defaults(run=_data)
    b = sub.add_parser(
        "bench",
        help="run a benchmark (mininn against PyTorch in the same run)",
        description="Median seconds per epoch of mininn and, when installed, PyTorch (same "
        "weights, batches and threads), their ratio, and the test accuracy both reach; for "
        "cnn also single-convolution timings and Numba's start-up time; for rnn, ms per "
        "character-LSTM/GRU training step and the validation loss after a fixed time.",
    )
    b.add_argument("name", choices=["mlp", "cnn", "rnn"], help="which benchmark")
    b.add_argument("--epochs", type=int, help="epochs to time (mlp: at least 5, cnn: 3)")
    b.add_argument("--root", help="folder with the data set's files")
    b.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    b.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    b.add_argument("--steps", type=int, default=60, help="rnn: training steps to time (>= 50)")
    b.add_argument(
        "--minutes",
        type=float,
        default=1.0,
        help="rnn: minutes of training before the validation loss (the issue's figure: 3)",
    )
    b.set_defaults(run=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
