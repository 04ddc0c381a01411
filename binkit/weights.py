"""The weights store: every trained model binkit ships, of every model family.

A *family* is a kind of model (``"gridlstm"``, ``"hybrid"``); a *weight set*
is one trained model of a family, known by a name (``"f4-sf2-dyn"``).  Every
weight set is three files in its family's folder inside the package
(``binkit/<family>/weights/``):

``<name>.pt``
    ``{"config": ..., "state_dict": ...}``: the model's configuration and its
    parameters, stored as float16 to keep the package small; they are loaded
    as float32.  The scores in the provenance are measured with exactly these
    rounded weights.
``<name>.json``
    the provenance (:func:`provenance`): the training command, git commit, the
    data (sha256 of every page used), the seed, the epochs reached, wall time,
    hardware, the validation history and the test scores.
``<name>.results.csv``
    per-image test scores of these weights and, measured in the same run, of
    the baselines, in :mod:`binkit.results`' format.

Only weights written by binkit's own training and export commands
(``binkit train ...``, then ``binkit export-weights RUN --name NAME``) are
shipped.  This module knows where the files are and reads them without
importing torch (listing, provenance, results); only :func:`load` imports it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ._errors import InputError, first_line
from .io import atomic_write, read_json, read_torch_file, write_text  # read_torch_file: binkit's one torch.load, kept here by name

__all__ = [
    "FAMILIES",
    "Family",
    "available",
    "data_fingerprint",
    "family",
    "family_functions",
    "from_checkpoint",
    "git_commit",
    "info",
    "load",
    "provenance",
    "read_torch_file",
    "results",
    "save",
    "weights_path",
    "write_record",
]

_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Family:
    """One kind of model and where its weight sets live.

    Attributes
    ----------
    name : str
        ``"gridlstm"`` or ``"hybrid"``.
    title : str
        How messages name it (``"Grid LSTM"``).
    folder : Path
        The package's folder of this family's weight sets.
    default : str
        The weight set used when none is named.
    builder : str
        ``"module:function"`` that turns a stored ``config`` dict into an
        untrained model; imported only when weights are loaded (it needs torch).
    """

    name: str
    title: str
    folder: Path
    default: str
    builder: str

    def build(self, config: dict, source=None):
        """An untrained model of this family from a stored ``config``.

        Parameters
        ----------
        config : dict
        source : path, optional
            The file ``config`` was read from: a configuration the family's
            builder refuses (``units_per_pixel: 0``, an unknown key) is then an
            InputError that names it.
        """
        if not isinstance(config, dict):
            raise InputError(f"{source or 'config'}: the model configuration is not a mapping")
        module, function = self.builder.split(":")
        build = getattr(importlib.import_module(module), function)
        try:
            return build(config)
        except (InputError, TypeError, ValueError, ZeroDivisionError) as exc:
            where = f"{source}: " if source is not None else ""
            raise InputError(f"{where}not a {self.title} model configuration binkit can build "
                             f"({first_line(exc)})") from None


FAMILIES = {
    "gridlstm": Family("gridlstm", "Grid LSTM", _PACKAGE / "gridlstm" / "weights", "general",
                       "binkit.gridlstm.model:model_from_config"),
    "hybrid": Family("hybrid", "hybrid", _PACKAGE / "hybrid" / "weights", "hybrid",
                     "binkit.hybrid.model:model_from_config"),
}


def family(name: str) -> Family:
    """The :class:`Family` called ``name``; InputError for an unknown one."""
    if name not in FAMILIES:
        raise InputError(f"unknown model family {name!r}; binkit has {', '.join(FAMILIES)}")
    return FAMILIES[name]


def available(family_name: str) -> list[str]:
    """Names of the weight sets the package ships for a family, sorted (``["f4-sf2-dyn", "general", "general-no2016"]``)."""
    return sorted(p.stem for p in family(family_name).folder.glob("*.pt"))


def weights_path(family_name: str, weights=None) -> Path:
    """The ``.pt`` file of a weight set.

    Parameters
    ----------
    family_name : str
    weights : str or path, optional
        A shipped name (default: the family's default), or the path of a
        ``.pt`` file written by :func:`save` elsewhere (e.g. by
        ``binkit export-weights --dest``) or of a training checkpoint
        (``best.pt``, ``latest.pt`` of ``binkit train``), which :func:`load`
        reads too.

    Raises
    ------
    binkit.InputError
        No such shipped name or file; the message lists the shipped names.
    """
    fam = family(family_name)
    weights = fam.default if weights is None else weights
    text = os.fspath(weights) if isinstance(weights, (str, os.PathLike)) else None
    if text is None:
        raise InputError(f"weights must be a name or a .pt path, got {weights!r}")
    if text.endswith(".pt") or os.sep in text or "/" in text:
        path = Path(text)
        if not path.is_file():
            raise InputError(f"{path}: no such {fam.title} weights file")
        return path
    path = fam.folder / f"{text}.pt"
    if not path.is_file():
        raise InputError(f"no shipped {fam.title} weights named {text!r} "
                         f"(available: {', '.join(available(family_name)) or 'none'})")
    return path


def family_functions(family_name: str) -> tuple:
    """``available``, ``info``, ``results`` and ``load`` bound to one family.

    What ``binkit.<family>.weights`` offers as ``available_pretrained``,
    ``pretrained_info``, ``pretrained_results`` and ``load_pretrained``.
    """
    family(family_name)
    return tuple(partial(f, family_name) for f in (available, info, results, load))


def _sidecar(family_name: str, weights, suffix: str) -> Path:
    pt = weights_path(family_name, weights)
    path = pt.with_name(pt.stem + suffix)
    if not path.is_file():
        raise InputError(f"{path}: the weights {pt.stem!r} have no {suffix} file beside them")
    return path


def info(family_name: str, weights=None) -> dict:
    """The provenance record of a weight set (its ``.json``); InputError if it is not a JSON object."""
    return read_json(_sidecar(family_name, weights, ".json"), "provenance record")


def results(family_name: str, weights=None) -> list[dict]:
    """The per-image test results stored beside a weight set, in :mod:`binkit.results`' format."""
    from .results import read_results_csv

    return read_results_csv(_sidecar(family_name, weights, ".results.csv"))


def load(family_name: str, weights=None, device=None):
    """Load a weight set as a model in eval mode, float32, on ``device`` (default: CPU).

    Parameters
    ----------
    family_name : str
        ``"gridlstm"`` or ``"hybrid"``.
    weights : str or path, optional
        See :func:`weights_path`.
    device : str or torch.device, optional

    Returns
    -------
    torch.nn.Module
    """
    import torch

    fam = family(family_name)
    path = weights_path(family_name, weights)
    what = f"not a binkit {fam.title} weights file or training checkpoint"
    blob = read_torch_file(path, what=what)
    if "state_dict" not in blob and "task" in blob:  # a training checkpoint (best.pt, latest.pt)
        from .train import check_checkpoint

        return _checkpoint_model(check_checkpoint(blob, path), path, family_name).to(device or "cpu")
    if not isinstance(blob.get("state_dict"), dict) or "config" not in blob:
        raise InputError(f"{path}: {what} (it holds {', '.join(map(str, blob)) or 'nothing'})")
    model = fam.build(blob["config"], path)
    _load_state(model, blob["state_dict"], path, what)
    return model.to(device or "cpu").eval()


def _load_state(model, state_dict: dict, path, what: str) -> None:
    """``model.load_state_dict`` (float16 stored weights as float32); InputError if they do not fit the model."""
    try:
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state_dict.items()})
    except (RuntimeError, AttributeError, TypeError, KeyError) as exc:  # missing, extra or misshapen tensors
        raise InputError(f"{path}: {what} ({first_line(exc)})") from None


