"""The ``binkit`` command line on folders of real-world files: binarize, evaluate, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import binkit
from binkit.__main__ import main
from binkit.datasets import synthetic_page
from binkit.io import read_gt, save_binary


def _page(seed=0, size=(96, 128)):
    return synthetic_page(seed, size=size, font_size=(12, 16))


def _save_gray(path, image01):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(np.asarray(image01) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def scans(tmp_path):
    """Three good scans in scans/, and their GT in gt/ (two with a _gt suffix)."""
    for k in range(3):
        p = _page(k)
        _save_gray(tmp_path / "scans" / f"p{k}.png", p.image)
        save_binary(tmp_path / "gt" / (f"p{k}_gt.png" if k else f"p{k}.png"), p.gt)
    return tmp_path


def _run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------------------
# binarize


def test_binarize_folder_writes_0_255_pngs_and_skips_done(scans, capsys):
    out = scans / "out"
    code, stdout, err = _run(["binarize", str(scans / "scans"), "-o", str(out), "--method", "otsu",
                              "--no-progress", "--workers", "2"], capsys)
    assert code == 0 and err == ""
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png", "p2.png"]
    written = np.asarray(Image.open(out / "p1.png"))
    assert written.dtype == np.uint8 and set(np.unique(written)) <= {0, 255}
    ink = read_gt(out / "p1.png", allow_majority_ink=True)
    image = binkit.io.read_image(scans / "scans" / "p1.png")
    assert np.array_equal(ink, binkit.binarize(image, "otsu"))
    mtime = (out / "p1.png").stat().st_mtime_ns
    code, stdout, _ = _run(["binarize", str(scans / "scans"), "-o", str(out), "--method", "otsu", "--no-progress"],
                           capsys)
    assert code == 0 and "skipped 3 already done" in stdout
    assert (out / "p1.png").stat().st_mtime_ns == mtime
    code, stdout, _ = _run(["binarize", str(scans / "scans" / "p1.png"), "-o", str(out), "--method", "sauvola",
                            "--overwrite", "--no-progress", "--param", "window=31"], capsys)
    assert code == 0 and "wrote 1" in stdout
    assert np.array_equal(read_gt(out / "p1.png", allow_majority_ink=True), binkit.binarize(image, "sauvola", window=31))


def test_binarize_glob_and_missing_output_folder_is_created(scans, capsys):
    out = scans / "deep" / "new" / "out"
    pattern = str(scans / "scans" / "p[01].png")
    code, stdout, _ = _run(["binarize", pattern, "-o", str(out), "--method", "otsu", "--no-progress"], capsys)
    assert code == 0 and sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png"]


def test_mixed_folder_good_files_written_bad_ones_reported(scans, capsys):
    d = scans / "scans"
    (d / "notes.png").write_text("this is not an image")
    (d / "empty.png").write_bytes(b"")
    raw = (d / "p0.png").read_bytes()
    (d / "cut.png").write_bytes(raw[: len(raw) // 2])
    out = scans / "out"
    code, stdout, err = _run(["binarize", str(d), str(scans / "nope.tif"), "-o", str(out), "--method", "otsu",
                              "--no-progress"], capsys)
    assert code == 2
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png", "p2.png"]
    lines = err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("binkit: error: ") for line in lines)
    for name in ("notes.png", "empty.png", "cut.png", "nope.tif"):
        assert sum(name in line for line in lines) == 1, (name, lines)
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["rgba", "gray16_tiff", "palette", "one_pixel", "smaller_than_block"])
def test_unusual_but_valid_images_are_handled(tmp_path, capsys, kind):
    page = _page(3).image
    path = tmp_path / "in" / f"{kind}.{'tif' if 'tiff' in kind else 'png'}"
    path.parent.mkdir()
    if kind == "rgba":
        rgb = np.repeat(np.round(page * 255).astype(np.uint8)[..., None], 3, axis=2)
        alpha = np.full(page.shape, 255, np.uint8)
        Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
    elif kind == "gray16_tiff":
        Image.fromarray(np.round(page * 65535).astype(np.uint16)).save(path)
    elif kind == "palette":
        Image.fromarray(np.round(page * 255).astype(np.uint8)).convert("P").save(path)
    elif kind == "one_pixel":
        Image.fromarray(np.array([[40]], np.uint8)).save(path)
    else:
        _save_gray(path, page[:20, :30])
    for method in [m for m in binkit.methods() if m in ("otsu", "sauvola", "logistic", "gridlstm")]:
        out = tmp_path / f"out_{method}"
        code, _, err = _run(["binarize", str(path), "-o", str(out), "--method", method, "--no-progress"], capsys)
        assert code == 0, (method, err)
        result = read_gt(out / f"{kind}.png", allow_majority_ink=True)
        assert result.shape == binkit.io.read_image(path).shape


def test_same_output_name_from_two_folders_is_refused(scans, capsys):
    other = scans / "other"
    _save_gray(other / "p0.tif", _page(9).image)
    code, _, err = _run(["binarize", str(scans / "scans" / "p0.png"), str(other / "p0.tif"), "-o",
                         str(scans / "out"), "--method", "otsu", "--no-progress"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2 and all("would be written to the same" in line for line in lines)
    # each line names the rejected file first, and the other one
    assert lines[0].startswith(f"binkit: error: {scans / 'scans' / 'p0.png'}: {other / 'p0.tif'}")
    assert lines[1].startswith(f"binkit: error: {other / 'p0.tif'}: {scans / 'scans' / 'p0.png'}")
    assert not (scans / "out" / "p0.png").exists()  # which one was meant is not binkit's guess


def test_same_output_name_when_the_first_is_unreadable(scans, capsys):
    """Issue 16, case 18: a bad first file must not decide what happens to a good second one."""
    bad = scans / "a" / "p5.png"
    bad.parent.mkdir()
    bad.write_bytes(b"not a png")
    _save_gray(scans / "b" / "p5.png", _page(5).image)
    code, _, err = _run(["binarize", str(bad), str(scans / "b" / "p5.png"), "-o", str(scans / "out"),
                         "--method", "otsu", "--no-progress"], capsys)
    assert code == 2 and str(bad) in err and str(scans / "b" / "p5.png") in err
    assert not (scans / "out" / "p5.png").exists()


def test_output_folder_that_cannot_be_created(scans, capsys):
    blocker = scans / "file"
    blocker.write_text("x")
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(blocker / "out"), "--method", "otsu"], capsys)
    assert code == 2 and "cannot create the output folder" in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_output_folder(scans, capsys):
    out = scans / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(out), "--method", "otsu"], capsys)
    finally:
        out.chmod(0o755)
    assert code == 2 and "not writable" in err


def test_read_only_output_folder_as_seen_by_the_os(scans, capsys, monkeypatch):
    """The same refusal when the OS says no (the test above skips as root, which may write anywhere)."""
    import binkit.batch

    monkeypatch.setattr(binkit.batch.os, "access", lambda path, mode: False)
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(scans / "ro"), "--method", "otsu"], capsys)
    assert code == 2 and "output folder is not writable" in err and len(err.strip().splitlines()) == 1


def test_write_refused_mid_batch_is_one_line_per_file(scans, capsys, monkeypatch):
    """A folder that turns read-only (or a full disk) after the check: each page fails clearly, none half-written."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = scans / "out"
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(out), "--method", "otsu", "--workers", "1",
                         "--no-progress"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 3 and all("cannot write here (Permission denied)" in line for line in lines)
    assert "Traceback" not in err and list(out.iterdir()) == []


