"""The ``workbench`` command line: a thin adapter over library functions.

Each verb parses its arguments, calls one library function and prints a short result.
Exit status: 0 on success, 1 when the data or params are wrong (one line, no traceback),
2 for a wrong command line (argparse's convention).
"""

from __future__ import annotations

import argparse
import os
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
        "schools per wave; 100 = about 120,000 students; trainings and administrative "
        "records grow with the square root of K); default 1",
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


# --------------------------------------------------------------------------- run
def _add_run(sub: argparse._SubParsersAction) -> None:
    from evaluation.params import LANGUAGES, REPORTS

    p = sub.add_parser(
        "run",
        help="run a report notebook and publish it (HTML without code, workbook, manifest)",
        description=(
            "Validate the report's params, execute its notebook with papermill (once per "
            "language), render the HTML without code, write manifest.json (inputs and outputs "
            "with SHA-256, params, package versions, git commit, timings) and publish "
            "reports/<report>/<run-id>/ atomically, pointing reports/<report>/latest at it. "
            "A failing cell prints one line naming the notebook, the cell and the cause, "
            "keeps the run as <run-id>.failed/ and leaves latest at the last good run."
        ),
    )
    p.add_argument(
        "report",
        choices=[*REPORTS, "all"],
        metavar="REPORT",
        help=f"{' | '.join(REPORTS)} | all (every report whose notebook exists)",
    )
    p.add_argument(
        "--params",
        type=Path,
        metavar="FILE",
        help="params YAML (default params/<report>.yaml if it exists, else the defaults); "
        "unknown keys are errors. Not with 'all', which reads params/<report>.yaml of each",
    )
    p.add_argument("--period", metavar="YYYY-MM", help="reporting period, over the params file's")
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        help="report language, over the params file's language and languages",
    )
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="notebook executions at once, each in its own kernel (default 2, or "
        "WORKBENCH_JOBS); 1 runs them one after the other",
    )
    p.set_defaults(handler=_cmd_run, run_parser=p)


def _cmd_run(args: argparse.Namespace) -> int:
    from evaluation import pipeline
    from evaluation.errors import ReportError

    overrides: dict[str, object] = {"period": args.period}
    if args.language:
        overrides.update(language=args.language, languages=[args.language])
    progress = not args.no_progress
    if args.report != "all":
        run = pipeline.run_report(
            args.report, args.params, overrides, progress=progress, workers=args.jobs
        )
        print(run.describe())
        return 0
    if args.params is not None:
        args.run_parser.error(
            "--params cannot be used with 'all'; each report reads params/<report>.yaml"
        )
    outcomes = pipeline.run_all(overrides, progress=progress, workers=args.jobs)
    for outcome in outcomes:
        print(outcome.message if outcome.run else f"{outcome.report}: {outcome.message}")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise ReportError(
            f"{len(failed)} of {len(outcomes)} reports failed: "
            + " | ".join(o.message for o in failed)
        )
    return 0


