"""The `mininn` command: `mininn grade ...` and `mininn assign ...`."""

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