def from_checkpoint(path, family_name: str | None = None):
    """Rebuild the model of a training checkpoint (``best.pt`` or ``latest.pt`` of :func:`binkit.train.fit`).

    Parameters
    ----------
    path : path
    family_name : str, optional
        Refuse a checkpoint of another family (default: take the checkpoint's own).

    Returns
    -------
    torch.nn.Module
        In eval mode, on the CPU.
    """
    from .train import load_checkpoint

    return _checkpoint_model(load_checkpoint(path), path, family_name)


def _checkpoint_model(checkpoint: dict, path, family_name: str | None):
    """The model of a checked checkpoint (:func:`binkit.train.check_checkpoint`), in eval mode."""
    found = checkpoint["task"].get("model")
    if found not in FAMILIES or (family_name is not None and found != family_name):
        want = family(family_name).title if family_name else "binkit model"
        raise InputError(f"{path}: a checkpoint of {found!r}, not a {want} checkpoint")
    fam = FAMILIES[found]
    model = fam.build(checkpoint["task"].get("config"), path)
    _load_state(model, checkpoint["model"], path, f"not a {fam.title} checkpoint binkit can load")
    return model.eval()


def write_record(path, record: dict) -> Path:
    """Write a provenance record as indented JSON, atomically."""
    path = Path(path)
    text = json.dumps(record, indent=2, default=str) + "\n"
    write_text(path, text)
    return path


