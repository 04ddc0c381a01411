"""Issue 31: files binkit reads run no code, one bad file never ends a batch, and what binkit writes is safe.

Each test is a class of mistake, tried at every place in binkit where it can happen:

* 1: no ``torch.load`` may run code (one reader, ``weights_only=True``); no file
  binkit writes gets a setuid or setgid bit;
* 2: a bad file in ``binarize`` or ``evaluate`` (odd provenance JSON, an absurd
  resolution, an unreadable folder, a name that is not UTF-8, an output path
  taken by something else) is one ``binkit: error:`` line, and the rest goes on;
* 3: ``--shard`` keeps the same-name check over all inputs; a run removes no
  temporary file a live writer holds;
* 5: model and data files (empty or foreign ``.pt``, a model configuration no
  model can have, broken JSON, archive bombs, a deep lock file, a data folder
  that is a file), and ``--param`` flags.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, PngImagePlugin

import binkit
from binkit.__main__ import main
from binkit.datasets import synthetic_page

PACKAGE = Path(binkit.__file__).resolve().parent


def _page(seed=1, size=(64, 80)):
    return synthetic_page(seed, size=size, font_size=(10, 12))


def _scan(path, seed=1, **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(_page(seed).image * 255).astype(np.uint8)).save(path, **save)
    return path


def _run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_each(err, count=None):
    """Every line of stderr is a ``binkit:`` line, there is no traceback, and (when given) ``count`` of them."""
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert all(line.startswith("binkit: ") for line in lines), err
    if count is not None:
        assert len(lines) == count, err
    return lines


# --------------------------------------------------------------------- 1: no code runs from a file


class _Plant:
    """A pickle payload that creates ``path`` when unpickled by a plain ``pickle.load``/``torch.load``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _hostile_pickle(path, flag, protocol=2):
    with open(path, "wb") as fh:
        pickle.dump({"model": {}, "task": {"model": "gridlstm"}, "x": _Plant(flag)}, fh, protocol=protocol)
    return path


@pytest.mark.parametrize("protocol", [2, 4])
def test_a_planted_checkpoint_runs_no_code_through_any_reader(tmp_path, protocol):
    from binkit import weights
    from binkit.train import load_checkpoint

    flag = tmp_path / "PWNED"
    run = tmp_path / "run"
    run.mkdir()
    for name in ("latest.pt", "best.pt"):
        _hostile_pickle(run / name, flag, protocol)
    readers = [lambda: load_checkpoint(run / "latest.pt"), lambda: weights.from_checkpoint(run / "best.pt"),
               lambda: weights.load("gridlstm", run / "best.pt"), lambda: weights.load("hybrid", run / "latest.pt")]
    for read in readers:
        with pytest.raises(binkit.InputError) as err:
            read()
        message = str(err.value)
        assert "\n" not in message and ("binkit runs no code" in message or "never runs" in message), message
    assert not flag.exists()


def test_resume_and_export_refuse_a_planted_checkpoint_in_one_line(tmp_path, capsys):
    flag = tmp_path / "PWNED"
    run = tmp_path / "run"
    run.mkdir()
    _hostile_pickle(run / "latest.pt", flag)
    _hostile_pickle(run / "best.pt", flag)
    code, _, err = _run(["train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1", "--synthetic",
                         "--train", "1", "--val", "2", "--test", "--epochs", "1", "--blocks-per-epoch", "4",
                         "--batch-size", "4", "--val-blocks", "4", "--no-progress", "--device", "cpu",
                         "--out", run], capsys)
    assert code == 2 and "latest.pt" in _one_line_each(err, 1)[0]
    code, _, err = _run(["export-weights", run, "--name", "x", "--dest", tmp_path / "w"], capsys)
    assert code == 2 and "best.pt" in _one_line_each(err, 1)[0]
    assert not flag.exists() and not (tmp_path / "w").exists()


def test_binkit_has_one_torch_load_and_it_runs_no_code():
    """Every call that can unpickle, in the whole package: one torch.load, with weights_only=True."""
    import ast

    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = ast.unparse(node.func.value)
                name = f"{owner}.{node.func.attr}"
                if name in ("torch.load", "torch.serialization.load", "pickle.load", "pickle.loads") or (
                        node.func.attr == "load" and "allow_pickle" in ast.unparse(node)):
                    calls.append((path.relative_to(PACKAGE).as_posix(), ast.unparse(node)))
    assert len(calls) == 1, calls
    where, call = calls[0]
    assert where == "io.py" and call.startswith("torch.load(") and "weights_only=True" in call


