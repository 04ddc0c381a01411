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

__all__ = ["WEIGHTS_DIR", "available_pretrained", "load_pretrained", "pretrained_info", "export_pretrained"]

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
