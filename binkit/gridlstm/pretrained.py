"""Grid LSTM weights that ship inside binkit, with their provenance.

Each shipped model is two files in ``binkit/gridlstm/weights/``:

``<name>.pt``
    the model's configuration and its parameters, stored as float16 to keep
    the package small (1.7 M parameters = 3.4 MB for f4); they are loaded as
    float32.  The test scores in the provenance are measured with exactly these
    rounded weights.
``<name>.json``
    the provenance: the training command, git commit, the data (manifest
    hashes), the seed, the epochs reached, wall time, hardware, validation error
    and the test scores.
``<name>.results.csv``
    the per-image test scores of these weights and, measured in the same run,
    of Otsu and Sauvola, in :mod:`binkit.results`' format (the paper's CSV
    shape); :func:`pretrained_results` reads it.

Only weights written by binkit's own training command
(``binkit train gridlstm ...``, then :func:`export_pretrained`) are shipped.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import torch

from .._errors import InputError
from .model import GridLSTMBinarizer, GridLSTMConfig

__all__ = [
    "WEIGHTS_DIR",
    "available_pretrained",
    "load_pretrained",
    "pretrained_info",
    "pretrained_results",
    "export_pretrained",
    "export_run",
]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def available_pretrained() -> list[str]:
    """Names of the shipped models (e.g. ``["f4-sf2-dyn"]``)."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.pt"))


def pretrained_info(name: str = "f4-sf2-dyn") -> dict:
    """The provenance record of a shipped model."""
    path = WEIGHTS_DIR / f"{name}.json"
    if not path.is_file():
        raise InputError(f"no shipped Grid LSTM weights named {name!r} (available: {available_pretrained()})")
    return json.loads(path.read_text())


def pretrained_results(name: str = "f4-sf2-dyn") -> list[dict]:
    """Per-image test results of a shipped model, with Otsu and Sauvola from the same run.

    Rows in :mod:`binkit.results`' format; ``config`` is the paper's name of the
    configuration (e.g. ``"f4-sf2-Ldyn"``), ``"otsu"`` or ``"sauvola"``.
    """
    from ..results import read_results_csv

    path = WEIGHTS_DIR / f"{name}.results.csv"
    if not path.is_file():
        raise InputError(f"no results for shipped Grid LSTM weights named {name!r} (available: {available_pretrained()})")
    return read_results_csv(path)


