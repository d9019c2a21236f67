"""The ``workbench`` command line: a thin adapter over library functions.

Each verb parses its arguments, calls one library function and prints a short result.
Exit status: 0 on success, 1 when the data or params are wrong (one line, no traceback),
2 for a wrong command line (argparse's convention).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from evaluation import __version__
from evaluation.errors import WorkbenchError

Handler = Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- demo-data
def _add_demo_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo-data",
        help="write the demo world's raw exports (deterministic for a seed)",
        description=(
            "Write the raw exports the field would send for all six instruments, for a "
            "synthetic but realistic Elbasan project: a school survey at baseline and "
            "endline, trainings with pre/post tests, capacity scorecards, and 24 months of "
            "domestic-violence cases and street-situation contacts. Planted faults, true "
            "effects and every planted personal value are listed in truth.json beside the "
            "files. The same --scale and --seed always give byte-identical files."
        ),
    )
    p.add_argument(
        "--scale",
        type=_positive_float,
        default=1.0,
        metavar="K",
        help="multiply the size of the world by K (1 = about 1,200 students in about 40 "
        "schools per wave; 100 = about 120,000 students); default 1",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=20220203,
        metavar="S",
        help="random seed; the same seed and scale give byte-identical files (default 20220203)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder to write into (default surveys/data/demo/raw/ under the project root); "
        "it is replaced as a whole, atomically",
    )
    p.set_defaults(handler=_cmd_demo_data)


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from evaluation import synth

    summary = synth.write_demo_world(out=args.out, scale=args.scale, seed=args.seed)
    print(summary.describe())
    return 0


# --------------------------------------------------------------------------- helpers
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


# Each entry adds one verb. Modules that grow a verb add their function here.
_VERBS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_demo_data,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``workbench`` argument parser with every verb."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Evaluation workbench for the Elbasan youth crime-prevention project.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in _VERBS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except WorkbenchError as error:
        print(f"workbench {args.command}: error: {error.one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"workbench {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
