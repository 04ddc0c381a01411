"""One Grid LSTM training run from start to results: what ``binkit train gridlstm`` does.

1. load the training, validation and test pages (DIBCO years, or synthetic pages);
2. :func:`binkit.train.fit` with the paper's protocol, checkpointing into ``out``;
3. binarize every test page with the best-by-validation checkpoint and score it
   with :func:`binkit.metrics.evaluate`; write ``out/results.csv`` (per image)
   and ``out/summary.json``.

Running the same command again resumes an unfinished run and skips a finished one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._checks import check_int
from .._errors import InputError
from ..io import atomic_write, read_json
from ..metrics import MEASURES
from ..train import RUN_FILES, TrainConfig, finished_run, fit, prepare_run_folder
from .configs import config_name
from .model import GridLSTMBinarizer, GridLSTMConfig
from .training import GridLSTMTask

__all__ = ["RunSpec", "load_pages", "run", "evaluate_pages", "model_from_checkpoint"]



@dataclass
class RunSpec:
    """Everything that defines a training run (the CLI's arguments)."""

    footprint: int = 4
    scale: int = 2
    units_per_pixel: int | None = None
    loss: str = "dynamic"
    reference_layout: bool = False
    train: list = field(default_factory=lambda: [2009, 2010, 2012, 2013, 2014])
    val: list = field(default_factory=lambda: [2011])
    test: list = field(default_factory=lambda: [2016])
    data: str | None = None  # DIBCO root; None = binkit.datasets.dibco_root's search
    synthetic: bool = False  # use synthetic pages instead of DIBCO (CPU demos, tests)
    synthetic_size: tuple = (256, 384)
    # The general recipe's additions (binkit's departures from the paper; all off by default):
    augment: int = 0  # altered copies of every training page (binkit.datasets.augment)
    mix_synthetic: int = 0  # synthetic hard pages added to the training pages, seeds MIX_SEED + k
    mixed_share: float | None = None  # share of training blocks from them (None: by their block count)
    val_synthetic: int = 0  # synthetic hard pages added to the validation pages, seeds VAL_SEED + k
    mix_size: tuple = (512, 768)
    train_cfg: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        # checked when the command is read, before any page is loaded or any folder made
        for name in ("augment", "mix_synthetic", "val_synthetic"):
            setattr(self, name, check_int(name, getattr(self, name), minimum=0))
        if not isinstance(self.train_cfg, TrainConfig):
            raise InputError(f"train_cfg must be a TrainConfig, got {type(self.train_cfg).__name__}")
        self.model_config  # footprint, scale and units_per_pixel (GridLSTMConfig checks them)

    def record(self) -> dict:
        """What defines the run besides its :class:`TrainConfig`, as JSON (stored in ``summary.json``).

        ``data`` (where the DIBCO pages are read from) is left out: the same
        pages may be found through another path.
        """
        fields = asdict(self)
        fields.pop("train_cfg")
        fields.pop("data")
        fields["units_per_pixel"] = self.model_config.units_per_pixel
        return json.loads(json.dumps(fields, default=str))

    @property
    def config_name(self) -> str:
        """The paper's name of this configuration, e.g. ``"f4-sf2-Ldyn"``."""
        return config_name(self.footprint, self.scale, self.loss, self.reference_layout)

    @property
    def model_config(self) -> GridLSTMConfig:
        return GridLSTMConfig(footprint=self.footprint, scale=self.scale, units_per_pixel=self.units_per_pixel)


#: First seeds of the synthetic pages a run mixes into training and validation:
#: far from the small seeds tests and demos use, and from each other.
MIX_SEED, VAL_SEED = 100_000, 200_000


def _mixed_pages(first_seed: int, count: int, size) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Synthetic *hard* pages (scanner borders, gutters, facing pages, ...: :func:`binkit.datasets.hard_page`)."""
    from ..datasets import hard_page

    pages = []
    for seed in range(first_seed, first_seed + count):
        p = hard_page(seed, size=tuple(size))
        pages.append((f"hard_{seed}", p.image, p.gt))
    return pages


def load_pages(spec: RunSpec, split: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, image, gt) of a split: DIBCO years, or synthetic seeds when ``spec.synthetic``."""
    from ..datasets import load_split

    ids = {"train": spec.train, "val": spec.val, "test": spec.test}[split]
    return load_split(ids, spec.data, synthetic=spec.synthetic, synthetic_size=spec.synthetic_size)


def model_from_checkpoint(path) -> GridLSTMBinarizer:
    """Rebuild a :class:`GridLSTMBinarizer` from a checkpoint written by :func:`binkit.train.fit`."""
    from ..weights import from_checkpoint

    return from_checkpoint(path, "gridlstm")


def evaluate_pages(model: GridLSTMBinarizer, pages, device=None, *, config: str = "", dataset: str = "") -> list[dict]:
    """Binarize and score each (name, image, gt).

    Returns one row per page in :mod:`binkit.results`' format (``config``,
    ``criterium`` = ``"error"``, the checkpoint chosen by validation error as
    in the paper, ``dataset``, ``image``, the metrics) plus ``seconds``, the
    binarization time.
    """
    from ..metrics import evaluate
    from .inference import binarize

    rows = []
    for name, image, gt in pages:
        t = time.perf_counter()
        ink = binarize(image, model, device=device)
        seconds = time.perf_counter() - t
        scores = evaluate(ink, gt)
        rows.append({"config": config, "criterium": "error", "dataset": dataset, "image": name,
                     "seconds": round(seconds, 3), **{k: float(scores[k]) for k in MEASURES}})
    return rows


def _dataset_name(spec: RunSpec) -> str:
    from ..results import dataset_name

    if spec.synthetic:
        return "synthetic " + " ".join(str(int(s)) for s in spec.test)
    names = [dataset_name(int(y)) for y in spec.test]
    return " + ".join(names)


def run(spec: RunSpec, out) -> dict:
    """Train (or resume, or skip if finished), then evaluate on the test pages.

    Returns
    -------
    dict
        The summary written to ``out/summary.json``: epochs, best epoch,
        validation error, mean test metrics, wall time.
    """
    cfg = spec.train_cfg
    if int(os.environ.get("RANK", "0")) == 0:  # a bad --out is one line, before any page is loaded
        out = prepare_run_folder(out, RUN_FILES + _RESULT_FILES)
    out = Path(out)
    summary_path = out / "summary.json"
    if summary_path.is_file():
        done = _finished_run(summary_path, spec)
        if done is not None:
            return done  # finished earlier: skip
    t0 = time.perf_counter()
    import torch

    torch.manual_seed(cfg.seed)  # the model's initial weights come from the run's seed (a resume loads them)
    task = GridLSTMTask(
        spec.model_config,
        spec.loss,
        load_pages(spec, "train"),
        load_pages(spec, "val") + _mixed_pages(VAL_SEED, spec.val_synthetic, spec.mix_size),
        reference_layout=spec.reference_layout,
        cache_dir=out / "cache",
        augment=spec.augment,
        augment_seed=cfg.seed,
        mixed=_mixed_pages(MIX_SEED, spec.mix_synthetic, spec.mix_size),
        mixed_share=spec.mixed_share,
    )
    result = fit(task, cfg, out)
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 evaluates and writes
        return {}
    summary = {
        "epochs_done": result.epochs_done,
        "best_epoch": result.best_epoch,
        "best_val_error": result.best_val_error,
        "train_seconds": round(time.perf_counter() - t0, 1),
        "task": task.describe(),
        "run": spec.record(),
        "config": asdict(cfg),
    }
    if spec.test:
        model = model_from_checkpoint(out / "best.pt")
        rows = evaluate_pages(model, load_pages(spec, "test"), cfg.device,
                              config=spec.config_name, dataset=_dataset_name(spec))
        _write_rows(out, rows)
        summary["test"] = {k: float(np.mean([r[k] for r in rows])) for k in MEASURES if k not in ("nrm", "mpm")}
        summary["test_images"] = len(rows)
    text = json.dumps(summary, indent=2, default=str)
    atomic_write(summary_path, lambda fh: fh.write(text.encode()))
    return summary


#: The files a run writes after training (through temporary files, like the checkpoints).
_RESULT_FILES = ("summary.json", "results.csv", "times.csv")


def _finished_run(summary_path: Path, spec: RunSpec) -> dict | None:
    """:func:`binkit.train.finished_run` for a Grid LSTM run (older summaries: the log's configuration)."""
    return finished_run(summary_path, spec.record(), spec.train_cfg, legacy=_legacy_run)


def _legacy_run(done: dict, out: Path) -> tuple[dict, dict | None]:
    """(run, config) of a summary written before summaries recorded the run's settings."""
    log = read_json(out / "log.json", "run's log") if (out / "log.json").is_file() else {}
    task = done.get("task") if isinstance(done.get("task"), dict) else {}
    stored_run = {"loss": task.get("loss"), "reference_layout": task.get("reference_layout"),
                  **{k: v for k, v in (task.get("config") or {}).items()
                     if k in ("footprint", "scale", "units_per_pixel")}}
    return stored_run, log.get("config")


def _write_rows(out: Path, rows: list[dict]) -> None:
    """``results.csv`` (the paper's shape, columns labelled correctly) and ``times.csv`` (name, seconds)."""
    import csv
    import io

    from ..results import write_results_csv

    write_results_csv(out / "results.csv", rows)
    times = io.StringIO()
    writer = csv.writer(times, lineterminator="\n")
    writer.writerow(["image", "seconds"])
    writer.writerows([r["image"], r["seconds"]] for r in rows)
    atomic_write(out / "times.csv", lambda fh: fh.write(times.getvalue().encode()))