def test_new_checkpoints_load_with_no_allow_list(tmp_path):
    """The RNG state is stored as tensors and lists: plain ``weights_only`` reads a checkpoint."""
    from binkit.gridlstm import GridLSTMConfig
    from binkit.gridlstm.training import GridLSTMTask
    from binkit.train import TrainConfig, fit

    pages = [(f"p{s}", _page(s).image, _page(s).gt) for s in (1, 2)]
    task = GridLSTMTask(GridLSTMConfig(footprint=8, units_per_pixel=1), "bce", pages[:1], pages[1:])
    fit(task, TrainConfig(epochs=1, blocks_per_epoch=4, batch_size=4, val_blocks=4, progress=False), tmp_path)
    ck = torch.load(tmp_path / "latest.pt", weights_only=True)  # no safe_globals
    assert isinstance(ck["rng"]["numpy_legacy"][1], list) and isinstance(ck["rng"]["python"][1], list)


def _setuid_file(path, content=b"old"):
    path.write_bytes(content)
    path.chmod(0o6755)
    assert path.stat().st_mode & 0o6000 == 0o6000
    return path


def test_no_writer_passes_on_a_setuid_or_setgid_bit(tmp_path, capsys):
    from binkit.io import atomic_write
    from binkit.results import write_results_csv
    from binkit.train import save_atomic

    target = _setuid_file(tmp_path / "target")
    link = tmp_path / "link"
    link.symlink_to(target)
    written = {
        "atomic_write": atomic_write(_setuid_file(tmp_path / "a.bin"), lambda fh: fh.write(b"new")),
        "atomic_write through a link": atomic_write(link, lambda fh: fh.write(b"new")),
        "results csv": write_results_csv(_setuid_file(tmp_path / "r.csv"), []),
    }
    save_atomic({"a": 1}, _setuid_file(tmp_path / "ck.pt"))
    written["checkpoint"] = tmp_path / "ck.pt"
    for what, path in written.items():
        assert path.lstat().st_mode & 0o7000 == 0, what
        assert path.stat().st_mode & 0o777 == 0o755, what  # the permission bits stay
    assert target.read_bytes() == b"old"  # the link was replaced, not the file it pointed to
    # and binkit binarize --overwrite over its own output that someone made setuid
    _scan(tmp_path / "in" / "p.png")
    assert _run(["binarize", tmp_path / "in", "-o", tmp_path / "out", "--method", "otsu", "--no-progress"],
                capsys)[0] == 0
    (tmp_path / "out" / "p.png").chmod(0o6755)
    assert _run(["binarize", tmp_path / "in", "-o", tmp_path / "out", "--method", "otsu", "--no-progress",
                 "--overwrite"], capsys)[0] == 0
    assert (tmp_path / "out" / "p.png").stat().st_mode & 0o7777 == 0o755


# --------------------------------------------------------------------- 2: one bad file never ends a batch


def _provenance_png(path, text):
    info = PngImagePlugin.PngInfo()
    info.add_text("binkit", text)
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(path, pnginfo=info)


@pytest.mark.parametrize("record", ["[1,2]", '"x"', "5", "null", "{bad", "[" * 100_000 + "]" * 100_000,
                                    '{"params": {}}'])
def test_an_output_with_an_odd_provenance_record_is_one_line_and_the_rest_is_written(tmp_path, capsys, record):
    for k in (1, 2):
        _scan(tmp_path / "in" / f"p{k}.png", k)
    (tmp_path / "out").mkdir()
    _provenance_png(tmp_path / "out" / "p1.png", record)
    before = (tmp_path / "out" / "p1.png").read_bytes()
    for extra in ([], ["--overwrite"]):
        code, _, err = _run(["binarize", tmp_path / "in", "-o", tmp_path / "out", "--method", "otsu",
                             "--no-progress", *extra], capsys)
        (line,) = _one_line_each(err, 1)
        assert code == 2 and "p1.png" in line and "record" in line and len(line) < 400
        assert (tmp_path / "out" / "p1.png").read_bytes() == before  # not binkit's to redo
        assert binkit.io.made_by(tmp_path / "out" / "p2.png")["method"] == "otsu"


