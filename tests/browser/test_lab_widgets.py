"""The kit's widgets in a real browser: JupyterLab in headless Chromium, started as ``make lab`` starts it.

The server is started with the command of the Makefile's ``lab`` target
(``make -n lab`` prints it), so it serves the **repository root** and the
notebooks' links to ``../docs/*.md`` resolve, over a temporary copy of the
repository's ``notebooks/`` (outputs cleared, so everything the page shows
comes from this run) and ``docs/``.  Debian's ``chromium``
(``/usr/bin/chromium``, or ``$BINKIT_CHROMIUM``) opens the notebooks through
Playwright and runs all cells from the Run menu:

* notebook 03: change the footprint dropdown of section 3's
  ``binkit.plot.live`` figure; the figure under it is redrawn in place (the
  ``src``, a base64 PNG, of its one ``<img>`` changes);
* notebook 09: drive section 4's spline editor: two edits at two control
  points are both kept (the offset slider shows each point's own offset, and
  the kernel holds two offsets), **reset all edits** clears them, **apply the
  CNN's adjustment** loads the shipped network's offsets, and the FM / NRM
  that the figure's title shows (``score_edits()``, read in a cell added at
  the end) change with each step, as the figure does; then click the
  notebook's link to ``../docs/hybrid_method.md``, which opens that file in a
  new tab.

Screenshots go to ``<tmp>/screenshots`` and, if set, ``$BINKIT_SCREENSHOT_DIR``.
``make test-browser`` installs chromium (apt) and playwright (pip) and runs
this with ``BINKIT_REQUIRE_BROWSER=1``, so that a missing piece fails there
instead of skipping; elsewhere the test skips, saying what is missing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parents[2]
NOTEBOOKS = PROJECT / "notebooks"
FOOTPRINT_NOTEBOOK = "03_gridlstm_inputs.ipynb"
EDITOR_NOTEBOOK = "09_bspline_surface.ipynb"
WIDGET_CELL = "def inputs_figure("          # 03: the code cell whose live() figure the test drives
EDITOR_CELL = "reset_w = widgets.Button("     # 09: the spline editor's cell
DOCS_LINK = "hybrid_method.md"                # 09 links to ../docs/hybrid_method.md
CHROMIUM = Path(os.environ.get("BINKIT_CHROMIUM", "/usr/bin/chromium"))
# Known to work as root on a machine with a closed network: without the
# background-networking flags Chromium waits on refused connections.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Generous: the test machine is small (2 cores) and may be busy.
SERVER_START_S = 120
PAGE_LOAD_S = 120
RUN_ALL_S = 300
START_S = 30  # for the first cell of a Run All to start
REDRAW_S = 60
WAIT_MS = 60_000  # for a widget or an output to appear


def _missing(reason: str):
    if os.environ.get("BINKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (BINKIT_REQUIRE_BROWSER=1; `make test-browser` installs it)")
    pytest.skip(f"{reason}; `make test-browser` installs it")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dibco_root() -> str | None:
    if os.environ.get("BINKIT_DIBCO_ROOT"):
        return os.environ["BINKIT_DIBCO_ROOT"]
    cand = PROJECT.parent / "shared" / "data" / "dibco"
    return str(cand) if cand.is_dir() else None


def _log_tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def make_lab_command(port: int) -> list[str]:
    """The command ``make lab`` runs (from ``make -n lab``), for this venv, headless, on ``port``."""
    make = shutil.which("make")
    if make is None:
        _missing("no `make` here (the test starts JupyterLab with the Makefile's lab command)")
    venv = Path(sys.executable).parent.parent
    out = subprocess.run([make, "-n", "-s", "lab", f"VENV={venv}", "HEADLESS=1", "IP=127.0.0.1", f"PORT={port}"],
                         cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in out.splitlines() if re.search(r"/jupyter\s+lab\b", ln)]
    assert len(lines) == 1, f"`make -n lab` printed no single `jupyter lab` command:\n{out}"
    return shlex.split(lines[0])


def test_make_lab_serves_the_repository_root():
    """The lab target opens the first notebook with the repository, not notebooks/, as the server's root."""
    cmd = make_lab_command(8888)
    assert "--ServerApp.root_dir=." in cmd and cmd[-1] == "notebooks/00_start_here.ipynb"
    assert "--no-browser" in cmd and "--port=8888" in cmd


