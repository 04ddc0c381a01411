"""Tests for binkit.datasets.fetch: catalogue, download, verification, unpacking and conversion of DIBCO archives.

No test touches the internet: a local ``http.server`` on 127.0.0.1 serves small
archives built here, in the official naming, and ``urls=`` points fetch_dibco at it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import json
import os
import sys
import tarfile
import threading
import warnings
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from binkit import InputError
from binkit.datasets import fetch as F
from binkit.datasets.fetch import convert, unpack
from binkit.datasets.fetch import (
    Archive,
    ChecksumError,
    DownloadError,
    TrustOnFirstUseWarning,
    fetch_dibco,
)

# The fixtures' 8-bit GTs hold grey page pixels on purpose (see _gt_8bit); io.read_gt's
# warning about them is checked in test_fetch_converts_locks_and_verifies, not repeated.
pytestmark = pytest.mark.filterwarnings(r"ignore:.*(PR2_estGT\.tiff|2_gt\.bmp). ground truth has 3 grey pixels")

# ---------------------------------------------------------------------------
# Local server
# ---------------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; ``/cut/<name>`` announces the full length but sends half and hangs up."""

    requests: list[str] = []
    agents: list[str] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        type(self).agents.append(self.headers.get("User-Agent"))
        if self.path.startswith("/cut/"):
            data = (Path(self.directory) / self.path[len("/cut/") :]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """(base_url, served_dir): a threading HTTP server on 127.0.0.1, port chosen by the OS."""
    served = tmp_path / "served"
    served.mkdir()
    handler = type("Handler", (_Handler,), {"requests": [], "agents": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(served)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served, handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# ---------------------------------------------------------------------------
# Archive builders (tiny images, official-looking names)
# ---------------------------------------------------------------------------

_RNG = np.random.default_rng(0)
HW1 = _RNG.integers(0, 256, size=(12, 16), dtype=np.uint8)  # 8-bit L original
PR2 = _RNG.integers(0, 256, size=(10, 14, 3), dtype=np.uint8)  # RGB original
INK_HW1 = np.zeros((12, 16), dtype=bool)
INK_HW1[3:6, 2:10] = True
INK_PR2 = np.zeros((10, 14), dtype=bool)
INK_PR2[5:8, 1:4] = True


def _encode(arr_or_img, fmt, mode=None) -> bytes:
    img = arr_or_img if isinstance(arr_or_img, Image.Image) else Image.fromarray(arr_or_img, mode=mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def _gt_1bit(ink) -> bytes:
    """1-bit TIFF ground truth: black (0) = ink, white = page."""
    return _encode(Image.fromarray(~ink).convert("1"), "TIFF")


def _gt_8bit(ink) -> bytes:
    """8-bit GT with exactly 0 = ink, 255 = page and some grey (128) page pixels."""
    a = np.where(ink, 0, 255).astype(np.uint8)
    a[0, :3] = 128  # not exactly 0: page by the DIBCO rule
    return _encode(a, "TIFF", mode="L")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _targz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def dibco11_zip(extra: dict[str, bytes] | None = None) -> bytes:
    """Images and GT in one archive, named like DIBCO 2011 (HW1.png + HW1_GT.tiff)."""
    members = {
        "DIBCO11/HW1.png": _encode(HW1, "PNG", mode="L"),
        "DIBCO11/HW1_GT.tiff": _gt_1bit(INK_HW1),
        "DIBCO11/HW1_skelGT.tiff": _gt_1bit(np.zeros_like(INK_HW1)),  # skeleton GT: ignored
        "DIBCO11/PR2.bmp": _encode(PR2, "BMP", mode="RGB"),
        "DIBCO11/PR2_estGT.tiff": _gt_8bit(INK_PR2),
        "DIBCO11/readme.txt": b"not an image",
    }
    members.update(extra or {})
    return _zip(members)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _serve(served: Path, name: str, data: bytes) -> None:
    (served / name).write_bytes(data)


def _read(path: Path) -> tuple[str, np.ndarray]:
    with Image.open(path) as im:
        return im.mode, np.asarray(im).copy()


@contextlib.contextmanager
def _no_first_use():
    """A TrustOnFirstUseWarning fails the test; the grey-GT warning of PR2_estGT (see _gt_8bit) is expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", r".*/PR2_estGT\.tiff: ground truth has 3 grey pixels", UserWarning)
        yield


def _assert_clean(dest: Path, allowed: set[str]) -> None:
    """Nothing but ``allowed`` in dest: no temp files, no work folders, no partial year."""
    left = {p.name for p in dest.iterdir()} if dest.exists() else set()
    assert left == allowed, left


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_table_lists_official_urls():
    assert {2009, 2010, 2011, 2012, 2013, 2014, 2016} <= set(F.DIBCO_ARCHIVES)
    for year, entry in F.DIBCO_ARCHIVES.items():
        assert entry.year == year and entry.archives
        for arc in entry.archives:
            assert arc.url.startswith("https://")
            assert any(h in arc.url for h in ("demokritos.gr", "duth.gr"))
            assert arc.format in ("zip", "rar", "7z")
            assert arc.sha256 is None or len(arc.sha256) == 64


def test_fetch_converts_locks_and_verifies(server, tmp_path):
    base, served, handler = server
    data = dibco11_zip()
    _serve(served, "DIBCO11-sample.zip", data)
    urls = {2011: [f"{base}/DIBCO11-sample.zip"]}
    dest = tmp_path / "dibco"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = fetch_dibco(2011, dest, urls=urls, progress=True)
    tofu = [w for w in caught if issubclass(w.category, TrustOnFirstUseWarning)]
    assert len(tofu) == 1 and "trusted on first use" in str(tofu[0].message)
    # io.read_gt's warning about grey GT pixels, naming the file inside the archive
    # (not the temporary work folder), pointing at the caller
    grey = [str(w.message) for w in caught if "grey pixels" in str(w.message)]
    assert grey == [
        "DIBCO11-sample/DIBCO11/PR2_estGT.tiff: ground truth has 3 grey pixels (neither 0 nor 255); "
        "following the DIBCO rule, only exact 0 counts as ink"
    ]
    assert all(w.filename == __file__ for w in caught)

    img_dir, gt_dir = dest / "2011" / "images", dest / "2011" / "gt"
    assert sorted(p.name for p in img_dir.iterdir()) == ["2011_H01.png", "2011_P02.png"]
    assert sorted(p.name for p in gt_dir.iterdir()) == ["2011_H01.png", "2011_P02.png"]
    assert list(report) == [
        (img_dir / "2011_H01.png", gt_dir / "2011_H01.png"),
        (img_dir / "2011_P02.png", gt_dir / "2011_P02.png"),
    ]
    assert report.fetched == [2011] and report.skipped == []

    # images: pixels and mode unchanged
    mode, arr = _read(img_dir / "2011_H01.png")
    assert mode == "L" and np.array_equal(arr, HW1)
    mode, arr = _read(img_dir / "2011_P02.png")
    assert mode == "RGB" and np.array_equal(arr, PR2)
    # GT: 8-bit L, 0 = ink, 255 = page; grey 128 counts as page
    for name, ink in (("2011_H01.png", INK_HW1), ("2011_P02.png", INK_PR2)):
        mode, arr = _read(gt_dir / name)
        assert mode == "L" and arr.dtype == np.uint8
        assert set(np.unique(arr)) <= {0, 255}
        assert np.array_equal(arr == 0, ink)

    # lock file: trust on first use recorded the sha256 of the download
    lock = json.loads((dest / "dibco-lock.json").read_text())
    assert lock["archives"]["2011/DIBCO11-sample.zip"]["sha256"] == _sha(data)
    assert report.trusted_on_first_use == {"2011/DIBCO11-sample.zip": _sha(data)}
    assert report.lock_file == dest / "dibco-lock.json"
    _assert_clean(dest, {"2011", "dibco-lock.json"})

    # second call: year present, skipped without downloading
    n_requests = len(handler.requests)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = fetch_dibco([2011], dest, urls=urls, progress=False)
    assert again.skipped == [2011] and list(again) == []
    assert len(handler.requests) == n_requests

    # force: downloaded again and verified against the lock, no new trust-on-first-use warning
    with _no_first_use():
        forced = fetch_dibco([2011], dest, urls=urls, force=True, progress=False)
    assert forced.verified == {"2011/DIBCO11-sample.zip": "locked"}
    assert forced.trusted_on_first_use == {}
    assert len(forced) == 2
    _assert_clean(dest, {"2011", "dibco-lock.json"})


def test_download_differing_from_lock_is_refused(server, tmp_path):
    base, served, _ = server
    _serve(served, "DIBCO11-sample.zip", dibco11_zip())
    urls = {2011: f"{base}/DIBCO11-sample.zip"}
    dest = tmp_path / "dibco"
    with pytest.warns(TrustOnFirstUseWarning):
        fetch_dibco(2011, dest, urls=urls, progress=False)
    before = {p: p.read_bytes() for p in sorted(dest.rglob("*")) if p.is_file()}

    # the server now serves other bytes under the same name
    _serve(served, "DIBCO11-sample.zip", dibco11_zip({"DIBCO11/extra.txt": b"changed"}))
    with pytest.raises(ChecksumError, match=r"checksum mismatch for http://127\.0\.0\.1:\d+/DIBCO11-sample\.zip.*locked"):
        fetch_dibco(2011, dest, urls=urls, force=True, progress=False)

    # old data untouched, nothing new left behind
    after = {p: p.read_bytes() for p in sorted(dest.rglob("*")) if p.is_file()}
    assert after == before
    _assert_clean(dest, {"2011", "dibco-lock.json"})


def test_download_differing_from_known_sha256_is_refused(server, tmp_path):
    base, served, _ = server
    data = dibco11_zip()
    _serve(served, "DIBCO11-sample.zip", data)
    dest = tmp_path / "dibco"  # does not exist yet
    wrong = Archive(f"{base}/DIBCO11-sample.zip", sha256="0" * 64)
    with pytest.raises(ChecksumError, match="known checksum"):
        fetch_dibco(2011, dest, urls={2011: wrong}, progress=False)
    assert not dest.exists()  # created by the call, removed again since empty

    dest.mkdir()
    with pytest.raises(ChecksumError):
        fetch_dibco(2011, dest, urls={2011: {"url": wrong.url, "sha256": wrong.sha256}}, progress=False)
    _assert_clean(dest, set())

    # the right known sha256: verified, no trust-on-first-use warning, nothing to lock
    with _no_first_use():
        report = fetch_dibco(2011, dest, urls={2011: Archive(wrong.url, sha256=_sha(data).upper())}, progress=False)
    assert report.verified == {"2011/DIBCO11-sample.zip": "known"}
    _assert_clean(dest, {"2011"})


def test_http_404_is_a_clear_error(server, tmp_path):
    base, _, _ = server
    dest = tmp_path / "dibco"
    dest.mkdir()
    url = f"{base}/no-such-archive.zip"
    with pytest.raises(DownloadError, match=r"HTTP 404 .*no-such-archive\.zip") as info:
        fetch_dibco(2011, dest, urls={2011: url}, progress=False)
    assert "\n" not in str(info.value)
    _assert_clean(dest, set())


def test_unreachable_host_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "dibco"
    with pytest.raises(DownloadError, match=rf"cannot reach http://127\.0\.0\.1:{port}/x\.zip"):
        fetch_dibco(2011, dest, urls={2011: f"http://127.0.0.1:{port}/x.zip"}, progress=False)
    assert not dest.exists()


def test_cut_download_leaves_nothing(server, tmp_path):
    base, served, _ = server
    _serve(served, "DIBCO11-sample.zip", dibco11_zip())
    dest = tmp_path / "dibco"
    dest.mkdir()
    with pytest.raises(DownloadError, match=r"cut off .*DIBCO11-sample\.zip|DIBCO11-sample\.zip was cut off"):
        fetch_dibco(2011, dest, urls={2011: f"{base}/cut/DIBCO11-sample.zip"}, progress=False)
    _assert_clean(dest, set())  # no .part file, no work folder, no 2011/, no lock


def test_separate_gt_archive_tar_and_folder_names(server, tmp_path):
    """DIBCO 2009 style: GT in its own archive, same file name, GT told by the folder name."""
    base, served, _ = server
    ink = np.zeros((9, 11), dtype=bool)
    ink[2:4, 3:9] = True
    orig = _RNG.integers(0, 256, size=(9, 11), dtype=np.uint8)
    images = _zip({"DIBC02009_Test_images-handwritten/H01.bmp": _encode(orig, "BMP", mode="L")})
    gt = _targz({"DIBCO2009-GT-Test-images_handwritten/H01.tiff": _gt_1bit(ink)})
    _serve(served, "DIBC02009_Test_images-handwritten.zip", images)
    _serve(served, "DIBCO2009-GT-Test-images_handwritten.tar.gz", gt)
    urls = {
        2009: [
            f"{base}/DIBC02009_Test_images-handwritten.zip",
            {"url": f"{base}/DIBCO2009-GT-Test-images_handwritten.tar.gz", "format": "tar"},
        ]
    }
    with pytest.warns(TrustOnFirstUseWarning):
        report = fetch_dibco(2009, tmp_path, urls=urls, progress=False)
    assert [p[0].name for p in report] == ["2009_H01.png"]
    assert np.array_equal(_read(tmp_path / "2009/images/2009_H01.png")[1], orig)
    assert np.array_equal(_read(tmp_path / "2009/gt/2009_H01.png")[1] == 0, ink)
    lock = json.loads((tmp_path / "dibco-lock.json").read_text())["archives"]
    assert set(lock) == {
        "2009/DIBC02009_Test_images-handwritten.zip",
        "2009/DIBCO2009-GT-Test-images_handwritten.tar.gz",
    }


def test_hdibco_numbers_palette_and_16bit(server, tmp_path):
    """H-DIBCO 2016 style (1.bmp + 1_gt.bmp): numbered files become H<NN>; odd modes converted."""
    base, served, _ = server
    grey = _RNG.integers(0, 256, size=(8, 10), dtype=np.uint8)
    pal = Image.fromarray(grey, mode="L").convert("P")  # palette image with a grey palette
    deep = (_RNG.integers(0, 65536, size=(8, 10))).astype(np.uint16)
    ink = np.zeros((8, 10), dtype=bool)
    ink[1:3, 1:5] = True
    gt_pal = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8), mode="L").convert("P")
    members = {
        "DIPCO2016_dataset/1.bmp": _encode(pal, "BMP"),
        "DIPCO2016_dataset/2.png": _encode(Image.fromarray(deep), "PNG"),
        "DIPCO2016_Dataset_GT/1_gt.bmp": _encode(gt_pal, "BMP"),
        "DIPCO2016_Dataset_GT/2_gt.bmp": _gt_8bit(ink),
    }
    _serve(served, "DIBCO2016_dataset.zip", _zip(members))
    with pytest.warns(TrustOnFirstUseWarning):
        fetch_dibco("2016", tmp_path, urls={2016: f"{base}/DIBCO2016_dataset.zip"}, progress=False)
    mode, arr = _read(tmp_path / "2016/images/2016_H01.png")
    assert mode == "L" and np.array_equal(arr, grey)
    mode, arr = _read(tmp_path / "2016/images/2016_H02.png")
    assert mode == "L" and arr.dtype == np.uint8
    assert np.array_equal(arr, np.rint(deep * (255 / 65535)).astype(np.uint8))
    for name in ("2016_H01.png", "2016_H02.png"):
        mode, arr = _read(tmp_path / "2016/gt" / name)
        assert mode == "L" and np.array_equal(arr == 0, ink) and set(np.unique(arr)) <= {0, 255}


def test_rar_without_any_tool_says_what_to_install(server, tmp_path, monkeypatch):
    base, served, _ = server
    _serve(served, "DIBCO11-handwritten.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 64)
    monkeypatch.setitem(sys.modules, "rarfile", None)  # `import rarfile` fails
    monkeypatch.setattr(unpack.shutil, "which", lambda name: None)  # no bsdtar/unrar/7z
    dest = tmp_path / "dibco"
    with pytest.raises(DownloadError, match=r"cannot unpack DIBCO11-handwritten\.rar: .*unrar.*libarchive-tools"):
        fetch_dibco(2011, dest, urls={2011: f"{base}/DIBCO11-handwritten.rar"}, progress=False)
    assert not dest.exists()  # and no lock entry for an archive that could not be used


def test_rar_unpacked_with_a_command_line_tool(server, tmp_path, monkeypatch):
    """Without the rarfile package, a .rar is handed to bsdtar/unrar/7z found on PATH."""
    base, served, _ = server
    _serve(served, "DIBCO11-handwritten.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 64)
    # A stand-in for bsdtar: `bsdtar -xf ARCHIVE -C OUT` unpacks a prepared tree.
    content = tmp_path / "content"
    with zipfile.ZipFile(io.BytesIO(dibco11_zip())) as zf:
        zf.extractall(content)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "bsdtar"
    tool.write_text(f'#!/bin/sh\n[ "$1" = -xf ] && [ "$3" = -C ] || exit 2\ncp -R "{content}/." "$4"\n')
    tool.chmod(0o755)
    monkeypatch.setitem(sys.modules, "rarfile", None)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")  # ours is found first
    dest = tmp_path / "dibco"
    with pytest.warns(TrustOnFirstUseWarning):
        report = fetch_dibco(2011, dest, urls={2011: f"{base}/DIBCO11-handwritten.rar"}, progress=False)
    assert [p[0].name for p in report] == ["2011_H01.png", "2011_P02.png"]
    assert np.array_equal(_read(dest / "2011/images/2011_H01.png")[1], HW1)


def test_unreadable_image_in_archive_is_an_input_error(server, tmp_path):
    base, served, _ = server
    bad = dibco11_zip({"DIBCO11/HW3.png": b"not a png", "DIBCO11/HW3_GT.tiff": _gt_1bit(INK_HW1)})
    _serve(served, "DIBCO11-sample.zip", bad)
    with pytest.raises(InputError, match=r"DIBCO11/HW3\.png: cannot read as an image"):
        fetch_dibco(2011, tmp_path, urls={2011: f"{base}/DIBCO11-sample.zip"}, progress=False)
    _assert_clean(tmp_path, {"served"})


def test_bad_arguments(tmp_path):
    with pytest.raises(InputError, match="no DIBCO archives known for 2015"):
        fetch_dibco(2015, tmp_path)
    with pytest.raises(InputError, match="years"):
        fetch_dibco(["twenty"], tmp_path)
    with pytest.raises(InputError, match="sha256"):
        fetch_dibco(2011, tmp_path, urls={2011: {"url": "http://x/a.zip", "sha256": "abc"}})
    (tmp_path / "2011").mkdir()
    (tmp_path / "2011" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a complete DIBCO year folder"):
        fetch_dibco(2011, tmp_path, urls={2011: "http://127.0.0.1:9/a.zip"})
    assert (tmp_path / "2011" / "notes.txt").read_text() == "mine"


@pytest.mark.dibco
def test_round_trip_of_real_dibco_pages(server, tmp_path, dibco_root):
    """Real pages packed the official way (HW1.png + 1-bit HW1_GT.tiff, 1.bmp + 1_gt.bmp) come back identical."""
    base, served, _ = server

    def load(year, name):
        with Image.open(dibco_root / str(year) / "images" / f"{name}.png") as im:
            img = im.copy()
        with Image.open(dibco_root / str(year) / "gt" / f"{name}.png") as im:
            ink = np.asarray(im) == 0
        return img, ink

    h01, h01_ink = load(2011, "2011_H01")
    p01, p01_ink = load(2011, "2011_P01")
    _serve(served, "DIBCO11-handwritten.zip", _zip({"HW1.png": _encode(h01, "PNG"), "HW1_GT.tiff": _gt_1bit(h01_ink)}))
    _serve(served, "DIBCO11-machine_printed.zip", _zip({"PR1.png": _encode(p01, "PNG"), "PR1_GT.tiff": _gt_1bit(p01_ink)}))
    s01, s01_ink = load(2016, "2016_H01")
    gt_bmp = _encode(Image.fromarray(~s01_ink).convert("1"), "BMP")
    _serve(served, "DIBCO2016_dataset-original.zip", _zip({"DIPCO2016_dataset/1.bmp": _encode(s01, "BMP")}))
    _serve(served, "DIBCO2016_dataset-GT.zip", _zip({"DIPCO2016_Dataset_GT/1_gt.bmp": gt_bmp}))
    urls = {
        2011: [f"{base}/DIBCO11-handwritten.zip", f"{base}/DIBCO11-machine_printed.zip"],
        2016: [f"{base}/DIBCO2016_dataset-original.zip", f"{base}/DIBCO2016_dataset-GT.zip"],
    }
    with pytest.warns(TrustOnFirstUseWarning):
        report = fetch_dibco([2011, 2016], tmp_path / "out", urls=urls, progress=False)
    assert [p[0].stem for p in report] == ["2011_H01", "2011_P01", "2016_H01"]
    for year, name in ((2011, "2011_H01"), (2011, "2011_P01"), (2016, "2016_H01")):
        for sub in ("images", "gt"):
            mode_ref, ref = _read(dibco_root / str(year) / sub / f"{name}.png")
            mode, got = _read(tmp_path / "out" / str(year) / sub / f"{name}.png")
            assert mode == mode_ref and np.array_equal(got, ref), (name, sub)


@pytest.mark.parametrize(
    "year, kind, files, expected",
    [
        # file names inside the official archives (folder = archive it came from)
        (2009, None, ["DIBC02009_Test_images-handwritten/H01.bmp", "DIBCO2009-GT-Test-images_handwritten/H01.tiff",
                      "DIBCO2009_Test_images-printed/P05.bmp", "DIBCO2009-GT-Test-images_printed/P05.tiff"],
         ["H01", "P05"]),
        (2010, "H", ["H_DIBCO2010_test_images/H01.jpg", "H_DIBCO2010_GT/H01_estGT.tiff",
                     "H_DIBCO2010_GT/H01_skelGT.tiff"], ["H01"]),
        (2011, None, ["DIBCO11-handwritten/HW8.png", "DIBCO11-handwritten/HW8_GT.tiff",
                      "DIBCO11-machine_printed/PR1.png", "DIBCO11-machine_printed/PR1_GT.tiff"], ["H08", "P01"]),
        (2012, "H", ["H-DIBCO2012-dataset/H-DIBCO2012-dataset/H14.png",
                     "H-DIBCO2012-dataset/H-DIBCO2012-dataset/H14_GT.tif"], ["H14"]),
        (2013, None, ["DIBCO2013-dataset/OriginalImages/HW02.tif", "DIBCO2013-dataset/GTimages/HW02_estGT.tiff",
                      "DIBCO2013-dataset/OriginalImages/PR03.bmp", "DIBCO2013-dataset/GTimages/PR03_estGT.tiff"],
         ["H02", "P03"]),
        (2014, "H", ["original_images/H10.png", "GT/H10_estGT.tiff"], ["H10"]),
        (2016, "H", ["DIBCO2016_dataset-original/DIPCO2016_dataset/3.bmp",
                     "DIBCO2016_dataset-GT/DIPCO2016_Dataset_GT/3_gt.bmp"], ["H03"]),
        (2017, None, ["DIBCO2017_Dataset/Dataset/20.bmp", "DIBCO2017_GT/GT/20_gt.bmp"], ["20"]),
        (2018, "H", ["dibco2018_Dataset/dataset/7.bmp", "dibco2018-GT/gt/7_gt.bmp",
                     "dibco2018-GT/weights/7_gt_PWeights.dat"], ["H07"]),
        (2019, None, ["dibco2019_dataset_trackA/Dataset/1.bmp", "dibco2019_gt_trackA/GT/1.bmp",
                      "dibco2019_dataset_trackB/Dataset/11.bmp", "dibco2019_gt_trackB/GT/11.bmp"], ["01", "11"]),
    ],
)
def test_official_file_names_pair(tmp_path, year, kind, files, expected):
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).touch()
    imgs, gts = [], []
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        got = convert.classify(path, tmp_path, kind)
        if got is not None:
            (gts if got[0] else imgs).append(got[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every file paired, nothing left over
        pairs = convert.pair(imgs, gts)
    assert sorted(f"{k or ''}{i.label}" for i, g, k in pairs) == expected


# ---------------------------------------------------------------------------
# The GT rule is binkit.io.read_gt's, and fetch needs nothing from the package root
# ---------------------------------------------------------------------------


def test_colour_gt_follows_io_read_gt(server, tmp_path):
    """An RGB (0, 0, 1) GT pixel: luma rounds to 0, so it is ink for io.read_gt and for the conversion."""
    from binkit.io import read_gt

    base, served, _ = server
    rgb = np.full((6, 9, 3), 255, np.uint8)
    rgb[1, 1:7] = (0, 0, 0)  # pure black: ink under any rule
    rgb[3, 2:5] = (0, 0, 1)  # not all channels 0, but luma 0.114 / 255 rounds to 0: ink
    rgb[4, 6] = (0, 3, 0)  # luma 1.76 rounds to 2: page (and a grey pixel)
    gt_png = _encode(rgb, "PNG", mode="RGB")
    (tmp_path / "source_gt.png").write_bytes(gt_png)
    with pytest.warns(UserWarning, match="1 grey pixels"):
        expected = read_gt(tmp_path / "source_gt.png")
    assert expected[3, 2:5].all() and expected[1, 1:7].all() and not expected[4, 6]

    orig = _RNG.integers(0, 256, size=(6, 9), dtype=np.uint8)
    _serve(served, "colour.zip", _zip({"H01.png": _encode(orig, "PNG", mode="L"), "H01_GT.png": gt_png}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fetch_dibco(2030, tmp_path / "out", urls={2030: f"{base}/colour.zip"}, progress=False)
    assert any("H01_GT.png: ground truth has 1 grey pixels" in str(w.message) for w in caught)
    converted = tmp_path / "out" / "2030" / "gt" / "2030_H01.png"
    mode, arr = _read(converted)
    assert mode == "L" and set(np.unique(arr)) <= {0, 255}
    np.testing.assert_array_equal(arr == 0, expected)
    np.testing.assert_array_equal(read_gt(converted), expected)  # and it reads back the same


def test_unreadable_gt_names_the_file_in_the_archive(server, tmp_path):
    base, served, _ = server
    bad = _zip({"DIBCO11/HW1.png": _encode(HW1, "PNG", mode="L"), "DIBCO11/HW1_GT.tiff": b"II*\x00broken"})
    _serve(served, "DIBCO11-sample.zip", bad)
    with pytest.raises(InputError, match=r"^DIBCO11-sample/DIBCO11/HW1_GT\.tiff: ") as info:
        fetch_dibco(2011, tmp_path / "out", urls={2011: f"{base}/DIBCO11-sample.zip"}, progress=False)
    assert ".tmp" not in str(info.value)  # not the temporary work folder


def test_user_agent_carries_the_version(server, tmp_path):
    from binkit._version import __version__

    base, served, handler = server
    _serve(served, "DIBCO11-sample.zip", dibco11_zip())
    with pytest.warns(TrustOnFirstUseWarning):
        fetch_dibco(2011, tmp_path / "out", urls={2011: f"{base}/DIBCO11-sample.zip"}, progress=False)
    assert handler.agents == [f"binkit/{__version__} (fetch_dibco)"]


def test_fetch_imports_nothing_from_the_package_root():
    """binkit.datasets.* reads the version from binkit._version, never `from binkit import ...`."""
    import ast

    import binkit.datasets

    package = Path(binkit.datasets.__file__).parent
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parents[1]).with_suffix("").parts)  # binkit, datasets, ...
        if path.name == "__init__.py":
            parts = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = parts[: len(parts) - node.level + (path.name == "__init__.py")] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                assert target != "binkit", f"{path.name}:{node.lineno} imports from the package root"
            elif isinstance(node, ast.Import):
                assert all(a.name != "binkit" for a in node.names), f"{path.name}:{node.lineno}"


def test_dest_defaults_to_the_folder_load_dibco_reads(server, tmp_path, monkeypatch):
    from binkit.datasets import load_dibco, locations

    base, served, _ = server
    _serve(served, "DIBCO11-sample.zip", dibco11_zip())
    urls = {2011: f"{base}/DIBCO11-sample.zip"}
    monkeypatch.setattr(locations, "checkout_root", lambda: None)  # as from a plain pip install
    monkeypatch.delenv("BINKIT_DIBCO_ROOT", raising=False)
    monkeypatch.setenv("BINKIT_DATA_HOME", str(tmp_path / "home"))
    with pytest.warns(TrustOnFirstUseWarning):
        report = fetch_dibco(2011, urls=urls, progress=False)
    assert report.pairs[0][0] == tmp_path / "home" / "dibco" / "2011" / "images" / "2011_H01.png"
    assert [s.name for s in load_dibco()] == ["2011_H01", "2011_P02"]

    # with BINKIT_DIBCO_ROOT set, that folder is read first, so fetch writes there
    monkeypatch.setenv("BINKIT_DIBCO_ROOT", str(tmp_path / "mine"))
    with pytest.warns(TrustOnFirstUseWarning):
        report = fetch_dibco(2011, urls=urls, progress=False)
    assert report.lock_file == tmp_path / "mine" / "dibco-lock.json"
    assert load_dibco()[0].image_path == tmp_path / "mine" / "2011" / "images" / "2011_H01.png"