def test_made_by_refuses_a_record_that_is_not_an_object(tmp_path):
    _provenance_png(tmp_path / "x.png", "[1,2]")
    with pytest.raises(binkit.InputError, match="JSON holds a list, expected an object"):
        binkit.io.made_by(tmp_path / "x.png")
    _provenance_png(tmp_path / "deep.png", "{" * 50_000)
    with pytest.raises(binkit.InputError):
        binkit.io.made_by(tmp_path / "deep.png")


def test_a_scan_recording_an_absurd_resolution_is_one_line_and_the_rest_is_written(tmp_path, capsys):
    _scan(tmp_path / "in" / "huge.tif", 1, dpi=(4294967295, 4294967295))
    _scan(tmp_path / "in" / "good.tif", 2, dpi=(300, 300))
    for fmt in ("png", "tif"):
        out = tmp_path / f"out-{fmt}"
        code, _, err = _run(["binarize", tmp_path / "in", "-o", out, "--method", "otsu", "--format", fmt,
                             "--no-progress"], capsys)
        (line,) = _one_line_each(err, 1)
        assert code == 2 and "huge.tif" in line and "dpi" in line
        assert sorted(p.name for p in out.iterdir()) == [f"good.{'tif' if fmt == 'tif' else 'png'}"]
    with pytest.raises(binkit.InputError, match="dpi"):
        binkit.io.save_binary(tmp_path / "x.png", np.zeros((4, 4), bool), dpi=(float("nan"), 300))


def _unreadable(folder, monkeypatch):
    """Make ``folder`` unreadable: mode 000, and (root reads any mode) the listing refused as well."""
    folder.chmod(0)
    real_iterdir, real_stat = Path.iterdir, Path.stat

    def iterdir(self):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    def stat_(self, *args, **kwargs):
        if self.parent == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "stat", stat_)


def test_an_unreadable_input_folder_is_one_line_in_binarize_and_evaluate(tmp_path, capsys, monkeypatch):
    _scan(tmp_path / "locked" / "a.png", 1)
    _scan(tmp_path / "open" / "b.png", 2)
    binkit.io.save_binary(tmp_path / "gt" / "b.png", _page(2).gt)
    try:
        _unreadable(tmp_path / "locked", monkeypatch)
        code, _, err = _run(["binarize", tmp_path / "locked", tmp_path / "open", "-o", tmp_path / "out",
                             "--method", "otsu", "--no-progress"], capsys)
        (line,) = _one_line_each(err, 1)
        assert code == 2 and "locked" in line and "Permission denied" in line
        assert (tmp_path / "out" / "b.png").is_file()
        code, _, err = _run(["binarize", tmp_path / "locked" / "a.png", "-o", tmp_path / "out2", "--method",
                             "otsu", "--no-progress"], capsys)
        assert code == 2 and "a.png" in _one_line_each(err, 1)[0]
        for pred, gt in ((tmp_path / "locked", tmp_path / "gt"), (tmp_path / "out", tmp_path / "locked")):
            code, _, err = _run(["evaluate", "--pred", pred, "--gt", gt, "--no-progress"], capsys)
            (line,) = _one_line_each(err, 1)
            assert code == 2 and "locked" in line and "cannot read" in line
    finally:
        (tmp_path / "locked").chmod(0o755)