@pytest.fixture(scope="module")
def sync_api():
    try:
        from playwright import sync_api
    except ImportError:
        _missing("the Python package playwright is not installed")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    return sync_api


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab, started with ``make lab``'s command, over a copy of the repository: (base url, token, log)."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "repository"
    (root / "notebooks").mkdir(parents=True)
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nb["metadata"].pop("widgets", None)      # saved widget state: the page must show this run's only
        (root / "notebooks" / path.name).write_text(json.dumps(nb, indent=1))
    shutil.copytree(PROJECT / "docs", root / "docs")

    # Fresh Lab settings and workspaces, so nothing from a user's Lab (open tabs,
    # windowing) comes in; every cell stays in the DOM (windowingMode none), and
    # no news toast covers the page.
    settings = tmp / "lab-settings"
    for ext, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        f = settings / f"{ext}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)                  # the kernel must use the inline backend
    env.update(
        BINKIT_QUICK="1",
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
    )
    if _dibco_root():
        env["BINKIT_DIBCO_ROOT"] = _dibco_root()

    port, token = _free_port(), secrets.token_hex(16)
    cmd = make_lab_command(port) + [
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0 and "--allow-root" not in cmd:
        cmd.append("--allow-root")
    log = tmp / "jupyter-lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{_log_tail(log)}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within {SERVER_START_S} s:\n{_log_tail(log)}")
            time.sleep(0.5)
        # the server's root is the repository copy: both folders are in it
        with urllib.request.urlopen(f"{base}/api/contents/docs/{DOCS_LINK}?content=0&token={token}",
                                    timeout=10) as r:
            assert r.status == 200
        yield base, token, log
    finally:
        # Shut down kernels and server cleanly; then make sure of it (the server's
        # own process group: the server and the kernels it started).
        try:
            req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=10).close()
            proc.wait(timeout=20)
        except Exception:
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # a kernel left behind in the group
        except ProcessLookupError:
            pass


# True once any code cell is running or has run ("[*]" or "[n]" in its prompt).
_STARTED_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
  .some(p => /\\[(\\*|\\d+)\\]/.test(p.innerText))"""


# Wait until every code cell shows an execution count, or an error output
# appears (Run All stops there).  Returns null while running.
_RUN_STATE_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const error = document.querySelector('.jp-Notebook [data-mime-type="application/vnd.jupyter.error"]');
  if (error) return {error: error.innerText.slice(0, 2000)};
  const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).innerText || '');
  if (cells.length && prompts.every(p => /\\[\\d+\\]/.test(p))) return {done: cells.length};
  return null;
}"""


def _save(shot: Path) -> list[Path]:
    """Keep ``shot``, and copy it to ``$BINKIT_SCREENSHOT_DIR`` when that is set."""
    saved = [shot]
    extra = os.environ.get("BINKIT_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        saved.append(Path(shutil.copy2(shot, Path(extra) / shot.name)))
    return saved


def _selected(select) -> str:
    """The label of the option a ``<select>`` shows."""
    return select.evaluate("s => s.options[s.selectedIndex].text")


class Session:
    """One notebook in a fresh Lab workspace of a new page: open it, run all, and the helpers the tests share."""

    def __init__(self, sync_api, browser, lab, notebook: str, shots: Path):
        base, token, self.log = lab
        self.api, self.expect, self.shots = sync_api, sync_api.expect, shots
        self.console: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1100})
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.set_default_timeout(PAGE_LOAD_S * 1000)
        self.n_code = sum(c["cell_type"] == "code" for c in json.loads((NOTEBOOKS / notebook).read_text())["cells"])
        # a workspace of its own: no tab of another test's notebook is restored into this page
        workspace = Path(notebook).stem.replace("_", "-")
        self.url = f"{base}/lab/workspaces/{workspace}/tree/notebooks/{notebook}?token={token}"

    def context(self) -> str:
        return ("\n--- browser console errors ---\n" + "\n".join(self.console[-20:])
                + "\n--- jupyter lab log ---\n" + _log_tail(self.log))

    def run_all(self) -> None:
        page, expect = self.page, self.expect
        page.goto(self.url, wait_until="domcontentloaded")
        # The notebook is open, all its cells are in the page, and its kernel has
        # started ("Python 3 (ipykernel)": the server's Python, i.e. this venv's).
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for()
        expect(page.locator(".jp-Notebook .jp-CodeCell")).to_have_count(self.n_code, timeout=WAIT_MS)
        page.locator(".jp-NotebookPanel-toolbar .jp-KernelName").filter(has_text="Python").wait_for()
        # A Run All issued while the kernel is still connecting can be dropped (seen once in
        # CI: every prompt still "[ ]" after 180 s): wait for the kernel to say Idle, and
        # issue Run All again if no cell has started within START_S seconds.
        page.locator(".jp-StatusBar-TextItem").filter(has_text=re.compile(r"\bIdle\b")).first.wait_for()
        for attempt in range(3):
            page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Run All Cells$")).click()
            try:
                page.wait_for_function(_STARTED_JS, timeout=START_S * 1000, polling=250)
                break
            except self.api.TimeoutError:
                if attempt == 2:
                    raise
        state = page.wait_for_function(_RUN_STATE_JS, timeout=RUN_ALL_S * 1000, polling=500).json_value()
        assert "error" not in state, f"a cell failed in the browser:\n{state['error']}"
        assert state["done"] == self.n_code

    def cell(self, text: str):
        cell = self.page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=text)
        self.expect(cell).to_have_count(1, timeout=WAIT_MS)
        return cell

    def wait_redrawn(self, figure, before: str, what: str) -> str:
        """Wait until the figure's PNG differs from ``before``; return the new ``src``."""
        try:
            self.expect(figure).not_to_have_attribute("src", before, timeout=REDRAW_S * 1000)
        except AssertionError:  # (Playwright's own message quotes the whole base64 image)
            raise AssertionError(f"the figure was not redrawn within {REDRAW_S} s of {what}") from None
        self.expect(figure).to_have_count(1, timeout=WAIT_MS)
        after = figure.get_attribute("src")
        assert after.startswith("data:image/png;base64,") and after != before
        return after

    def shot(self, name: str, locator=None) -> None:
        path = self.shots / name
        (locator or self.page).screenshot(path=str(path))
        for saved in _save(path):
            print("screenshot:", saved)


