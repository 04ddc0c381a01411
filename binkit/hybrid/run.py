"""Training runs of the hybrid method: what ``binkit train hybrid`` does.

``binkit train hybrid --out runs/hybrid-paper-fold`` (the paper recipe: train
on 2009, 2010, 2012-2014, validate on 2011, test on 2016) and ``binkit train
hybrid --recipe general --out runs/hybrid`` (every DIBCO year, synthetic hard
pages and intensity augmentation) prepare the pages, train the surface
adjuster with :func:`binkit.train.fit` (checkpoints, exact resume, progress
bar, logs) and score the test pages beside the classical start and the
oracle (:func:`binkit.hybrid.oracle_heights`).  ``binkit export-weights RUN
--name NAME`` (:mod:`binkit.export`) ships a checkpoint with its provenance
and a results table measured in the same run.

Protocol (RECONSTRUCTED, ``docs/hybrid_method.md`` section 7):
:data:`HYBRID_TRAIN`; the recipes are :data:`HYBRID_RECIPES`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._errors import InputError
from ..io import atomic_write
from ..train import RUN_FILES, TrainConfig, finished_run, fit, prepare_run_folder
from .inference import binarize, prepare_page
from .model import AdjusterConfig, SurfaceAdjuster
from .training import HybridTask

__all__ = ["HYBRID_TRAIN", "HYBRID_RECIPES", "HybridRunSpec", "run", "model_from_checkpoint"]

#: The training protocol: the paper showed its surfaces after 1000-2000 epochs; an
#: epoch is 64 samples (tiles or whole pages), Adam, batch 8, the learning rate on a
#: cosine to 5 % of its start (so the last checkpoints do not jump from epoch to epoch).
HYBRID_TRAIN = dict(epochs=1000, blocks_per_epoch=64, batch_size=8, val_every=20, val_blocks=256, lr=1e-3,
                    lr_decay="cosine")

#: The recipes of ``binkit train hybrid --recipe``: ``paper`` keeps H-DIBCO 2016 unseen (the
#: paper's fold); ``general`` trains on every DIBCO year and synthetic hard pages, for scans
#: unlike DIBCO's.  Both use the intensity augmentation (a share of the samples).
HYBRID_RECIPES = {
    "paper": dict(train=[2009, 2010, 2012, 2013, 2014], val=[2011], test=[2016], augment=0.25,
                  mix_synthetic=0, val_synthetic=0),
    "general": dict(train=[2009, 2010, 2011, 2012, 2013, 2014, 2016], val=[2011], test=[], augment=0.25,
                    mix_synthetic=48, val_synthetic=8),
}


@dataclass
class HybridRunSpec:
    """Data and settings of one hybrid training run (defaults: the ``paper`` recipe)."""

    train: list = field(default_factory=lambda: [2009, 2010, 2012, 2013, 2014])
    val: list = field(default_factory=lambda: [2011])
    test: list = field(default_factory=lambda: [2016])
    data: str | None = None
    synthetic: bool = False
    synthetic_size: tuple = (640, 800)
    augment: float = 0.25  # share of training samples under a random change of the grey levels
    page_share: float = 0.25  # share of samples that are whole pages (the rest: 512 x 512 tiles)
    mix_synthetic: int = 0  # synthetic hard pages added to training (binkit.gridlstm.run.MIX_SEED + k)
    val_synthetic: int = 0  # and to validation (VAL_SEED + k)
    mix_size: tuple = (1024, 1536)
    config: AdjusterConfig = field(default_factory=AdjusterConfig)
    train_cfg: TrainConfig = field(default_factory=lambda: TrainConfig(**HYBRID_TRAIN))

    @classmethod
    def recipe(cls, name: str, **overrides) -> "HybridRunSpec":
        """The spec of a named recipe (:data:`HYBRID_RECIPES`), with ``overrides`` applied."""
        if name not in HYBRID_RECIPES:
            raise InputError(f"recipe={name!r}: expected one of {', '.join(HYBRID_RECIPES)}")
        return cls(**{**HYBRID_RECIPES[name], **overrides})


def _prepared(spec: HybridRunSpec, split: str):
    from ..datasets import load_split
    from ..gridlstm.run import MIX_SEED, VAL_SEED, _mixed_pages

    ids = {"train": spec.train, "val": spec.val, "test": spec.test}[split]
    pages = load_split(ids, spec.data, synthetic=spec.synthetic, synthetic_size=spec.synthetic_size) if ids else []
    if split == "train" and spec.mix_synthetic:
        pages += _mixed_pages(MIX_SEED, spec.mix_synthetic, spec.mix_size)
    if split == "val" and spec.val_synthetic:
        pages += _mixed_pages(VAL_SEED, spec.val_synthetic, spec.mix_size)
    return [prepare_page(name, image, gt, spec.config.n) for name, image, gt in pages]


def model_from_checkpoint(path) -> SurfaceAdjuster:
    """Rebuild the adjuster from a checkpoint written by :func:`binkit.train.fit`."""
    from ..weights import from_checkpoint

    return from_checkpoint(path, "hybrid")


#: The files a run writes after training (through temporary files, like the checkpoints).
_RESULT_FILES = ("summary.json", "results.csv")


def _record(spec: HybridRunSpec) -> dict:
    """What defines the run besides its TrainConfig, as JSON (``data``, where the pages are read from, left out)."""
    fields = asdict(spec)
    fields.pop("train_cfg")
    fields.pop("data")
    return json.loads(json.dumps(fields, default=str))


def _finished_run(summary_path: Path, spec: HybridRunSpec) -> dict | None:
    """:func:`binkit.train.finished_run` for a hybrid run."""
    return finished_run(summary_path, _record(spec), spec.train_cfg)


def run(spec: HybridRunSpec, out) -> dict:
    """Train (or resume, or skip if finished), then score the test pages: the hybrid, its start and the oracle.

    Returns
    -------
    dict
        The summary written to ``out/summary.json`` (on rank 0 under torchrun;
        the other ranks return ``{}``).
    """
    import torch

    cfg = spec.train_cfg
    rank0 = int(os.environ.get("RANK", "0")) == 0
    if rank0:  # a bad --out is one line, before any page is loaded
        out = prepare_run_folder(out, RUN_FILES + _RESULT_FILES)
    out = Path(out)
    summary_path = out / "summary.json"
    if summary_path.is_file():
        done = _finished_run(summary_path, spec)
        if done is not None:
            return done
    torch.manual_seed(cfg.seed)  # the model's initial weights come from the run's seed (a resume loads them)
    task = HybridTask({"train": _prepared(spec, "train"), "val": _prepared(spec, "val")}, spec.config,
                      augment=spec.augment, page_share=spec.page_share)
    result = fit(task, cfg, out)
    if not rank0:  # under torchrun only rank 0 scores and writes
        return {}
    summary = {"epochs_done": result.epochs_done, "best_epoch": result.best_epoch,
               "best_val_error": result.best_val_error, "task": task.describe(), "run": _record(spec),
               "config": asdict(cfg)}
    if spec.test:
        from ..results import mean_table, write_results_csv
        from ..scoring import score_methods
        from .oracle import oracle_binarize

        from .model import inference_copy

        model = inference_copy(model_from_checkpoint(out / "best.pt"))  # batch norm folded once, not per page
        pages = [(p.name, p.image, p.gt) for p in _prepared(spec, "test")]
        rows, _ = score_methods(pages, {"hybrid": lambda im: binarize(im, model, cfg.device),
                                        "hybrid-start": lambda im: binarize(im, None),
                                        "oracle": oracle_binarize}, with_gt={"oracle"})
        write_results_csv(out / "results.csv", rows)
        summary["test"] = {r["config"]: {k: r[k] for k in ("fm", "fps", "psnr", "drd", "nrm")}
                           for r in mean_table(rows, by=("config",), metrics=("fm", "fps", "psnr", "drd", "nrm"))}
    text = json.dumps(summary, indent=2, default=str)
    atomic_write(summary_path, lambda fh: fh.write(text.encode()))
    return summary