def _cli(*args, env=None):
    proc = subprocess.run([sys.executable, "-m", "binkit", *map(os.fsencode, args)], capture_output=True,
                          timeout=180, env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def test_file_names_that_are_not_utf8_never_fail_the_report_or_the_results(tmp_path):
    bad = os.fsencode(tmp_path / "in") + b"/bad\xffname.png"
    _scan(Path(os.fsdecode(bad)), 1)
    _scan(tmp_path / "in" / "good.png", 2)
    Image.fromarray(np.full((3, 3), 128, np.uint8)).save(os.fsdecode(os.fsencode(tmp_path / "in") + b"/grey\xfe.gif"))
    strict = {"PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    code, out, err = _cli("binarize", tmp_path / "in", "-o", tmp_path / "out", "--method", "otsu", "--no-progress",
                          env=strict)
    assert b"Traceback" not in err and code == 0, err
    assert b"wrote 3" in out
    assert (os.fsencode(tmp_path / "out") + b"/bad\xffname.png") in [os.fsencode(p) for p in
                                                                       (tmp_path / "out").iterdir()]
    gt = tmp_path / "gt"
    binkit.io.save_binary(Path(os.fsdecode(os.fsencode(gt) + b"/bad\xffname.png")), _page(1).gt)
    binkit.io.save_binary(gt / "good.png", _page(2).gt)
    code, out, err = _cli("evaluate", "--pred", tmp_path / "out", "--gt", gt, "--no-progress", "--json",
                          tmp_path / "r.json", "--csv", tmp_path / "r.csv", env=strict)
    assert b"Traceback" not in err, err
    assert code == 2 and err.count(b"binkit: error:") == 1 and b"grey\\xfe.png" in err  # no GT for it
    assert b"bad\\xffname" in out
    record = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted(r["image"] for r in record["images"]) == ["bad\\xffname", "good"]
    assert "bad\\xffname" in (tmp_path / "r.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["folder", "notes", "image", "link"])
def test_an_output_path_taken_by_something_else_is_one_line_and_left_alone(tmp_path, capsys, kind):
    for k in (1, 2):
        _scan(tmp_path / "in" / f"p{k}.png", k)
    out = tmp_path / "out"
    out.mkdir()
    taken = out / "p1.png"
    if kind == "folder":
        taken.mkdir()
        (taken / "keep.txt").write_text("mine")
    elif kind == "notes":
        taken.write_text("my notes")
    elif kind == "image":
        Image.fromarray(np.zeros((5, 5), np.uint8)).save(taken)  # an image binkit did not write
    else:
        (tmp_path / "elsewhere.png").write_bytes(b"mine")
        taken.symlink_to(tmp_path / "elsewhere.png")
    snapshot = {p: (p.is_symlink(), p.read_bytes() if p.is_file() else None) for p in out.rglob("*")}
    for extra in ([], ["--overwrite"]):
        code, stdout, err = _run(["binarize", tmp_path / "in", "-o", out, "--method", "otsu", "--no-progress",
                                  *extra], capsys)
        (line,) = _one_line_each(err, 1)
        assert code == 2 and "p1.png" in line and "skipped" not in stdout
        assert (out / "p2.png").is_file()
        assert {p: (p.is_symlink(), p.read_bytes() if p.is_file() else None)
                for p in out.rglob("*") if p.name != "p2.png"} == snapshot


# --------------------------------------------------------------------- 3: shards and concurrent runs


def test_a_name_clash_across_shards_is_seen_by_every_shard(tmp_path, capsys):
    _scan(tmp_path / "a" / "p1.png", 1)
    _scan(tmp_path / "b" / "p1.tif", 2)
    for k in range(3):
        _scan(tmp_path / "a" / f"q{k}.png", k)
    for k in (1, 2):
        code, _, err = _run(["binarize", tmp_path / "a", tmp_path / "b", "-o", tmp_path / "out", "--method", "otsu",
                             "--shard", f"{k}/2", "--no-progress"], capsys)
        lines = _one_line_each(err, 2)
        assert code == 2 and all("same" in line for line in lines)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["q0.png", "q1.png", "q2.png"]


def test_a_run_leaves_the_temporary_file_of_a_live_writer_alone(tmp_path):
    from binkit.io import atomic_write, remove_leftovers

    target = tmp_path / "p.png"
    seen = []

    def write(fh):
        fh.write(b"first half ")
        seen.append(remove_leftovers(target))  # another run starts on the same folder meanwhile
        fh.write(b"second half")

    atomic_write(target, write)
    assert seen == [[]] and target.read_bytes() == b"first half second half"
    killed = tmp_path / ".p.png.abcd1234.tmp"  # what a killed writer leaves: no lock held
    killed.write_bytes(b"x")
    assert remove_leftovers(target) == [killed] and not killed.exists()


# --------------------------------------------------------------------- 5: model and data files


def test_empty_foreign_and_misconfigured_weight_files_are_one_line(tmp_path, capsys):
    from binkit import weights

    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"config": {"footprint": 4, "scale": 2, "units_per_pixel": 0}, "state_dict": {}}, tmp_path / "zero.pt")
    torch.save({"config": [1, 2], "state_dict": {}}, tmp_path / "list.pt")
    torch.save({"config": {"footprint": 4, "scale": 2}, "state_dict": {"x": torch.zeros(2)}}, tmp_path / "odd.pt")
    torch.save([1, 2], tmp_path / "notdict.pt")
    cases = {"empty.pt": "unreadable", "zero.pt": "units_per_pixel", "list.pt": "not a mapping",
             "odd.pt": "not a binkit Grid LSTM weights file", "notdict.pt": "not a dict"}
    for name, words in cases.items():
        with pytest.raises(binkit.InputError, match=words) as err:
            weights.load("gridlstm", tmp_path / name)
        assert "\n" not in str(err.value)
    for source in ("/etc/passwd", tmp_path / "empty.pt"):
        _scan(tmp_path / "in" / "p.png")
        code, _, err = _run(["binarize", tmp_path / "in", "-o", tmp_path / "out", "--method", "gridlstm",
                             "--param", f"weights={source}", "--device", "cpu", "--no-progress"], capsys)
        assert code == 2 and "not a binkit Grid LSTM weights file" in _one_line_each(err, 1)[0]