def load_pretrained(name: str = "f4-sf2-dyn", device=None, folder=None) -> GridLSTMBinarizer:
    """Load a shipped Grid LSTM binarizer, ready for :func:`binkit.gridlstm.inference.binarize`.

    Parameters
    ----------
    name : str
        A name from :func:`available_pretrained`.
    device : str or torch.device, optional
        Where to put the model (default: CPU; ``binarize`` moves it as needed).
    folder : path, optional
        Read weights exported elsewhere (default: the package's weights folder).

    Returns
    -------
    GridLSTMBinarizer
        In eval mode, float32.
    """
    path = Path(folder or WEIGHTS_DIR) / f"{name}.pt"
    if not path.is_file():
        raise InputError(f"no shipped Grid LSTM weights named {name!r} (available: {available_pretrained()})")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = GridLSTMBinarizer(GridLSTMConfig(**blob["config"]))
    model.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    return model.to(device or "cpu").eval()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def data_fingerprint(root, names) -> dict:
    """sha256 of the DIBCO MANIFEST.tsv (if any) and of each used page's image and GT files."""
    root = Path(root)
    out = {}
    manifest = root / "MANIFEST.tsv"
    if manifest.is_file():
        out["MANIFEST.tsv"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    pages = {}
    for name in names:
        year = name.split("_")[0]
        for sub in ("images", "gt"):
            f = root / year / sub / f"{name}.png"
            if f.is_file():
                pages[f"{year}/{sub}/{name}.png"] = hashlib.sha256(f.read_bytes()).hexdigest()
    out["pages"] = pages
    return out


def export_pretrained(checkpoint, name: str, provenance: dict, dest=None) -> Path:
    """Write a training checkpoint's model as shipped weights plus provenance.

    Parameters
    ----------
    checkpoint : path
        ``best.pt`` written by :func:`binkit.train.fit` for a Grid LSTM task.
    name : str
        File stem, e.g. ``"f4-sf2-dyn"``.
    provenance : dict
        Command, data, seed, epochs, wall time, hardware, scores...; the
        git commit and the checkpoint's task description are added.
    dest : path, optional
        Folder (default: the package's weights folder).

    Returns
    -------
    pathlib.Path
        The ``.pt`` file.
    """
    from ..train import load_checkpoint

    ck = load_checkpoint(checkpoint)
    task = ck.get("task", {})
    if task.get("model") != "gridlstm":
        raise InputError(f"{checkpoint}: not a Grid LSTM checkpoint")
    dest = Path(dest) if dest is not None else WEIGHTS_DIR
    dest.mkdir(parents=True, exist_ok=True)
    blob = {"config": task["config"], "state_dict": {k: v.half() for k, v in ck["model"].items()}}
    pt = dest / f"{name}.pt"
    torch.save(blob, pt)
    record = {
        "name": name,
        "git_commit": _git_commit(),
        "task": task,
        "epoch_of_checkpoint": ck.get("epoch"),
        "best_epoch": ck.get("best_epoch"),
        "best_val_error": ck.get("best_val_error"),
        **provenance,
    }
    (dest / f"{name}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    return pt


def export_run(run_dir, name: str, *, data=None, test_years=(2016,), command: str | None = None, dest=None) -> dict:
    """Ship the best checkpoint of a training run, scored on the test pages.

    Writes the weights with :func:`export_pretrained`, reloads them (so the
    scores are those of the rounded, shipped weights), binarizes every test
    page with them and, in the same run, with Otsu and Sauvola, and stores the
    mean scores of all three, per-page scores, and the timing in the provenance.

    Parameters
    ----------
    run_dir : path
        Folder of ``binkit train gridlstm`` (``best.pt``, ``log.json``).
    name : str
        Name of the shipped model, e.g. ``"f4-sf2-dyn"``.
    data : path, optional
        DIBCO root (default ``BINKIT_DIBCO_ROOT``).
    test_years : sequence of int
    command : str, optional
        The training command, if ``log.json`` does not record it.
    dest : path, optional
        Weights folder (default: the package's).

    Returns
    -------
    dict
        The provenance record.
    """
    import platform
    import time as _time

    import numpy as np

    from ..classical import otsu, sauvola
    from ..datasets import dibco_root, load_dibco
    from ..metrics import evaluate
    from ..results import DATASET_NAMES, write_results_csv
    from .experiments import config_name
    from .inference import binarize

    run_dir = Path(run_dir)
    log = json.loads((run_dir / "log.json").read_text())
    history = log.get("history", [])
    pages = load_dibco(data, list(test_years))
    root = dibco_root(data)
    task = log.get("task", {})
    provenance = {
        "command": command or log.get("command"),
        "seed": log.get("config", {}).get("seed"),
        "train_config": log.get("config"),
        "epochs_reached": len(history),
        "epochs_planned": log.get("config", {}).get("epochs"),
        "train_wall_seconds": round(sum(h.get("seconds", 0) for h in history), 1),
        "history": [{k: h.get(k) for k in ("epoch", "loss", "val_error", "seconds")} for h in history],
        "hardware": log.get("hardware"),
        "torch": log.get("torch"),
        "data": data_fingerprint(root, task.get("train", []) + task.get("val", []) + [p.name for p in pages]),
        "test_years": list(test_years),
    }
    pt = export_pretrained(run_dir / "best.pt", name, provenance, dest)
    model = load_pretrained(name, folder=pt.parent)
    keys = ("fm", "fps", "psnr", "drd", "nrm", "mpm", "recall", "precision")
    per_page, sums = [], {m: {k: [] for k in keys} for m in ("gridlstm", "otsu", "sauvola")}
    cfg = task.get("config", {})
    label = {"gridlstm": config_name(cfg.get("footprint", 4), cfg.get("scale", 2), task.get("loss", "dynamic"),
                                     task.get("reference_layout", False)),
             "otsu": "otsu", "sauvola": "sauvola"}
    csv_rows = []
    seconds = 0.0
    for p in pages:
        t = _time.perf_counter()
        ink = binarize(p.image, model)
        seconds += _time.perf_counter() - t
        row = {"image": p.name}
        for method, pred in (("gridlstm", ink), ("otsu", otsu(p.image)), ("sauvola", sauvola(p.image))):
            scores = evaluate(pred, p.gt)
            for k in keys:
                sums[method][k].append(float(scores[k]))
            row[method] = {k: round(float(scores[k]), 4) for k in keys}
            csv_rows.append({"config": label[method], "criterium": "error" if method == "gridlstm" else "",
                             "dataset": DATASET_NAMES.get(f"dibco{p.year % 100:02d}", str(p.year)),
                             "image": p.name, **{k: float(v) for k, v in scores.items()}})
        per_page.append(row)
    write_results_csv(pt.parent / f"{name}.results.csv", csv_rows)
    megapixels = sum(p.image.size for p in pages) / 1e6
    record = json.loads((pt.parent / f"{name}.json").read_text())
    record["test_scores_mean"] = {
        m: {k: round(float(np.mean(v)), 4) for k, v in d.items()} for m, d in sums.items()
    }
    record["test_scores_per_page"] = per_page
    record["inference_seconds_per_mp"] = round(seconds / megapixels, 3)
    record["evaluated_on"] = f"{platform.machine()} CPU, torch {torch.__version__}"
    (pt.parent / f"{name}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    return record
