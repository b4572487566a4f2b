"""Runs that are interrupted, killed or fail leave nothing behind and never become ``latest``.

Measured on real processes: the stage process and its Jupyter kernel stop within a second of
the runner being killed; Ctrl-C prints one friendly line and no traceback; a work folder left
by a killed run is removed at the next run; a failed run is filed and listed on the period's
index but ``latest`` keeps pointing at the newest complete pack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kamtools import runs
from kamtools.processes import descendant_pids

from .test_runner import CUSTOMER_TIERS_CSV, KEY_ACCOUNTS_CSV, run, write_notebook

SLOW = "import time\nfor _ in range(600):\n    time.sleep(0.1)"
GOOD = (
    "import pathlib\n"
    f"pathlib.Path(output_dir, 'key_accounts.csv').write_text({KEY_ACCOUNTS_CSV!r})\n"
    f"pathlib.Path(output_dir, 'customer_tiers.csv').write_text({CUSTOMER_TIERS_CSV!r})\n"
)


def _wait_for_kernel(pid: int, timeout: float = 90.0) -> list[int]:
    """Descendants of ``pid`` once a stage process and its kernel are both up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        below = descendant_pids(pid)
        kernels = [p for p in below if "ipykernel" in _cmdline(p)]
        if kernels:
            time.sleep(1.0)  # the kernel is executing the slow cell
            return descendant_pids(pid)
        time.sleep(0.2)
    raise AssertionError("no kernel started")


def _wait_for_work_folder(reports: Path, timeout: float = 90.0) -> None:
    """Return once a run has made its work folder under ``reports`` (the data is validated)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(reports.rglob(".work-*")):
            return
        time.sleep(0.1)
    raise AssertionError("no run started")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _runner_script(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    write_notebook(folder / "01_screening.ipynb", SLOW, markdown="## Slow part")
    script = tmp_path / "runner.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from kamtools.runner import RunSettings, RunTarget, run_stages
            target = RunTarget(Path({str(tmp_path)!r}), client_name="Acme", client_slug="acme", period=2025)
            settings = RunSettings(reports_dir=Path({str(tmp_path / "reports")!r}),
                                   notebooks_dir=Path({str(folder)!r}), progress=False)
            run_stages(target, ["screening"], settings, notify=lambda m: None)
            """
        ),
        encoding="utf-8",
    )
    return script


def test_killing_the_runner_stops_the_stage_and_its_kernel_within_a_second(tmp_path):
    runner = subprocess.Popen([sys.executable, str(_runner_script(tmp_path))], start_new_session=True)
    try:
        below = _wait_for_kernel(runner.pid)
        assert len(below) >= 2, "a stage process and its kernel"
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        killed = time.monotonic()
        while _alive(below) and time.monotonic() - killed < 5:
            time.sleep(0.05)
        stopped_after = time.monotonic() - killed
        assert not _alive(below)
        assert stopped_after < 1.0, f"stage and kernel stopped {stopped_after:.2f} s after the runner"
    finally:
        for pid in _alive(descendant_pids(runner.pid)):
            os.kill(pid, signal.SIGKILL)
    period = tmp_path / "reports" / "acme" / "2025"
    [work] = list(period.glob(".work-*"))  # the killed run could not clean up ...
    write_notebook(tmp_path / "quick" / "01_screening.ipynb", GOOD)
    result = run(tmp_path / "quick", tmp_path / "reports")
    assert result.ok
    assert not work.exists(), "... the next run removed its copy of the client's data"