# --------------------------------------------------------------------------- instrument
def _add_instrument(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "instrument",
        help="check an XLSForm questionnaire",
        description="Work with XLSForm questionnaires (surveys/instruments/*.xlsx).",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    check = actions.add_parser(
        "check",
        help="summarise a form, or list every problem with sheet, row and column",
        description=(
            "Read an XLSForm (.xlsx, .xls, pyxform .csv, or a Kobo form .json), check it "
            "(names, choice lists, groups, expressions, personal_data marks) and run pyxform's "
            "converter on it. Prints a summary (form id, version, languages, questions by "
            "type, groups, personal fields) and any warnings; exit 0 when the form is usable. "
            "Otherwise prints every problem with its sheet, row and column and exits 1."
        ),
    )
    check.add_argument("form", type=Path, metavar="FORM", help="the XLSForm file")
    check.set_defaults(handler=_cmd_instrument_check)


def _cmd_instrument_check(args: argparse.Namespace) -> int:
    from evaluation.instruments import check_summary

    text, usable = check_summary(args.form)
    print(text)
    return 0 if usable else 1


# --------------------------------------------------------------------------- ingest
def _add_ingest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        help="validate and clean raw exports: clean tables, quarantine and an ingest log",
        description=(
            "Read raw exports (Kobo/ODK CSV or XLSX, SPSS, Stata) against their XLSForm, type "
            "every answer, quarantine unusable rows (one line per problem in quarantine.csv), "
            "remove or pseudonymise personal data, and write <table>.parquet, quarantine.csv "
            "and ingest_log.json atomically. Either a DATASET of params/datasets.yaml, or "
            "one-off files with --instrument, --input and --out. Prints one line per file. "
            "Exit 0 when the files were ingested (with or without quarantined rows), 1 when a "
            "file or the form cannot be used, 2 for a wrong command line."
        ),
    )
    p.add_argument(
        "dataset", nargs="?", metavar="DATASET", help="a dataset of params/datasets.yaml"
    )
    p.add_argument("--datasets", type=Path, metavar="FILE", help="another datasets YAML file")
    p.add_argument("--instrument", type=Path, metavar="FORM", help="XLSForm of one-off files")
    p.add_argument(
        "--input",
        type=Path,
        action="append",
        metavar="FILE",
        help="export file (repeatable). With a DATASET: re-ingest only the tables of these raw "
        "files (each from all its files) and carry the other tables over unchanged",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder for one-off files")
    p.add_argument(
        "--key-file", type=Path, metavar="FILE", help="pseudonymisation key file (one-off files)"
    )
    p.add_argument(
        "--key",
        choices=("env", "demo"),
        default="env",
        help="one-off files: 'env' reads WORKBENCH_PSEUDONYM_KEY(_FILE) (default); 'demo' "
        "uses the public demo key and needs --allow-demo-key",
    )
    p.add_argument(
        "--allow-demo-key",
        action="store_true",
        help="confirm that the files are synthetic demo data, so the public demo key may be used",
    )
    p.add_argument(
        "--missing", action="append", default=[], metavar="TEXT", help="extra missing marker"
    )
    p.add_argument("--today", metavar="YYYY-MM-DD", help="what today() means in expressions")
    p.set_defaults(handler=_cmd_ingest, ingest_parser=p)


def _cmd_ingest(args: argparse.Namespace) -> int:
    import datetime as dt

    parser = args.ingest_parser
    today = None
    if args.today:
        try:
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            parser.error(f"--today {args.today!r} is not a date YYYY-MM-DD")
    one_off = args.instrument is not None or args.input or args.out is not None
    if args.dataset and (args.instrument is not None or args.out is not None):
        parser.error(
            "give a DATASET (and --input to re-ingest some of its files), or "
            "--instrument/--input/--out for one-off files, not both"
        )
    if not args.dataset and not one_off:
        parser.error("give a DATASET of params/datasets.yaml, or --instrument, --input and --out")
    if args.dataset:
        from evaluation.ingest import ingest_dataset

        result = ingest_dataset(
            args.dataset, inputs=args.input or (), config_file=args.datasets, today=today
        )
        print(result.describe())
        return 0
    if args.instrument is None or not args.input or args.out is None:
        parser.error("one-off files need --instrument FORM, --input FILE and --out DIR")
    if args.key == "demo" and not args.allow_demo_key:
        parser.error("--key demo is the public demo key: add --allow-demo-key for demo data only")
    from evaluation.ingest import ingest_files
    from evaluation.privacy import load_key

    key = None
    if args.key_file is not None:
        key = load_key(args.key_file)
    elif args.key == "demo":
        key = load_key("demo")
    result = ingest_files(
        args.instrument, args.input, args.out, key=key, missing_values=args.missing, today=today
    )
    print(result.describe())
    return 0


# --------------------------------------------------------------------------- schedule
def _add_schedule(sub: argparse._SubParsersAction) -> None:
    from evaluation.schedule.command import add_parser

    add_parser(sub)


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
    _add_run,
    _add_instrument,
    _add_ingest,
    _add_schedule,
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
    except BrokenPipeError:
        # The reader of our output (e.g. `| head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