@pytest.mark.skipif("hybrid" not in binkit.methods(), reason="the hybrid weights do not ship in this checkout")
def test_binarize_hybrid_with_max_tiles_and_bad_param(scans, capsys):
    out = scans / "out"
    code, _, err = _run(["binarize", str(scans / "scans" / "p1.png"), "-o", str(out), "--method", "hybrid",
                         "--param", "max_tiles=1", "--no-progress"], capsys)
    assert code == 0, err
    image = binkit.io.read_image(scans / "scans" / "p1.png")
    assert np.array_equal(read_gt(out / "p1.png", allow_majority_ink=True),
                          binkit.binarize(image, "hybrid", max_tiles=1))
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(out), "--method", "hybrid", "--overwrite",
                         "--param", "window=31"], capsys)
    assert code == 2 and "method 'hybrid' does not take window (it takes: weights, device, max_tiles, adapt)" in err


@pytest.mark.skipif("hybrid" not in binkit.methods(), reason="the hybrid weights do not ship in this checkout")
def test_binarize_hybrid_per_tile_and_bad_adapt(scans, capsys):
    out = scans / "out"
    code, _, err = _run(["binarize", str(scans / "scans" / "p1.png"), "-o", str(out), "--method", "hybrid",
                         "--param", "adapt=tile", "--no-progress"], capsys)
    assert code == 0, err
    image = binkit.io.read_image(scans / "scans" / "p1.png")
    assert np.array_equal(read_gt(out / "p1.png", allow_majority_ink=True),
                          binkit.binarize(image, "hybrid", adapt="tile"))
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(out), "--method", "hybrid", "--overwrite",
                         "--param", "adapt=patch"], capsys)
    assert code == 2 and "adapt='patch': expected one of page, tile" in err and "Traceback" not in err


