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
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._checks import check_int
from .._errors import InputError
from ..datasets.folds import DEFAULT_FOLD
from ..io import read_json, write_text
from ..metrics import MEASURES
from ..runs import MIX_SEED, VAL_SEED, faint_pages, hard_pages, run_training, spec_from_recipe
from ..train import TrainConfig
from .configs import RECIPES, config_name
from .model import GridLSTMBinarizer, GridLSTMConfig
from .training import GridLSTMTask, check_val_measure

__all__ = ["RunSpec", "load_pages", "validation_pages", "run", "evaluate_pages", "model_from_checkpoint"]


@dataclass
class RunSpec:
    """Everything that defines a training run (the CLI's arguments)."""

    footprint: int = 4
    scale: int = 2
    units_per_pixel: int | None = None
    loss: str = "dynamic"
    reference_layout: bool = False
    train: list = field(default_factory=lambda: list(DEFAULT_FOLD["train"]))
    val: list = field(default_factory=lambda: list(DEFAULT_FOLD["val"]))
    test: list = field(default_factory=lambda: list(DEFAULT_FOLD["test"]))
    data: str | None = None  # DIBCO root; None = binkit.datasets.dibco_root's search
    synthetic: bool = False  # use synthetic pages instead of DIBCO (CPU demos, tests)
    synthetic_size: tuple = (256, 384)
    # The general recipe's additions (binkit's departures from the paper; all off by default):
    augment: int = 0  # altered copies of every training page (binkit.datasets.augment)
    mix_synthetic: int = 0  # synthetic hard pages added to the training pages, seeds MIX_SEED + k
    mixed_share: float | None = None  # share of training blocks from them (None: by their block count)
    val_synthetic: int = 0  # synthetic hard pages added to the validation pages, seeds VAL_SEED + k
    mix_faint: int = 0  # synthetic faint-ink pages added to the mixed pool, seeds MIX_SEED + k
    val_faint: int = 0  # synthetic faint-ink pages added to the validation pages, seeds VAL_SEED + k
    mix_size: tuple = (512, 768)
    input_levels: str = "minmax"  # GridLSTMConfig.input_levels: how a page's grey levels become the input
    val_measure: str = "error"  # GridLSTMTask's validation measure, which picks best.pt: "error" (paper) or "fm"
    train_cfg: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        # checked when the command is read, before any page is loaded or any folder made
        for name in ("augment", "mix_synthetic", "val_synthetic", "mix_faint", "val_faint"):
            setattr(self, name, check_int(name, getattr(self, name), minimum=0))
        check_val_measure(self.val_measure)
        if not isinstance(self.train_cfg, TrainConfig):
            raise InputError(f"train_cfg must be a TrainConfig, got {type(self.train_cfg).__name__}")
        self.model_config  # footprint, scale, units_per_pixel, input_levels (GridLSTMConfig checks them)

    @classmethod
    def recipe(cls, name: str = "paper", *, train_options: dict | None = None, **overrides) -> "RunSpec":
        """The spec of a named recipe (:data:`binkit.gridlstm.configs.RECIPES`), with overrides.

        ``overrides`` are RunSpec fields; ``train_options`` are
        :class:`binkit.train.TrainConfig` fields, applied over the recipe's
        (its ``lr_decay``).  What ``binkit train gridlstm --recipe`` builds.
        """
        return spec_from_recipe(cls, RECIPES, name, train_options=train_options, overrides=overrides)

    def record(self) -> dict:
        """What defines the run besides its :class:`TrainConfig`, as JSON (stored in ``summary.json``).

        ``data`` (where the DIBCO pages are read from) is left out: the same
        pages may be found through another path.
        """
        fields = asdict(self)
        fields.pop("train_cfg")
        fields.pop("data")
        fields["units_per_pixel"] = self.model_config.units_per_pixel
        # added later: left out at their defaults, so that records of earlier runs stay equal to today's
        for name, default in (("mix_faint", 0), ("val_faint", 0), ("input_levels", "minmax"),
                              ("val_measure", "error")):
            if fields[name] == default:
                del fields[name]
        return json.loads(json.dumps(fields, default=str))

    @property
    def config_name(self) -> str:
        """The paper's name of this configuration, e.g. ``"f4-sf2-Ldyn"``."""
        return config_name(self.footprint, self.scale, self.loss, self.reference_layout)

    @property
    def model_config(self) -> GridLSTMConfig:
        return GridLSTMConfig(footprint=self.footprint, scale=self.scale, units_per_pixel=self.units_per_pixel,
                              input_levels=self.input_levels)


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


def validation_pages(spec: RunSpec) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, image, gt) of the run's validation pages: its ``val`` split, then its synthetic hard and faint ones."""
    return (load_pages(spec, "val") + hard_pages(VAL_SEED, spec.val_synthetic, spec.mix_size)
            + faint_pages(VAL_SEED, spec.val_faint, spec.mix_size))


def run(spec: RunSpec, out) -> dict:
    """Train (or resume, or skip if finished), then evaluate on the test pages (:func:`binkit.runs.run_training`).

    Returns
    -------
    dict
        The summary written to ``out/summary.json``: epochs, best epoch,
        validation error, mean test metrics, wall time (``{}`` on the ranks
        other than 0 under ``torchrun``).
    """
    cfg = spec.train_cfg

    def make_task(out: Path) -> GridLSTMTask:
        return GridLSTMTask(
            spec.model_config,
            spec.loss,
            load_pages(spec, "train"),
            validation_pages(spec),
            reference_layout=spec.reference_layout,
            cache_dir=out / "cache",
            augment=spec.augment,
            augment_seed=cfg.seed,
            mixed=hard_pages(MIX_SEED, spec.mix_synthetic, spec.mix_size)
            + faint_pages(MIX_SEED, spec.mix_faint, spec.mix_size),
            mixed_share=spec.mixed_share,
            val_measure=spec.val_measure,
        )

    def score(out: Path) -> dict:
        if not spec.test:
            return {}
        rows = evaluate_pages(model_from_checkpoint(out / "best.pt"), load_pages(spec, "test"), cfg.device,
                              config=spec.config_name, dataset=_dataset_name(spec))
        _write_rows(out, rows)
        return {"test": {k: float(np.mean([r[k] for r in rows])) for k in MEASURES if k not in ("nrm", "mpm")},
                "test_images": len(rows)}

    return run_training(out, record=spec.record(), cfg=cfg, make_task=make_task, score=score,
                        result_files=("results.csv", "times.csv"), legacy=_legacy_run)


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
    write_text(out / "times.csv", times.getvalue())
