"""Workshop mode in a real JupyterLab, driven by Chromium: `make test-browser` (.ci/run runs it).

`kam lab demo` is started on a free localhost port; Chromium (Debian's /usr/bin/chromium, driven
by Playwright) opens the screening workshop notebook, runs all cells, waits for the panel,
drags a weight slider with the mouse, checks that the ranked lists changed and the chart was
redrawn in time, clicks Save and checks client.yml on disk. Screenshots of each step go to the
test's temporary folder (and to docs/workshop/ with KAM_WORKSHOP_SCREENSHOTS=docs/workshop).
JupyterLab is stopped by its process id; the project's git status is the same afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kamtools import io
from kamtools.lab import LabServer, free_port, wait_until_ready
from kamtools.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TABLE_SECONDS = 0.3
"""A slider release updates the ranked lists within this (issue 14)."""
CHART_SECONDS = 1.0
"""... and redraws the chart within this."""
HOLD_TIME_TARGETS = os.environ.get("KAM_BROWSER_TIME_TARGETS") == "1"
"""Speed targets are measured, not asserted, by default: a timed test on a shared CI machine
fails on load, not on code. The test always prints and writes the measured times;
``KAM_BROWSER_TIME_TARGETS=1 make test-browser`` on a quiet machine also holds the targets."""
NOTEBOOK = "01_screening.ipynb"
COMMENT_TOP = "# Demo dealer: settings agreed with the sales director"
COMMENT_SECTION = "  # the workshop of 12 May moved these"

WATCH_SCRIPT = """() => {
  const watch = {release: null, table: null, chart: null};
  window.kamWatch = watch;
  const first = (key) => () => { if (watch[key] === null) watch[key] = performance.now(); };
  new MutationObserver(first('table')).observe(
    document.querySelector('.kam-ranked'), {childList: true, subtree: true, characterData: true});
  new MutationObserver(first('chart')).observe(
    document.querySelector('.kam-quadrant'), {attributes: true, attributeFilter: ['src']});
  document.addEventListener('mouseup', first('release'), {capture: true, once: true});
}"""


def _git_status() -> str:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return "(not a git checkout)"
    # The README's screenshots, when asked for (KAM_WORKSHOP_SCREENSHOTS), are the one change allowed.
    shots = os.environ.get("KAM_WORKSHOP_SCREENSHOTS", "").strip("/")
    return "\n".join(line for line in done.stdout.splitlines() if not (shots and shots in line))


@pytest.fixture
def lab(demo_workspace, tmp_path):
    """`kam lab demo` on a free port over a copy of the demo with a commented client.yml."""
    clients = tmp_path / "clients"
    workspace = shutil.copytree(demo_workspace, clients / "demo")
    config = workspace / "client.yml"
    text = config.read_text(encoding="utf-8").replace("screening: {}\n", "screening:\n  key_accounts: 35\n")
    if "screening:\n" not in text:
        text += "screening:\n  key_accounts: 35\n"
    text = text.replace("screening:\n", f"screening:\n{COMMENT_SECTION}\n", 1)
    config.write_text(f"{COMMENT_TOP}\n{text}", encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kamtools.cli", "--clients-dir", str(clients), "lab", "demo",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=(tmp_path / "lab.log").open("w"), text=True, cwd=tmp_path,
        start_new_session=True,
    )  # fmt: skip
    try:
        url = ""
        for line in process.stdout:
            if "token=" in line:
                url = line.strip()
                break
        assert url, (tmp_path / "lab.log").read_text(encoding="utf-8")
        token = url.split("token=", 1)[1]
        server = LabServer(root=workspace / "workshop", port=port, token=token)
        wait_until_ready(server)
        yield server, workspace, url
    finally:
        process.send_signal(signal.SIGTERM)  # JupyterLab itself: `kam lab` became it (exec)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _shoot(page, folder: Path, name: str, selector: str | None = None) -> Path:
    path = folder / name
    if selector:
        page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(path))
    target = os.environ.get("KAM_WORKSHOP_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    return path


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def _drag_slider(page, selector: str, fraction: float) -> None:
    """Drag the handle of an ipywidgets slider to ``fraction`` of its track, with the mouse."""
    page.locator(selector).first.scroll_into_view_if_needed()
    track = page.locator(f"{selector} .noUi-target").first.bounding_box()
    handle = page.locator(f"{selector} .noUi-handle").first.bounding_box()
    assert track["width"] > 150, f"slider track only {track['width']:.0f} px wide"
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    target_x = track["x"] + fraction * track["width"]
    page.mouse.move(target_x, handle["y"] + handle["height"] / 2, steps=12)
    page.mouse.up()


def _open_and_run(page, server: LabServer, notebook: str, shots: Path, ready: str) -> None:
    """Open a workshop notebook, run all its cells and wait for ``ready`` and an idle kernel."""
    page.goto(server.url(notebook))
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector("text=Python (kamtools) | Idle", timeout=120_000)
        page.keyboard.press("Control+b")  # close the file browser: the panel gets the width
        _run_all(page)
        page.wait_for_selector(ready, timeout=300_000)
        page.wait_for_function(
            "() => !document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=\"busy\"]')",
            timeout=600_000, polling=500,
        )  # fmt: skip
    except playwright_api_errors():
        _shoot(page, shots, f"failed_{notebook}.png")
        raise


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A 1400 x 1000 page of headless Chromium driven by Playwright, closed on leaving."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)"
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def playwright_api_errors() -> type[Exception]:
    from playwright.sync_api import Error

    return Error


def test_a_needs_workshop_saves_an_assessment_in_jupyterlab(lab, tmp_path):
    server, workspace, _url = lab
    store = workspace / "workshop" / "assessments.csv"
    before = store.read_text(encoding="utf-8").count("\n") if store.exists() else 0
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with chromium_page() as page:
        _open_and_run(page, server, "02_needs_analysis.ipynb", shots, "button:has-text('Save scores')")
        form = page.locator(".jp-OutputArea-output", has=page.locator("button:has-text('Save scores')")).first
        form.scroll_into_view_if_needed()
        form.locator("input[placeholder='your name']").fill("Browser Test")
        form.locator("input[placeholder='your name']").press("Enter")
        _drag_slider(page, ".jp-OutputArea-output:has(button:has-text('Save scores')) .widget-slider", 1.0)
        _shoot(page, shots, "needs_01_form.png", "button:has-text('Save scores')")
        form.locator("button:has-text('Save scores')").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html')].some(e => e.innerText.includes('Saved ('))",
            timeout=30_000,
        )
        _shoot(page, shots, "needs_02_saved.png", "button:has-text('Save scores')")
    lines = store.read_text(encoding="utf-8").splitlines()
    assert len(lines) > before and any(",5,Browser Test," in line for line in lines)


def test_a_workshop_session_in_jupyterlab(lab, tmp_path):
    server, workspace, _url = lab
    status_before = _git_status()
    saved_before = (workspace / "client.yml").read_text(encoding="utf-8")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with chromium_page() as page:
        page.goto(server.url(NOTEBOOK))
        try:
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_selector("text=Python (kamtools) | Idle", timeout=120_000)
            page.keyboard.press("Control+b")  # close the file browser: the panel gets the width
            _shoot(page, shots, "01_opened.png")
            _run_all(page)
            panel = page.wait_for_selector(".kam-workshop", timeout=300_000)
        except playwright_api_errors():
            _shoot(page, shots, "failed.png")
            raise
        page.wait_for_function(
            "() => !document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=\"busy\"]')"
            " && !document.querySelector('.jp-mod-pending')",
            timeout=600_000, polling=500,
        )  # fmt: skip
        panel.scroll_into_view_if_needed()
        ranked = page.locator(".kam-ranked").first
        before = ranked.inner_text()
        assert "Key accounts (35)" in before and "Growth accounts" in before
        assert "Compared with the saved settings" in page.locator(".kam-changes").first.inner_text()
        assert "key" in page.locator(".kam-counts").first.inner_text()
        chart_before = page.locator("img.kam-quadrant").first.get_attribute("src")
        assert chart_before, "the chart shows before any move"
        _shoot(page, shots, "02_panel.png", ".kam-workshop")

        page.evaluate(WATCH_SCRIPT)
        _drag_slider(page, ".kam-weight-margin", 1.0)
        try:
            page.wait_for_function(
                "() => window.kamWatch.table !== null && window.kamWatch.chart !== null", timeout=30_000
            )
        except playwright_api_errors():
            _shoot(page, shots, "failed.png")
            raise
        watch = page.evaluate("() => window.kamWatch")
        table_seconds = (watch["table"] - watch["release"]) / 1000
        chart_seconds = (watch["chart"] - watch["release"]) / 1000
        print(f"slider release -> lists {table_seconds:.3f} s, chart {chart_seconds:.3f} s")
        status = page.locator(".kam-status").first.inner_text()
        print(f"panel: {status}")
        (tmp_path / "timings.txt").write_text(
            f"table {table_seconds:.3f}\nchart {chart_seconds:.3f}\n{status}\n"
        )
        after = ranked.inner_text()
        assert after != before and "new" in after
        assert page.locator("img.kam-quadrant").first.get_attribute("src") != chart_before
        if HOLD_TIME_TARGETS:
            assert table_seconds < TABLE_SECONDS, f"lists updated {table_seconds:.2f} s after the release"
            assert chart_seconds < CHART_SECONDS, f"chart redrawn {chart_seconds:.2f} s after the release"
        _shoot(page, shots, "03_moved.png", ".kam-counts")

        page.locator(".kam-save button, button.kam-save").first.click()
        page.wait_for_function(
            "() => document.querySelector('.kam-status').innerText.includes('Saved')", timeout=30_000
        )
        _shoot(page, shots, "04_saved.png", ".kam-workshop")

    saved = (workspace / "client.yml").read_text(encoding="utf-8")
    assert saved != saved_before
    assert saved.startswith(COMMENT_TOP) and COMMENT_SECTION in saved
    screening = io.read_yaml(workspace / "client.yml")["screening"]
    assert screening == {"key_accounts": 35, "weights": {"margin": 1.0}}
    (history,) = (workspace / "history").iterdir()
    assert history.read_text(encoding="utf-8") == saved_before
    assert all(p.stat().st_size > 10_000 for p in shots.iterdir())
    assert _git_status() == status_before, "the workshop changed files of the project"


def _widget_input(form, label: str):
    """The input box of the ipywidgets control labelled ``label`` inside ``form``."""
    return form.locator(f".widget-inline-hbox:has(> label:text-is('{label}')) input").first


def test_a_plan_builder_saves_goals_and_an_action_in_jupyterlab(lab, tmp_path):
    from kamtools.stages.planning.planfile import read_plan

    server, workspace, _url = lab
    plans_before = {p.name: p.read_text(encoding="utf-8") for p in (workspace / "plans").glob("plan_*.yml")}
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with chromium_page() as page:
        _open_and_run(page, server, "03_plan_development.ipynb", shots, "button:has-text('Save plan')")
        form = page.locator(".jp-OutputArea-output", has=page.locator("button:has-text('Save plan')")).first
        form.scroll_into_view_if_needed()
        # The drop-down shows "Name (customer id)".
        account = form.locator("select").first.input_value().rsplit("(", 1)[1].rstrip(")")
        whole = "e => e.scrollWidth <= e.clientWidth"  # a label not cut short
        for label in ("Plan growth", "Stretch growth", "Plan sales", "Stretch sales"):
            assert form.locator(f"label:text-is('{label}')").first.evaluate(whole), label
        targets = form.locator("table.kam-table").first
        before = targets.inner_text()
        _widget_input(form, "Plan sales").fill("2345678")
        _widget_input(form, "Plan sales").press("Enter")
        targets.filter(has_text="2,345,678").wait_for(timeout=30_000)  # the kernel re-split the stages
        assert targets.inner_text() != before
        _widget_input(form, "Title").fill("Browser test: joint stock review")
        form.locator("button:has-text('Apply action')").click()
        form.locator(".widget-html", has_text="applied").wait_for(timeout=30_000)
        _shoot(page, shots, "plan_01_edited.png", "button:has-text('Save plan')")
        form.locator("button:has-text('Save plan')").click()
        form.locator(".widget-html", has_text="Plan saved as revision").wait_for(timeout=30_000)
        _shoot(page, shots, "plan_02_saved.png", "button:has-text('Save plan')")
    changed = [
        p
        for p in (workspace / "plans").glob("plan_*.yml")
        if plans_before.get(p.name) != p.read_text("utf-8")
    ]
    assert len(changed) == 1, "Save plan wrote one plan file"
    saved = read_plan(changed[0])
    goal = saved.account(account).goals["sales"].year
    assert goal.plan == pytest.approx(2_345_678, abs=0.01) and goal.stretch >= goal.plan
    assert "Browser test: joint stock review" in [a.title for a in saved.account(account).actions]
    if changed[0].name in plans_before:  # the file it replaced is kept
        kept = list((workspace / "plans" / "history").glob(f"{changed[0].stem}*"))
        assert any(k.read_text(encoding="utf-8") == plans_before[changed[0].name] for k in kept)


def test_a_review_workshop_saves_its_lessons_in_jupyterlab(lab, tmp_path):
    from kamtools.stages.review.lessons import LESSONS_DIR

    server, workspace, _url = lab
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with chromium_page() as page:
        _open_and_run(page, server, "04_post_period_review.ipynb", shots, "button:has-text('Save lessons')")
        form = page.locator(
            ".jp-OutputArea-output", has=page.locator("button:has-text('Save lessons')")
        ).first
        form.scroll_into_view_if_needed()
        # Report tables read as in the report: text left, money and counts right (JupyterLab's
        # own style right-aligns every cell).
        align = "e => getComputedStyle(e).textAlign"
        assert page.locator("table.kam-table td:not(.kam-num)").first.evaluate(align) == "left"
        assert page.locator("table.kam-table td.kam-num").first.evaluate(align) == "right"
        rows = form.locator("input[placeholder='The lesson, as one sentence']")
        shown = rows.count()
        assert shown >= 1 and rows.first.input_value(), "the form starts from the suggested lessons"
        form.locator("button:has-text('Add lesson')").click()
        form.locator("button:has-text('Add lesson')").click()  # a second row, left blank
        rows.nth(shown + 1).wait_for(timeout=30_000)
        rows.nth(shown).fill("Browser test: quarterly visits kept the top ten")
        form.locator("input[placeholder='who follows up']").nth(shown).fill("Browser Test")
        _shoot(page, shots, "lessons_01_form.png", "button:has-text('Save lessons')")
        form.locator("button:has-text('Save lessons')").click()
        status = form.locator(".widget-html", has_text="Saved (")
        try:
            status.wait_for(timeout=30_000)
        except playwright_api_errors():
            _shoot(page, shots, "failed_lessons.png", "button:has-text('Save lessons')")
            raise
        _shoot(page, shots, "lessons_02_saved.png", "button:has-text('Save lessons')")
    (saved,) = (workspace / LESSONS_DIR).glob("lessons_*.yml")
    lessons = io.read_yaml(saved)["lessons"]
    assert len(lessons) == shown + 1, "every suggested lesson and the new one; the blank row is ignored"
    assert lessons[-1]["kind"] == "worked"
    assert lessons[-1]["lesson"] == "Browser test: quarterly visits kept the top ten"
    assert lessons[-1]["owner"] == "Browser Test"
    assert list((workspace / LESSONS_DIR / "history").glob(f"{saved.stem}*")), "a numbered copy is kept"