def test_unknown_method_and_bad_param(scans, capsys):
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(scans / "o"), "--method", "magic"], capsys)
    assert code == 2 and "unknown method 'magic'" in err
    code, _, err = _run(["binarize", str(scans / "scans"), "-o", str(scans / "o"), "--param", "window"], capsys)
    assert code == 2 and "KEY=VALUE" in err


def test_nan_in_float_input_is_refused():
    image = _page(1).image.copy()
    image[5, 5] = np.nan
    with pytest.raises(binkit.InputError, match="NaN|finite"):
        binkit.binarize(image, "otsu")


# ---------------------------------------------------------------------------
# evaluate


def test_evaluate_matches_by_name_and_writes_csv(scans, capsys):
    out = scans / "out"
    assert main(["binarize", str(scans / "scans"), "-o", str(out), "--method", "otsu", "--no-progress"]) == 0
    capsys.readouterr()
    code, stdout, err = _run(["evaluate", "--pred", str(out), "--gt", str(scans / "gt"), "--csv",
                              str(scans / "r" / "scores.csv"), "--no-progress"], capsys)
    assert code == 0 and err == ""
    assert "mean of 3" in stdout
    lines = (scans / "r" / "scores.csv").read_text().splitlines()
    assert lines[0].startswith("image,fm,fps,psnr,drd") and len(lines) == 4
    image = binkit.io.read_image(scans / "scans" / "p2.png")
    expected = binkit.metrics.evaluate(binkit.binarize(image, "otsu"), _page(2).gt)
    row = dict(zip(lines[0].split(","), lines[3].split(",")))
    assert row["image"] == "p2" and float(row["fm"]) == pytest.approx(expected["fm"])


def test_evaluate_reports_size_mismatch_inverted_gt_and_unmatched(scans, capsys):
    pred = scans / "pred"
    for k in range(3):
        save_binary(pred / f"p{k}.png", _page(k).gt)
    save_binary(pred / "lonely.png", _page(5).gt)
    save_binary(scans / "gt" / "p1_gt.png", _page(1).gt[:50])              # wrong size
    save_binary(scans / "gt" / "p2_gt.png", ~_page(2).gt)                  # inverted: mostly "ink"
    code, stdout, err = _run(["evaluate", "--pred", str(pred), "--gt", str(scans / "gt"), "--no-progress"], capsys)
    assert code == 2
    assert "mean of 1" in stdout                                             # p0 still scored
    lines = err.strip().splitlines()
    assert any("p1" in line and "differs" in line for line in lines)
    assert any("p2_gt.png" in line and "ink" in line for line in lines)
    assert any("lonely.png" in line and "no ground truth" in line for line in lines)
    assert "Traceback" not in err