def test_broken_provenance_json_is_one_line(tmp_path):
    from binkit import weights

    from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig

    config = GridLSTMConfig(footprint=8, units_per_pixel=1)
    pt = weights.save("gridlstm", "w", config.to_dict(), GridLSTMBinarizer(config).state_dict(), {"command": "test"},
                      dest=tmp_path)
    for text, words in (("{broken", "not valid JSON"), ("[1]", "expected an object"),
                        ("[" * 100_000, "nested too deep")):
        pt.with_suffix(".json").write_text(text)
        with pytest.raises(binkit.InputError, match=words):
            weights.info("gridlstm", pt)


def _bomb(path, unpacked_mb):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("DIBCO11/HW1.bmp", bytes(unpacked_mb << 20))
    return path


def test_an_archive_that_expands_too_far_is_refused_before_unpacking(tmp_path, monkeypatch):
    from binkit.datasets.fetch import unpack as unpack_module
    from binkit.datasets.fetch.errors import DownloadError

    bomb = _bomb(tmp_path / "bomb.zip", 100)
    assert bomb.stat().st_size < 300_000
    with pytest.raises(DownloadError, match=r"would unpack to 105 MB .*times its size"):
        unpack_module.unpack(bomb, tmp_path / "out")
    assert not any((tmp_path / "out").rglob("*.bmp"))
    monkeypatch.setattr(unpack_module, "MAX_UNPACKED_BYTES", 1 << 20)  # the absolute limit, whatever the ratio
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("x.bin", os.urandom(2 << 20))
    with pytest.raises(DownloadError, match="would unpack to"):
        unpack_module.unpack(plain, tmp_path / "out2")


def test_member_names_too_long_and_folder_clashes_are_one_line(tmp_path):
    from binkit.datasets.fetch.errors import DownloadError
    from binkit.datasets.fetch.unpack import unpack

    long = tmp_path / "long.zip"
    with zipfile.ZipFile(long, "w") as zf:
        zf.writestr("d/" + "x" * 300 + ".png", b"data")
    with pytest.raises(DownloadError, match="cannot unpack long.zip: File name too long"):
        unpack(long, tmp_path / "a")
    (tmp_path / "b").mkdir()
    with pytest.raises(DownloadError, match="already exists"):
        unpack(long, tmp_path / "b")
    clash = tmp_path / "clash.zip"
    with zipfile.ZipFile(clash, "w") as zf:
        zf.writestr("inner.zip", _zip_bytes({"a.txt": b"a"}))
        zf.writestr("inner_unpacked", b"a file where the inner archive's folder goes")
    with pytest.raises(DownloadError, match="already exists"):
        unpack(clash, tmp_path / "c")


def _zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_deeply_nested_lock_file_is_refused_cleanly(tmp_path):
    from binkit.datasets.fetch.download import read_lock

    lock = tmp_path / "dibco-lock.json"
    for text in ('{"archives": ' + "[" * 100_000 + "]" * 100_000 + "}", "[1, 2]"):
        lock.write_text(text)
        with pytest.raises(binkit.InputError, match="fix or delete it") as err:
            read_lock(lock)
        assert str(err.value).count(str(lock)) == 1


@pytest.mark.parametrize("hard", [False, True])
def test_synthetic_with_a_data_home_that_is_a_file_or_unwritable_is_one_line(tmp_path, capsys, monkeypatch, hard):
    home = tmp_path / "home"
    home.write_text("a file")
    monkeypatch.setenv("BINKIT_DATA_HOME", str(home))
    code, _, err = _run(["synthetic", "--count", "1", *(["--hard"] if hard else [])], capsys)
    assert code == 2 and "home" in _one_line_each(err, 1)[0]
    home.unlink()
    home.mkdir()
    monkeypatch.setattr(binkit.io.os, "access", lambda path, mode: False)  # root writes anywhere: say it cannot
    code, _, err = _run(["synthetic", "--count", "1", *(["--hard"] if hard else [])], capsys)
    assert code == 2 and "cannot be written" in _one_line_each(err, 1)[0]
    monkeypatch.undo()
    code, _, err = _run(["synthetic", "--count", "-1", "--dest", tmp_path / "s"], capsys)
    assert code == 2 and "--count" in _one_line_each(err, 1)[0]