def test_ctrl_c_during_a_run_prints_one_line_and_leaves_nothing(demo_workspace, tmp_path):
    import shutil

    clients = tmp_path / "clients"
    shutil.copytree(demo_workspace, clients / "demo")
    kam = Path(sys.executable).with_name("kam")
    argv = [kam, "--clients-dir", clients, "run", "demo", "--stage", "screening", "--quiet"]
    process = subprocess.Popen(
        [*map(str, argv), "--reports-dir", str(tmp_path / "reports")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    below = _wait_for_kernel(process.pid)
    _wait_for_work_folder(tmp_path / "reports")  # the kernel warms before the run itself starts
    os.killpg(process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in out + err
    assert err.strip().splitlines() == [
        "kam: interrupted; earlier reports and workshop entries are untouched."
    ]
    time.sleep(1.0)
    assert not _alive(below)
    assert not list((tmp_path / "reports").rglob(".work-*"))


def test_ctrl_c_while_kam_is_still_loading_prints_the_same_one_line(tmp_path):
    # A real SIGINT, delivered at the moment the command first imports pandas: the second in
    # which an analyst who started the wrong command presses Ctrl-C.
    script = (
        "import builtins, os, signal, sys\n"
        "real_import = builtins.__import__\n"
        "def interrupting_import(name, *args, **kwargs):\n"
        "    if name == 'pandas':\n"
        "        builtins.__import__ = real_import\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real_import(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupting_import\n"
        "from kamtools.command import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script, "validate", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 130, process.stderr
    assert "Traceback" not in process.stdout + process.stderr
    assert process.stderr.strip().splitlines() == [
        "kam: interrupted; earlier reports and workshop entries are untouched."
    ]


SWALLOWED_INTERRUPT = (
    "import os, signal, sys, threading\n"
    "import duckdb\n"
    "from kamtools import cli, command\n"
    "def long_query(args):\n"
    "    # Ctrl-C 0.3 s into a DuckDB query: DuckDB catches it and raises RuntimeError instead.\n"
    "    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
    "    try:\n"
    "        duckdb.sql('SELECT sum(i * i) FROM range(100000000000) t(i)').fetchall()\n"
    "    except RuntimeError:\n"
    "        if sys.argv[1] == 'fallback':\n"
    "            return 0  # a fallback path that carries on as if nothing had happened\n"
    "        raise\n"
    "    return 0\n"
    "cli.cmd_validate = long_query\n"
    "sys.exit(command.main(['validate', 'acme']))\n"
)


@pytest.mark.parametrize("after", ["raise", "fallback"])
def test_ctrl_c_caught_by_duckdb_still_ends_as_interrupted(after):
    process = subprocess.run(
        [sys.executable, "-c", SWALLOWED_INTERRUPT, after], capture_output=True, text=True, timeout=180
    )
    assert process.returncode == 130, process.stderr
    assert "Traceback" not in process.stdout + process.stderr
    assert process.stderr.strip().splitlines() == [
        "kam: interrupted; earlier reports and workshop entries are untouched."
    ]


def test_the_kam_command_starts_from_the_light_entry_point():
    kam = Path(sys.executable).with_name("kam")
    assert "kamtools.command" in kam.read_text(encoding="utf-8")


def test_a_failed_run_never_becomes_latest_and_is_listed_on_the_client_index(tmp_path):
    good = tmp_path / "good"
    write_notebook(good / "01_screening.ipynb", GOOD)
    bad = tmp_path / "bad"
    write_notebook(bad / "01_screening.ipynb", "raise ValueError('boom')")
    first = run(good, tmp_path / "reports", now=__import__("datetime").datetime(2026, 1, 1, 9))
    failed = run(bad, tmp_path / "reports", now=__import__("datetime").datetime(2026, 1, 2, 9))
    period = tmp_path / "reports" / "acme" / "2025"
    assert first.ok and not failed.ok
    assert (period / "latest").resolve() == first.run_dir.resolve()
    index = (period.parent / "index.html").read_text(encoding="utf-8")
    assert failed.run_dir.name in index and "did not complete" in index
    assert "Acme &amp; &lt;Sons&gt;" in index
    assert runs.run_status(failed.run_dir) == "failed"


def test_a_work_folder_of_a_run_still_going_is_left_alone(tmp_path):
    period = tmp_path / "acme" / "2025"
    alive = period / ".work-20260101-090000"
    alive.mkdir(parents=True)
    runs.claim(alive)  # this test process: alive
    sleeper = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = period / ".work-20260101-080000"
    dead.mkdir()
    (dead / runs.OWNER_FILE).write_text(sleeper.stdout.decode().strip())
    (dead / "sales.parquet").write_bytes(b"client data")
    assert runs.remove_abandoned_work(tmp_path / "acme") == [dead]
    assert alive.exists() and not dead.exists()


def test_a_reports_folder_that_cannot_be_written_is_one_clear_line(demo_workspace, capsys):
    from kamtools.cli import main

    reports = Path("/sys/kamtools-reports")  # sysfs refuses new folders, even to root
    argv = ["--clients-dir", str(demo_workspace.parent), "run", "demo", "--quiet"]
    code = main([*argv, "--reports-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "cannot write /sys/kamtools-reports" in err and "not writable" in err


def test_a_full_disk_is_named_as_such():
    from kamtools.crashlog import disk_problem

    try:
        with open("/dev/full", "w") as handle:
            handle.write("x" * 100_000)
            handle.flush()
    except OSError as exc:
        assert "the disk is full" in disk_problem(exc)
    else:  # pragma: no cover
        raise AssertionError("/dev/full accepted the write")


def test_an_unexpected_error_is_one_line_pointing_at_a_log(tmp_path, monkeypatch, capsys):
    from kamtools import cli

    def broken(_args):
        raise ZeroDivisionError("inside kamtools")

    monkeypatch.setenv("KAM_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(cli, "cmd_demo", broken)
    code = cli.main(["demo"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BUG
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "a bug in kamtools, not in your data" in err
    [log] = list((tmp_path / "logs").glob("kam-demo-*.log"))
    assert str(log) in err
    assert "ZeroDivisionError: inside kamtools" in log.read_text(encoding="utf-8")