def save(family_name: str, name: str, config: dict, state_dict: dict, record: dict, dest=None) -> Path:
    """Store a model as a weight set: float16 ``<name>.pt`` and its ``<name>.json`` provenance.

    Parameters
    ----------
    family_name, name : str
    config : dict
        What the family's builder needs to rebuild the model.
    state_dict : dict of str to Tensor
    record : dict
        The provenance (see :func:`provenance`); ``name`` and ``family`` are added.
    dest : path, optional
        Folder (default: the family's folder inside the package).

    Returns
    -------
    pathlib.Path
        The ``.pt`` file.
    """
    import torch

    fam = family(family_name)
    dest = Path(dest) if dest is not None else fam.folder
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{dest}: cannot create the weights folder ({exc.strerror or exc})") from None
    blob = {"config": config,
            "state_dict": {k: (v.half() if v.is_floating_point() else v) for k, v in state_dict.items()}}
    pt = dest / f"{name}.pt"
    atomic_write(pt, lambda fh: torch.save(blob, fh))
    write_record(dest / f"{name}.json", {"name": name, "family": family_name, **record})
    return pt


def git_commit() -> str | None:
    """The commit of the checkout binkit runs from, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=_PACKAGE.parent)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def data_fingerprint(root, names) -> dict:
    """sha256 of the DIBCO MANIFEST.tsv (if any) and of each used page's image and GT files.

    Parameters
    ----------
    root : path
        DIBCO root (``<root>/<year>/images/<name>.png``).
    names : iterable of str
        binkit page names (``"2016_H01"``).
    """
    root = Path(root)
    out = {}
    manifest = root / "MANIFEST.tsv"
    if manifest.is_file():
        out["MANIFEST.tsv"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    pages = {}
    for name in names:
        year = str(name).split("_")[0]
        for sub in ("images", "gt"):
            f = root / year / sub / f"{name}.png"
            if f.is_file():
                pages[f"{year}/{sub}/{name}.png"] = hashlib.sha256(f.read_bytes()).hexdigest()
    out["pages"] = pages
    return out


def provenance(run_dir, checkpoint: dict, *, command: str | None = None, data_root=None, test_pages=(),
               test_years=()) -> dict:
    """The provenance record of a training run's checkpoint: the one writer for every family.

    Parameters
    ----------
    run_dir : path
        The run folder (its ``log.json`` holds the command, configuration,
        hardware and history).
    checkpoint : dict
        The checkpoint as read by :func:`binkit.train.load_checkpoint`.
    command : str, optional
        The training command, if the log does not record it.
    data_root : path, optional
        DIBCO root, to fingerprint the training, validation and test pages.
    test_pages : sequence of str
        Names of the test pages.
    test_years : sequence of int

    Returns
    -------
    dict
        command, git_commit, task, seed, train_config, epochs_reached,
        epochs_planned, epoch_of_checkpoint, best_epoch, best_val_error,
        train_wall_seconds, history, hardware, torch, data, test_years,
        evaluated_on.
    """
    import torch

    log = read_json(Path(run_dir) / "log.json", "run's log")
    history = log.get("history", [])
    task = checkpoint.get("task", {})
    record = {
        "command": command or log.get("command"),
        "git_commit": git_commit(),
        "task": task,
        "seed": log.get("config", {}).get("seed"),
        "train_config": log.get("config"),
        "epochs_reached": len(history),
        "epochs_planned": log.get("config", {}).get("epochs"),
        "epoch_of_checkpoint": checkpoint.get("epoch"),
        "best_epoch": checkpoint.get("best_epoch"),
        "best_val_error": checkpoint.get("best_val_error"),
        "train_wall_seconds": round(sum(h.get("seconds", 0) for h in history), 1),
        "history": [{k: h.get(k) for k in ("epoch", "loss", "val_error", "seconds")} for h in history],
        "hardware": log.get("hardware"),
        "torch": log.get("torch"),
        "precision": log.get("precision"),
        "test_years": list(test_years),
        "evaluated_on": f"{platform.machine()} CPU, torch {torch.__version__}",
    }
    if data_root is not None:
        record["data"] = data_fingerprint(data_root, list(task.get("train", [])) + list(task.get("val", []))
                                          + list(test_pages))
    return record