def test_evaluate_grey_gt_values_follow_the_dibco_rule(scans, capsys):
    pred = scans / "pred"
    gt = _page(0).gt
    save_binary(pred / "p0.png", gt)
    grey = np.where(gt, 0, 200).astype(np.uint8)
    grey[0, :5] = 100                                                        # stray grey page pixels
    Image.fromarray(grey).save(scans / "gt" / "p0.png")
    for k in (1, 2):
        (scans / "gt" / f"p{k}_gt.png").unlink()
    with pytest.warns(UserWarning, match="grey"):
        code, stdout, _ = _run(["evaluate", "--pred", str(pred), "--gt", str(scans / "gt"), "--no-progress"], capsys)
    assert code == 0 and "100.00" in stdout


def test_evaluate_reads_official_weight_files(tmp_path, reference_dir, capsys):
    src = reference_dir / "doxa_2john"
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    Image.open(src / "2JohnC1V3-Sauvola.pbm").save(tmp_path / "pred" / "2JohnC1V3.png")
    Image.open(src / "2JohnC1V3-GroundTruth.pbm").save(tmp_path / "gt" / "2JohnC1V3-GroundTruth.png")
    weights = tmp_path / "w"
    weights.mkdir()
    for kind in ("RWeights", "PWeights"):
        (weights / f"2JohnC1V3-GroundTruth_{kind}.dat").write_bytes(
            (src / f"2JohnC1V3-GroundTruth_{kind}.dat").read_bytes())
    code, stdout, err = _run(["evaluate", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"),
                              "--weights", str(weights), "--csv", str(tmp_path / "s.csv"), "--no-progress"], capsys)
    assert code == 0, err
    row = dict(zip(*[line.split(",") for line in (tmp_path / "s.csv").read_text().splitlines()]))
    # the DIBCO tool's output for this pair (shared/data/reference/README.md)
    assert float(row["fm"]) == pytest.approx(93.2047, abs=1e-4)
    assert float(row["fps"]) == pytest.approx(93.3930, abs=1e-4)
    assert float(row["drd"]) == pytest.approx(1.9519, abs=1e-4)


# ---------------------------------------------------------------------------
# the executable itself


@pytest.mark.parametrize("command", [[], ["binarize"], ["evaluate"], ["train"], ["experiments"], ["fetch-dibco"],
                                     ["synthetic"], ["export-weights"]])
