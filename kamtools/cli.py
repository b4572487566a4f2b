"""The ``kam`` command line: the consultant's and analyst's jobs in one command.

    kam demo                      write the demo client workspace (clients/demo)
    kam new CLIENT [--from FILE]  scaffold a client workspace with blank input files
    kam validate CLIENT           check a workspace; list every problem with file, row, column
    kam run [CLIENT]              execute the stage notebooks and write the report pack

Exit codes: 0 success, 1 a stage failed, 2 bad data or a usage error, 3 a bug in kamtools.
Expected failures are printed as plain sentences, never as a traceback; a bug is one line
naming the log file that holds its details (:mod:`kamtools.crashlog`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import webbrowser
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import pandas as pd

from kamtools import __version__, crashlog
from kamtools.command import EXIT_INTERRUPTED, INTERRUPTED
from kamtools.config import ClientConfig, ConfigError, check_folder_name, load_config
from kamtools.io import InputFileError
from kamtools.paths import DEFAULT_CLIENTS_DIR, DEFAULT_REPORTS_DIR
from kamtools.periods import period_bounds
from kamtools.runs import RunError
from kamtools.scaffold import DEMO_SLUG, ensure_demo_workspace, new_workspace
from kamtools.stages import stages
from kamtools.workspace import Workspace, load_workspace

if TYPE_CHECKING:
    from kamtools.runner import WarmStart

EXIT_OK, EXIT_STAGE_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BUG = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kam",
        description="kamtools: key account management for dealers and distributors.",
        epilog="Workflow: kam new CLIENT → fill in clients/CLIENT/inputs → kam validate CLIENT"
        " → kam run CLIENT.",
    )
    parser.add_argument("--version", action="version", version=f"kamtools {__version__}")
    parser.add_argument(
        "--clients-dir",
        type=Path,
        default=DEFAULT_CLIENTS_DIR,
        help="folder of client workspaces (default: clients/ of the project)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="write the demo client workspace (deterministic, generated)")
    demo.add_argument("--force", action="store_true", help="rewrite it even if it exists")

    new = commands.add_parser("new", help="create a client workspace with blank input files")
    new.add_argument("client", help="short name of the client (folder name)")
    new.add_argument("--name", help="the client's full name, as reports show it")
    new.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        help="a real export of invoice lines: copy it and propose a column mapping and the periods",
    )
    new.add_argument("--customers", type=Path, help="with --from: the customer master export")
    new.add_argument("--receivables", type=Path, help="with --from: open items / paid invoices")
    new.add_argument(
        "--lookup",
        type=Path,
        action="append",
        default=[],
        help="with --from: a lookup file joined onto the lines (e.g. product -> category); repeatable",
    )

    validate = commands.add_parser("validate", help="check a client workspace and list every problem")
    validate.add_argument("client", help="client folder name under clients/, or a path")
    validate.add_argument("--period", type=int, help="analyse this fiscal year instead of client.yml's")

    run = commands.add_parser("run", help="execute the stage notebooks and render the report pack")
    run.add_argument("client", nargs="?", default=DEMO_SLUG, help="client (default: the demo)")
    keys = ", ".join(s.key for s in stages())
    run.add_argument("--stage", default="all", help=f"{keys}: one, a comma list, or all")
    run.add_argument("--period", type=int, help="fiscal year to analyse (default: client.yml's current)")
    run.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks to analyse at once where dependencies allow (default: the machine's cores)",
    )
    run.add_argument("--from-run", help="re-run stages on the outputs of this earlier run id")
    run.add_argument("--with-code", action="store_true", help="analyst variant: keep the code in the HTML")
    run.add_argument("--reports-dir", type=Path, help="where report packs go (default: reports/)")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--open", action="store_true", help="open the report pack in a browser")
    lab = commands.add_parser("lab", help="open the client's workshop notebooks in JupyterLab")
    lab.add_argument("client", nargs="?", default=DEMO_SLUG, help="client (default: the demo)")
    lab.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    return parser


def period_label(config: ClientConfig, *, ahead: int = 0) -> str:
    """The period as reports name it: "2026 (April 2025 to March 2026)"; ``ahead=1``: the next one."""
    period = config.current_period + ahead
    start, end = period_bounds(period, start_month=config.fiscal_year_start_month)
    return f"{period} ({start:%B %Y} to {end:%B %Y})"


def resolve_workspace(client: str, clients_dir: Path) -> Path:
    """A client argument is a folder name under ``clients_dir`` or a path to a workspace."""
    as_path = Path(client).expanduser()
    if (as_path / "client.yml").exists():
        return as_path
    return clients_dir / client


def _print_problems(workspace: Workspace) -> None:
    problems = workspace.intake.problems
    print(f"{len(problems)} problem(s) in the data of '{workspace.config.name}':", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print(
        "Fix them in the client's files (or the mapping in client.yml) and validate again.", file=sys.stderr
    )


def _print_quality(workspace: Workspace) -> None:
    intake = workspace.intake
    for source in intake.sources:
        print(
            f"  {source.table:<14} {source.file}: {source.rows_read:,} rows read, {source.rows_kept:,} kept"
        )
    if intake.repairs:
        print("Repairs and rows set aside (shown in the reports' data-quality section):")
        for repair in intake.repairs:
            print(f"  - {repair}")
    set_aside = intake.set_aside_sales_table()
    if len(set_aside) > 1:
        total = set_aside.iloc[-1]
        share = (
            ""
            if pd.isna(total["share of sales"])
            else f" ({total['share of sales']:.1%} of the file's sales)"
        )
        print(
            f"Sales set aside in total: {total['lines']:,} lines, net sales {total['net sales']:,.0f}{share}"
        )
    for note in intake.notes:
        print(f"Note: {note}")


def cmd_demo(args: argparse.Namespace) -> int:
    target = ensure_demo_workspace(args.clients_dir / DEMO_SLUG, force=args.force)
    print(f"Demo client workspace ready: {target}")
    print("Next: kam validate demo, then kam run demo")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    check_folder_name(args.client)  # never "../../x", "" or "clients/" itself
    if args.name is not None and not 0 < len(args.name.strip()) <= 120:
        print("kam new: --name must be the client's name, 1 to 120 characters", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = args.clients_dir / args.client
    companions = {t: getattr(args, t) for t in ("customers", "receivables") if getattr(args, t) is not None}
    given = [args.from_file, *companions.values(), *args.lookup]
    if args.from_file is None and len(given) > 1:
        print(
            "kam new: --customers, --receivables and --lookup need --from (the invoice lines)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    for path in given:
        if path is not None and not path.exists():
            print(f"kam new: {path.name}: file not found", file=sys.stderr)
            return EXIT_BAD_INPUT
    written = new_workspace(
        target,
        name=args.name or args.client,
        from_file=args.from_file,
        companions=companions,
        lookup_files=args.lookup,
    )
    print(f"Created client workspace {target} with {len(written)} files.")
    if args.from_file is None:
        print("Fill in the files in inputs/ (one example row each shows the format; delete it),")
        print("check client.yml,")
        print(f"then run: kam validate {args.client}")
        return EXIT_OK
    print("Proposed client.yml (edit it to change anything; nothing is asked):\n")
    print((target / "client.yml").read_text(encoding="utf-8"))
    workspace = load_workspace(target)
    problems = workspace.intake.problems
    if problems:
        print(f"Checked: {len(problems)} problem(s) to fix in client.yml or the files, e.g.:")
        for problem in problems[:5]:
            print(f"  - {problem}")
        print(f"Fix them, then run: kam validate {args.client}")
    else:
        print(f"Checked: no problems found. Next: kam validate {args.client}, then kam run {args.client}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    if args.client == DEMO_SLUG:
        ensure_demo_workspace(args.clients_dir / DEMO_SLUG)
    workspace = load_workspace(resolve_workspace(args.client, args.clients_dir), period=args.period)
    print(
        f"{workspace.config.name}: fiscal year {workspace.config.current_period}"
        f" (compared with {workspace.config.previous_period})"
    )
    _print_quality(workspace)
    if workspace.intake.problems:
        _print_problems(workspace)
        return EXIT_BAD_INPUT
    print("No problems found: the data is ready for `kam run`.")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from kamtools.runner import available_stages, warm_start

    if args.client == DEMO_SLUG:
        ensure_demo_workspace(args.clients_dir / DEMO_SLUG)
    root = resolve_workspace(args.client, args.clients_dir)
    requested = available_stages() if args.stage == "all" else [s.strip() for s in args.stage.split(",")]
    titles = {s.key: s.title for s in stages()}
    unknown = [s for s in requested if s not in titles]
    if unknown:
        print(f"kam run: unknown stage(s) {unknown}; choose from {list(titles)} or all", file=sys.stderr)
        return EXIT_BAD_INPUT
    # The first stage's kernel starts while the data is validated; refused, it is stopped.
    with warm_start(requested) as warm:
        workspace = load_workspace(root, period=args.period)
        if workspace.intake.problems:
            _print_problems(workspace)
            return EXIT_BAD_INPUT
        return _run(args, workspace, requested, titles, warm)


def _run(
    args: argparse.Namespace,
    workspace: Workspace,
    requested: list[str],
    titles: dict[str, str],
    warm: WarmStart,
) -> int:
    """``kam run`` once the data is valid: execute, file the pack, say where it is."""
    from kamtools.runner import RunSettings, RunTarget, run_stages

    settings = RunSettings(
        reports_dir=args.reports_dir or DEFAULT_REPORTS_DIR,
        from_run=args.from_run,
        jobs=max(1, args.jobs),
        with_code=args.with_code,
        progress=not args.quiet,
    )
    result = run_stages(
        RunTarget.for_workspace(
            workspace,
            period_label=period_label(workspace.config),
            next_period_label=period_label(workspace.config, ahead=1),
        ),
        requested,
        settings,
        notify=(lambda _message: None) if args.quiet else print,
        warm=warm,
    )
    index = result.run_dir / "index.html"
    for stage in result.stages:
        if stage.status != "done":
            where = f" at '{stage.failed_step}'" if stage.failed_step else ""
            print(f"{titles[stage.key]}: {stage.status}{where}", file=sys.stderr)
    print(f"Reports: {index}")
    if args.open:
        webbrowser.open(index.as_uri())
    return EXIT_OK if result.ok else EXIT_STAGE_FAILED


def cmd_lab(args: argparse.Namespace) -> int:
    import os

    from kamtools.lab import lab_command, lab_server, write_workshop_notebooks
    from kamtools.runner import ensure_kernel

    if args.client == DEMO_SLUG:
        ensure_demo_workspace(args.clients_dir / DEMO_SLUG)
    root = resolve_workspace(args.client, args.clients_dir)
    load_config(root)  # a missing or wrong client.yml is one sentence, before anything starts
    notebooks = write_workshop_notebooks(root)
    ensure_kernel()
    server = lab_server(root, port=args.port)
    print(f"Workshop notebooks of {root.name}: {server.root}")
    for notebook in notebooks:
        print(f"  {notebook.name}")
    print("JupyterLab (Ctrl-C stops it):")
    print(f"  {server.url(notebooks[0].name if notebooks else None)}", flush=True)
    command = lab_command(server)
    os.execv(command[0], command)  # this process becomes JupyterLab: one process id to stop
    return EXIT_OK  # pragma: no cover - execv does not return


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kam`` command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    handlers = {"demo": cmd_demo, "new": cmd_new, "validate": cmd_validate, "run": cmd_run, "lab": cmd_lab}
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    with _interrupts_noted() as interrupted:
        try:
            code = handlers[args.command](args)
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        except Exception as exc:
            code = EXIT_INTERRUPTED if interrupted.is_set() else _failure(exc, args.command)
    if code == EXIT_INTERRUPTED or interrupted.is_set():
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


@contextlib.contextmanager
def _interrupts_noted() -> Iterator[threading.Event]:
    """Note each Ctrl-C while the command works, and raise ``KeyboardInterrupt`` as Python does.

    Libraries may catch the interrupt themselves (DuckDB stops its query and raises
    ``RuntimeError("Query interrupted")``; a fallback may then carry on). With the note the
    command still ends as interrupted: one line, exit 130, never a bug report or exit 0. A
    SIGINT that was ignored when kam started (a background job) stays ignored.
    """
    noted = threading.Event()

    def note(signum: int, frame: FrameType | None) -> None:
        noted.set()
        signal.default_int_handler(signum, frame)

    own = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if own else None
    if own and previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        if own and previous is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous)


def _failure(exc: Exception, command: str) -> int:
    """The exit code of a command that raised ``exc``, after its one line on stderr."""
    if isinstance(exc, (ConfigError, InputFileError, RunError)):
        print(f"kam {command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    sentence = crashlog.disk_problem(exc) if isinstance(exc, OSError) else None
    if sentence is None:  # anything else is a bug in kamtools: one line, details in a log
        return _bug(exc, command)
    print(f"kam {command}: {sentence}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _bug(exc: BaseException, command: str) -> int:
    log = crashlog.write_bug_report(exc, command=command)
    where = f"; the details are in {log}" if log else ""
    print(
        f"kam {command}: unexpected error ({type(exc).__name__}), a bug in kamtools, not in your data{where}",
        file=sys.stderr,
    )
    return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