def test_footprint_widget_redraws_figure(sync_api, lab, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_api.sync_playwright() as pw:
        # launch() gives the browser a fresh, empty --user-data-dir of its own.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        s = Session(sync_api, browser, lab, FOOTPRINT_NOTEBOOK, shots)
        try:
            try:
                s.run_all()
                cell = s.cell(WIDGET_CELL)
                footprint = cell.locator(".widget-dropdown").filter(
                    has=s.page.get_by_text("f", exact=True)).locator("select")
                s.expect(footprint).to_have_count(1, timeout=WAIT_MS)   # the widget is rendered
                assert _selected(footprint) == "4"
                figure = cell.locator(".jp-OutputArea-output img")
                s.expect(figure).to_have_count(1, timeout=WAIT_MS)
                before = figure.get_attribute("src")
                assert before and before.startswith("data:image/png;base64,")
                cell.scroll_into_view_if_needed()
                s.shot("lab_widgets_before.png")

                footprint.select_option(label="8")
                assert _selected(footprint) == "8"
                # The live() figure is replaced in place through its display handle:
                # still one image, with other pixels.
                s.wait_redrawn(figure, before, "choosing f = 8")
                cell.scroll_into_view_if_needed()
            except (AssertionError, sync_api.Error) as err:
                s.shot("lab_widgets_failure.png")
                raise AssertionError(f"{err}{s.context()}") from err
            s.shot("lab_widgets.png")
            s.shot("lab_widgets_cell.png", cell)
        finally:
            browser.close()


# 09's editor state, read in the kernel: the title of the editor's figure prints the same FM and NRM.
PROBE = ("import json as _j; _ink, _fm, _nrm = score_edits(); "
         "print('PROBE', _j.dumps(dict(edits=int((DZ != 0).sum()), fm=round(float(_fm), 4), "
         "nrm=round(float(_nrm), 6), fm0=round(float(fm0), 4), nrm0=round(float(nrm0), 6), "
         "cnn=bool(np.array_equal(DZ, CNN_DZ)), cnn_points=int((CNN_DZ != 0).sum()))))")


def test_spline_editor_and_docs_link(sync_api, lab, tmp_path):
    """09's editor: two edits kept, reset, the CNN's adjustment, FM / NRM moving; then the docs link opens."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        s = Session(sync_api, browser, lab, EDITOR_NOTEBOOK, shots)
        page, expect = s.page, s.expect
        try:
            try:
                s.run_all()
                editor = s.cell(EDITOR_CELL)
                figure = editor.locator(".jp-OutputArea-output img")
                expect(figure).to_have_count(1, timeout=WAIT_MS)
                src = figure.get_attribute("src")

                def slider(label: str):
                    box = editor.locator(".widget-slider").filter(has=page.get_by_text(label, exact=True))
                    expect(box).to_have_count(1, timeout=WAIT_MS)
                    return box.locator(".widget-readout")

                def set_slider(label: str, value: str) -> None:
                    readout = slider(label)
                    readout.click()
                    page.keyboard.press("Control+A")
                    page.keyboard.insert_text(value)
                    page.keyboard.press("Enter")
                    expect(readout).to_have_text(value, timeout=WAIT_MS)

                i_w, j_w, dz_w = "i (b axis)", "j (t axis)", "height +"
                i0, j0 = slider(i_w).inner_text().strip(), slider(j_w).inner_text().strip()
                expect(slider(dz_w)).to_have_text("0.00")
                editor.scroll_into_view_if_needed()
                s.shot("editor_start.png", editor)

                # A cell at the end that prints the editor's state as JSON, run again after each step.
                last = page.locator(".jp-Notebook .jp-Cell").last
                last.click()
                page.keyboard.press("Escape")
                page.keyboard.press("b")                       # a new code cell below, in command mode
                probe = page.locator(".jp-Notebook .jp-CodeCell").last
                page.keyboard.press("Enter")
                page.keyboard.insert_text(PROBE)

                def state() -> dict:
                    probe.locator(".jp-InputArea-editor").click()
                    prompt = probe.locator(".jp-InputPrompt")
                    before = prompt.inner_text()
                    page.keyboard.press("Control+Enter")       # run in place
                    expect(prompt).not_to_have_text(before, timeout=WAIT_MS)
                    expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=WAIT_MS)
                    out = probe.locator(".jp-OutputArea-output").filter(has_text="PROBE")
                    expect(out).to_have_count(1, timeout=WAIT_MS)
                    return json.loads(out.inner_text().split("PROBE", 1)[1])

                start = state()
                assert start["edits"] == 0 and start["fm"] == start["fm0"] and start["nrm"] == start["nrm0"], start

                # Edit 1: the selected point (where the widget starts: the paper's level on the boundary).
                set_slider(dz_w, "1.00")
                src = s.wait_redrawn(figure, src, "the first edit")
                # Edit 2: the next point along t; its own offset shows (0), then is set.
                j1 = str(int(j0) + 1 if int(j0) < 15 else int(j0) - 1)
                set_slider(j_w, j1)
                expect(slider(dz_w)).to_have_text("0.00", timeout=WAIT_MS)
                src = s.wait_redrawn(figure, src, f"choosing j = {j1}")
                set_slider(dz_w, "0.50")
                src = s.wait_redrawn(figure, src, "the second edit")
                # Back to the first point: its edit was kept.
                set_slider(j_w, j0)
                expect(slider(dz_w)).to_have_text("1.00", timeout=WAIT_MS)
                src = s.wait_redrawn(figure, src, f"choosing j = {j0} again")
                two = state()
                assert two["edits"] == 2, f"two edits, both kept: {two}"
                assert (two["fm"], two["nrm"]) != (start["fm"], start["nrm"]), f"FM / NRM did not move: {two}"
                editor.scroll_into_view_if_needed()
                s.shot("editor_two_edits.png", editor)

                editor.get_by_role("button", name="reset all edits").click()
                src = s.wait_redrawn(figure, src, "reset all edits")
                expect(slider(dz_w)).to_have_text("0.00", timeout=WAIT_MS)
                reset = state()
                assert reset["edits"] == 0 and (reset["fm"], reset["nrm"]) == (start["fm"], start["nrm"]), reset

                editor.get_by_role("button", name="apply the CNN's adjustment").click()
                src = s.wait_redrawn(figure, src, "apply the CNN's adjustment")
                cnn = state()
                assert cnn["cnn_points"] > 0, "the shipped CNN's adjustment is zero (no hybrid weights installed?)"
                assert cnn["cnn"] and cnn["edits"] == cnn["cnn_points"], cnn
                assert (cnn["fm"], cnn["nrm"]) != (start["fm"], start["nrm"]), f"FM / NRM did not move: {cnn}"
                expect(slider(dz_w)).not_to_have_text("0.00", timeout=WAIT_MS)   # the point shows the CNN's offset
                assert (slider(i_w).inner_text().strip(), slider(j_w).inner_text().strip()) == (i0, j0)
                editor.scroll_into_view_if_needed()
                s.shot("editor_cnn.png", editor)

                # The notebook's link to ../docs/hybrid_method.md, served from the repository root.
                link = page.locator(f'.jp-Notebook .jp-RenderedMarkdown a[href*="{DOCS_LINK}"]').first
                expect(link).to_be_attached(timeout=WAIT_MS)
                link.scroll_into_view_if_needed()
                link.click()
                tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=DOCS_LINK)
                expect(tab).to_have_count(1, timeout=WAIT_MS)
                first_line = (PROJECT / "docs" / DOCS_LINK).read_text().splitlines()[0].lstrip("# ").strip()
                shown = page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden)").filter(
                    has_text=first_line[:40])
                expect(shown.first).to_be_visible(timeout=WAIT_MS)
                errors = page.locator(".jp-Dialog").filter(has_text=re.compile("Error|not found|404", re.I))
                assert errors.count() == 0, errors.first.inner_text()
                s.shot("docs_link.png")
            except (AssertionError, sync_api.Error) as err:
                s.shot("editor_failure.png")
                raise AssertionError(f"{err}{s.context()}") from err
        finally:
            browser.close()