def test_help_on_every_command(command):
    proc = subprocess.run([sys.executable, "-m", "binkit", *command, "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "usage: binkit" in proc.stdout


def test_bad_input_exit_code_2_without_traceback(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    proc = subprocess.run([sys.executable, "-m", "binkit", "binarize", str(bad), "-o", str(tmp_path / "o"),
                           "--method", "otsu", "--no-progress"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("binkit: error: ") and "x.png" in proc.stderr


# ---------------------------------------------------------------------------
# a user's files are never overwritten or lost (issue 16, cases 1, 4, 5)


def _cli(*args):
    proc = subprocess.run([sys.executable, "-m", "binkit", *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("overwrite", [False, True])
def test_output_folder_equal_to_the_input_folder_is_refused(scans, overwrite):
    folder = scans / "scans"
    before = {p.name: (p.read_bytes(), p.stat().st_mode) for p in folder.iterdir()}
    code, out, err = _cli("binarize", folder, "-o", folder, "--method", "otsu", "--no-progress",
                          *(["--overwrite"] if overwrite else []))
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "would overwrite an input scan" in err
    assert {p.name: (p.read_bytes(), p.stat().st_mode) for p in folder.iterdir()} == before  # untouched


def test_an_input_inside_the_output_folder_is_refused_but_other_names_are_fine(tmp_path):
    _save_gray(tmp_path / "mixed" / "a.tif", _page(0).image)  # -> mixed/a.png: a new file, fine
    code, _, err = _cli("binarize", tmp_path / "mixed" / "a.tif", "-o", tmp_path / "mixed", "--method", "otsu",
                        "--no-progress")
    assert code == 0, err
    code, _, err = _cli("binarize", tmp_path / "mixed", "-o", tmp_path / "mixed", "--method", "otsu",
                        "--no-progress")  # now a.png is an input too
    assert code == 2 and "a.png" in err and "would overwrite an input scan" in err


def test_outputs_get_the_mode_of_an_ordinary_write(scans):
    out = scans / "out"
    old = os.umask(0o022)
    try:
        code, _, err = _cli("binarize", scans / "scans" / "p0.png", "-o", out, "--method", "otsu", "--no-progress")
    finally:
        os.umask(old)
    assert code == 0, err
    assert (out / "p0.png").stat().st_mode & 0o777 == 0o644
    (out / "p0.png").chmod(0o640)  # an existing file keeps its mode when redone, as with an ordinary write
    code, _, err = _cli("binarize", scans / "scans" / "p0.png", "-o", out, "--method", "otsu", "--no-progress",
                        "--overwrite")
    assert code == 0, err
    assert (out / "p0.png").stat().st_mode & 0o777 == 0o640


def test_a_rerun_removes_the_temporary_file_a_killed_run_left(scans):
    out = scans / "out"
    out.mkdir()
    leftover = out / ".p1.png.k3j9x0q2.tmp"  # what a SIGKILL inside save_binary leaves
    leftover.write_bytes(b"half a png")
    other = out / ".notes.txt.tmp"  # not binkit's pattern for an output of this batch: kept
    other.write_text("mine")
    code, _, err = _cli("binarize", scans / "scans", "-o", out, "--method", "otsu", "--no-progress")
    assert code == 0, err
    assert not leftover.exists() and other.read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == [".notes.txt.tmp", "p0.png", "p1.png", "p2.png"]


# ---------------------------------------------------------------------------
# signals (issue 16, cases 2 and 3): Ctrl-C stops a parallel batch at once, workers die with their parent


def _slow_batch(tmp_path, pages=24, side=900):
    rng = np.random.default_rng(0)
    folder = tmp_path / "many"
    for k in range(pages):
        _save_gray(folder / f"s{k:02d}.png", rng.random((side, side)))
    return folder


def _default_sigint():
    # A shell's background job (`nohup ... &`, some CI runners) starts with SIGINT ignored, and the
    # child would inherit that; these tests are about what binkit does with a Ctrl-C it receives.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args):
    return subprocess.Popen([sys.executable, "-m", "binkit", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_sigint)


def _wait_for(condition, timeout):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("target", ["group", "main"])
def test_ctrl_c_stops_a_parallel_batch_within_a_page(tmp_path, target):
    import signal
    import time

    folder, out = _slow_batch(tmp_path), tmp_path / "out"
    proc = _start(["binarize", folder, "-o", out, "--method", "logistic", "--workers", "2", "--no-progress"])
    assert _wait_for(lambda: out.is_dir() and any(out.glob("*.png")), 120), proc.stderr.read() if proc.poll() else ""
    t = time.monotonic()
    if target == "group":
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    else:
        proc.send_signal(signal.SIGINT)  # kill -INT of the main process alone
    _, err = proc.communicate(timeout=60)
    stopped_after = time.monotonic() - t
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    written = sorted(out.glob("*.png"))
    assert len(written) < 24 and stopped_after < 20
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left
    for p in written:  # every output there is whole
        assert read_gt(p, allow_majority_ink=True).shape == (900, 900)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")
def test_workers_exit_when_their_parent_is_killed(tmp_path):
    import signal

    folder = _slow_batch(tmp_path)
    proc = _start(["binarize", folder, "-o", tmp_path / "out", "--method", "logistic", "--workers", "2",
                   "--no-progress"])

    def children():
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(proc.pid):
                found.append(int(status.parent.name))
        return found

    assert _wait_for(lambda: len(children()) >= 2, 120)
    workers = children()
    proc.send_signal(signal.SIGKILL)  # the main process only, as a crashed or OOM-killed one
    proc.wait(timeout=30)
    def alive(pid):  # a zombie has exited: only its parent's bookkeeping is left
        try:
            return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False

    assert _wait_for(lambda: not any(alive(pid) for pid in workers), 30), [alive(p) for p in workers]


def test_empty_output_folder_is_refused(scans):
    code, _, err = _cli("binarize", scans / "scans" / "p0.png", "-o", "", "--method", "otsu", "--no-progress")
    assert code == 2 and "-o/--out-dir is empty" in err and "Traceback" not in err


# ---------------------------------------------------------------------------
# outputs record how they were made (case 20); archive formats; shards


def test_a_rerun_with_another_method_does_not_count_other_outputs_as_done(scans):
    out = scans / "out"
    code, _, err = _cli("binarize", scans / "scans", "-o", out, "--method", "sauvola", "--no-progress")
    assert code == 0, err
    assert binkit.io.made_by(out / "p0.png") == {
        "method": "sauvola", "binkit": binkit.__version__, "params": {"window": 51, "k": 0.2, "r": 128 / 255}}
    before = (out / "p0.png").read_bytes()
    code, stdout, err = _cli("binarize", scans / "scans", "-o", out, "--method", "otsu", "--no-progress")
    assert code == 2 and "skipped" not in stdout and len(err.strip().splitlines()) == 3
    assert "made by sauvola (k=0.2, r=0.50" in err and "not by otsu; --overwrite redoes it" in err
    assert (out / "p0.png").read_bytes() == before  # nothing was overwritten
    code, stdout, err = _cli("binarize", scans / "scans", "-o", out, "--method", "sauvola", "--no-progress")
    assert code == 0 and "skipped 3 already done" in stdout  # the same method and parameters: done
    code, _, err = _cli("binarize", scans / "scans", "-o", out, "--method", "sauvola", "--param", "window=31",
                        "--no-progress")
    assert code == 2 and "window=51" in err and "window=31" in err
    code, _, err = _cli("binarize", scans / "scans", "-o", out, "--method", "otsu", "--overwrite", "--no-progress")
    assert code == 0 and binkit.io.made_by(out / "p1.png")["method"] == "otsu"


@pytest.mark.parametrize("format, suffix, mode", [("png", ".png", "L"), ("png1", ".png", "1"), ("tif", ".tif", "1")])
def test_output_formats_keep_the_scans_dpi(tmp_path, format, suffix, mode):
    page = _page(1)
    Image.fromarray(np.round(page.image * 255).astype(np.uint8)).save(tmp_path / "scan.tif", dpi=(400, 400))
    code, _, err = _cli("binarize", tmp_path / "scan.tif", "-o", tmp_path / "out", "--method", "otsu",
                        "--format", format, "--no-progress")
    assert code == 0, err
    written = tmp_path / "out" / f"scan{suffix}"
    with Image.open(written) as image:
        assert image.mode == mode and round(image.info["dpi"][0]) == 400
        if format == "tif":
            assert image.info.get("compression") == "group4"
    np.testing.assert_array_equal(read_gt(written, allow_majority_ink=True), binkit.binarize(page.image, "otsu"))
    assert binkit.io.made_by(written)["method"] == "otsu"


def test_shards_split_the_sorted_inputs_without_overlap(tmp_path):
    from binkit.batch import shard

    files = [tmp_path / f"f{k:02d}.png" for k in range(11)]
    parts = [shard(files[::-1], f"{k}/4") for k in range(1, 5)]
    assert [len(p) for p in parts] == [3, 3, 3, 2]
    assert sum(parts, []) == sorted(files)
    for bad in ("0/4", "5/4", "2", "a/b", "1/0"):
        with pytest.raises(binkit.InputError, match="--shard"):
            shard(files, bad)
    folder = _slow_batch(tmp_path, pages=5, side=64)
    for k in (1, 2):
        code, _, err = _cli("binarize", folder, "-o", tmp_path / "out", "--method", "otsu", "--shard", f"{k}/2",
                            "--no-progress")
        assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"s{k:02d}.png" for k in range(5)]