def test_param_passes_booleans(tmp_path, capsys):
    from binkit.registry import parse_params

    assert parse_params(["swap=true", "b=False", "n=3", "x=0.5", "w=runs/a.pt"]) == {
        "swap": True, "b": False, "n": 3, "x": 0.5, "w": "runs/a.pt"}
    _scan(tmp_path / "in" / "p.png")
    code, _, err = _run(["binarize", tmp_path / "in", "-o", tmp_path / "out", "--method", "logistic", "--param",
                         "swap=true", "--no-progress"], capsys)
    assert code == 0, err


def test_damaged_manifests_notebooks_and_cache_files_are_one_line_or_recomputed(tmp_path):
    from binkit import course
    from binkit.datasets import load_synthetic
    from binkit.datasets.synthetic import write_synthetic_set
    from binkit.gridlstm import training

    write_synthetic_set(tmp_path / "s", seeds=[1])
    for text, words in (("[" * 100_000, "nested too deep"), ('{"pages": 5}', "list of named pages"),
                        ("[]", "expected an object")):
        (tmp_path / "s" / "manifest.json").write_text(text)
        with pytest.raises(binkit.InputError, match=words):
            load_synthetic(tmp_path / "s")
    (tmp_path / "nb.ipynb").write_text("{" * 100_000)
    with pytest.raises(binkit.InputError, match="not a readable notebook"):
        course._read(tmp_path / "nb.ipynb")
    gt = _page(3).gt
    rw, _ = training._weights_cached(gt, tmp_path / "cache")
    (entry,) = (tmp_path / "cache").iterdir()
    entry.write_bytes(b"half a zip")  # a cache entry a full disk cut short
    again, _ = training._weights_cached(gt, tmp_path / "cache")
    np.testing.assert_allclose(again, rw, rtol=1e-6)


def test_a_rar_unpacked_by_a_tool_that_expands_too_far_is_removed(tmp_path, monkeypatch):
    """rar and 7z through a command-line tool: its listing is not read first, so the tree is checked at once."""
    from binkit.datasets.fetch import unpack as unpack_module
    from binkit.datasets.fetch.errors import DownloadError

    archive = tmp_path / "bomb.rar"
    archive.write_bytes(b"Rar!\x1a\x07\x00" + bytes(1000))  # the RAR magic; the fake tool ignores the rest
    monkeypatch.setitem(sys.modules, "rarfile", None)  # no rarfile package: the tools are tried
    monkeypatch.setattr(unpack_module, "RATIO_FREE_BYTES", 1 << 20)  # a small bomb for a quick test
    monkeypatch.setattr(unpack_module, "_which", lambda *tools: [("bsdtar", "sh")])
    monkeypatch.setattr(unpack_module, "_cli_command",
                        lambda tool, exe, path, out: ["sh", "-c", f"head -c 3000000 /dev/zero > '{out}/HW1.bmp'"])
    with pytest.raises(DownloadError, match=r"would unpack to 3 MB .*times its size"):
        unpack_module.unpack(archive, tmp_path / "out")
    assert not any((tmp_path / "out").rglob("*.bmp"))


def test_two_live_processes_writing_one_folder_keep_each_other_s_temporary_files(tmp_path):
    """The second run of issue 31 §3: another *process* writing the same output, not only another call."""
    from binkit.io import remove_leftovers

    target, started = tmp_path / "p.png", tmp_path / "started"
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, pathlib; from binkit.io import atomic_write\n"
        "def write(fh):\n"
        "    fh.write(b'first half ')\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        "    time.sleep(2.0)\n"
        "    fh.write(b'second half')\n"
        f"atomic_write(pathlib.Path({str(target)!r}), write)\n")])
    try:
        for _ in range(300):
            if started.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert started.exists(), "the writer did not start"
        assert remove_leftovers(target) == []  # its temporary file is in use: left alone
    finally:
        assert child.wait(timeout=60) == 0
    assert target.read_bytes() == b"first half second half"
