"""Conversion of unpacked DIBCO archives into binkit's layout.

The contests name their files in many ways (``HW1.png`` + ``HW1_GT.tiff``,
``1.bmp`` + ``1_gt.bmp``, GT in ``...-GT-...`` folders under the original's
name, ...).  :func:`classify` tells originals from ground truth and reads each
file's kind and id, :func:`pair` matches them, and :func:`convert_tree` writes::

    <staging>/images/<year>_<H|P><NN>.png   original, pixels unchanged
    <staging>/gt/<year>_<H|P><NN>.png       ground truth, 8-bit L, 0 = ink, 255 = page

Ground truth is read with :func:`binkit.io.read_gt`, so what counts as ink is
decided in one place for the whole kit.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..._errors import InputError
from ...io import read_gt
from .catalogue import DibcoYear
from .errors import DownloadError

__all__ = ["IMAGE_EXTS", "Entry", "classify", "convert_tree", "pair"]

#: File suffixes read as images inside an archive.
IMAGE_EXTS = frozenset({".bmp", ".tif", ".tiff", ".png", ".jpg", ".jpeg"})

# GT suffix at the end of a file stem: _gt, _GT, -GT, _estGT, " GT", estgt ...
_GT_SUFFIX = re.compile(r"^(?P<base>.*?)[\s_\-.]*(?:est)?[\s_\-.]*gt$", re.IGNORECASE)
# A folder or archive name token that marks ground truth: GT, gt, GTimages, estGT, groundtruth.
_GT_TOKEN = re.compile(r"^(?:est)?gts?(?:images?)?$|^groundtruths?$", re.IGNORECASE)
# An image id: optional HW/H/PR/P prefix, then a number.
_ID = re.compile(r"^(?P<prefix>hw|pr|h|p)?[\s_\-]*0*(?P<num>\d+)$", re.IGNORECASE)


@dataclass
class Entry:
    """A file of an unpacked archive, classified by :func:`classify`."""

    path: Path
    rel: str
    kind: str | None
    key: object  # int number, or lower-cased base name
    label: str  # id part of the output name without the kind


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^A-Za-z0-9]+", text) if t]


def _folder_hints(parts: Sequence[str]) -> tuple[bool, str | None]:
    is_gt = False
    kind = None
    for part in parts:
        low = part.lower()
        toks = _tokens(part)
        if any(_GT_TOKEN.match(t) for t in toks) or "ground_truth" in low or "groundtruth" in low:
            is_gt = True
        if "handwrit" in low or any(t.lower() == "hw" for t in toks):
            kind = "H"
        elif "print" in low or any(t.lower() == "pr" for t in toks):
            kind = "P"
    return is_gt, kind


def classify(path: Path, root: Path, default_kind: str | None) -> tuple[bool, Entry] | None:
    """Tell whether the file ``path`` (under ``root``) is an original or a ground truth, and its id.

    Parameters
    ----------
    path : pathlib.Path
        A file under ``root``.
    root : pathlib.Path
        The unpacked archives.
    default_kind : {"H", "P"} or None
        The year's kind when names do not say it (:attr:`DibcoYear.kind`).

    Returns
    -------
    (is_gt, Entry) or None
        None for files that are neither (not an image, hidden, skeleton GT).
    """
    rel_parts = path.relative_to(root).parts
    if any(p.startswith(".") or p == "__MACOSX" for p in rel_parts):
        return None
    if path.suffix.lower() not in IMAGE_EXTS:
        return None
    stem = path.stem
    if "skel" in stem.lower():  # skeleton ground truth (H-DIBCO 2010, 2014): not the GT
        return None
    folder_gt, folder_kind = _folder_hints(rel_parts[:-1])
    m = _GT_SUFFIX.match(stem)
    if m and m.group("base"):
        is_gt, base = True, m.group("base")
    else:
        is_gt, base = folder_gt, stem
    idm = _ID.match(base.strip())
    if idm:
        prefix = (idm.group("prefix") or "").upper()
        kind = {"HW": "H", "H": "H", "PR": "P", "P": "P"}.get(prefix) or folder_kind or default_kind
        num = int(idm.group("num"))
        key: object = num
        label = f"{num:02d}"
    else:
        kind = folder_kind or default_kind
        key = base.strip().lower()
        label = re.sub(r"[^A-Za-z0-9]+", "", base) or "img"
    return is_gt, Entry(path, "/".join(rel_parts), kind, key, label)


def pair(entries_img: list[Entry], entries_gt: list[Entry]) -> list[tuple[Entry, Entry, str | None]]:
    """Pair originals with ground truths by (kind, id); warn about what is left over.

    Returns
    -------
    list of (Entry, Entry, str or None)
        (original, ground truth, kind ``"H"``/``"P"`` or None).

    Raises
    ------
    binkit.InputError
        Two originals (or two ground truths) share a (kind, id).
    """
    def index(entries: list[Entry], what: str) -> dict[tuple, Entry]:
        out: dict[tuple, Entry] = {}
        for e in entries:
            k = (e.kind, e.key)
            if k in out:
                raise InputError(
                    f"{out[k].rel} and {e.rel}: two {what} files for the same image id; cannot pair them"
                )
            out[k] = e
        return out

    imgs = index(entries_img, "original")
    gts = index(entries_gt, "ground-truth")
    pairs = [(imgs.pop(k), gts.pop(k), k[0]) for k in sorted(set(imgs) & set(gts), key=str)]
    # Leftovers whose kind is known on one side only: pair by id when unambiguous.
    for k_img in sorted(imgs, key=str):
        candidates = [k for k in gts if k[1] == k_img[1] and (k[0] is None or k_img[0] is None)]
        same_id_imgs = [k for k in imgs if k[1] == k_img[1]]
        if len(candidates) == 1 and len(same_id_imgs) == 1:
            k_gt = candidates[0]
            pairs.append((imgs.pop(k_img), gts.pop(k_gt), k_img[0] or k_gt[0]))
    for e in imgs.values():
        warnings.warn(f"{e.rel}: no ground truth found for this image; skipped", stacklevel=5)
    for e in gts.values():
        warnings.warn(f"{e.rel}: no original image found for this ground truth; skipped", stacklevel=5)
    return pairs


def convert_tree(root: Path, staging: Path, src: DibcoYear) -> list[str]:
    """Pair and convert every image under ``root`` into ``staging``; return the names.

    Parameters
    ----------
    root : pathlib.Path
        The year's unpacked archives.
    staging : pathlib.Path
        A folder that does not exist yet; ``images/`` and ``gt/`` are written
        in it.
    src : DibcoYear
        The year (for the output names, its default kind and messages).

    Returns
    -------
    list of str
        The written names, ``<year>_<kind><id>``.
    """
    entries_img: list[Entry] = []
    entries_gt: list[Entry] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        got = classify(path, root, src.kind)
        if got is not None:
            (entries_gt if got[0] else entries_img).append(got[1])
    pairs = pair(entries_img, entries_gt)
    if not pairs:
        names = ", ".join(a.name for a in src.archives)
        raise DownloadError(f"no image / ground-truth pairs found in {names} for DIBCO {src.year}")

    (staging / "images").mkdir(parents=True)
    (staging / "gt").mkdir()
    written: list[str] = []
    for img_e, gt_e, kind in sorted(pairs, key=lambda t: ((t[2] or ""), str(t[0].key).zfill(8))):
        name = f"{src.year}_{kind or ''}{img_e.label}"
        if name in written:
            raise InputError(f"{img_e.rel}: gives the output name {name} twice; cannot convert")
        image = _image_for_png(_open(img_e))
        ink = _gt_ink(gt_e)
        if ink.shape != (image.height, image.width):
            raise InputError(
                f"{gt_e.rel}: ground truth is {ink.shape[1]}x{ink.shape[0]} but image {img_e.rel} "
                f"is {image.width}x{image.height}"
            )
        frac = float(ink.mean())
        if frac > 0.5:
            warnings.warn(
                f"{gt_e.rel}: {frac:.0%} of pixels are ink (0); this ground truth may be inverted",
                stacklevel=4,
            )
        image.save(staging / "images" / f"{name}.png", format="PNG")
        gt = np.where(ink, 0, 255).astype(np.uint8)
        Image.fromarray(gt, mode="L").save(staging / "gt" / f"{name}.png", format="PNG")
        written.append(name)
    return written


def _open(entry: Entry) -> Image.Image:
    try:
        with Image.open(entry.path) as im:
            im.seek(0)  # first page of a multi-page TIFF
            im.load()
            return im.copy()  # detached from the file, which is closed here
    except Exception as exc:  # PIL raises many types for bad files
        raise InputError(f"{entry.rel}: cannot read as an image ({exc})") from None


def _image_for_png(im: Image.Image) -> Image.Image:
    """Return ``im`` as 8-bit L or RGB without changing 8-bit L/RGB pixels."""
    mode = im.mode
    if mode in ("L", "RGB"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode in ("P", "PA"):
        rgb = np.asarray(im.convert("RGB"))
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
            return Image.fromarray(np.ascontiguousarray(rgb[..., 0]), mode="L")
        return Image.fromarray(rgb, mode="RGB")
    if mode == "LA":
        return im.getchannel(0)
    if mode.startswith("I") or mode == "F":
        a = np.asarray(im).astype(np.float64)
        if mode == "F" and a.size and a.min() >= 0 and a.max() <= 1.0:
            a = a * 255.0
        elif a.size and (a.min() < 0 or a.max() > 255):
            a = a * (255.0 / 65535.0)  # 16-bit range to 8-bit
        return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), mode="L")
    return im.convert("RGB")  # RGBA, RGBX, CMYK, YCbCr, ...: drop alpha / convert colour space


def _gt_ink(entry: Entry) -> np.ndarray:
    """Ink mask of a ground-truth file, by :func:`binkit.io.read_gt`'s rule.

    The same rule as everywhere else in binkit (1-bit: black is ink; grey:
    exactly 0 is ink; colour: luma rounded to 8 bits, then exactly 0), so a
    fetched GT reads the same before and after conversion.  A mostly-ink GT is
    allowed here (the caller warns); messages and warnings name the file by
    its path inside the archive rather than the temporary work folder.
    """
    where = str(entry.path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ink = read_gt(entry.path, allow_majority_ink=True)
        except InputError as exc:
            raise InputError(str(exc).replace(where, entry.rel)) from None
    for w in caught:
        warnings.warn(str(w.message).replace(where, entry.rel), w.category, stacklevel=5)
    return ink
