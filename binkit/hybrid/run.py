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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..datasets.folds import DEFAULT_FOLD
from ..runs import MIX_SEED, VAL_SEED, hard_pages, run_training, spec_from_recipe
from ..train import TrainConfig
from .configs import HYBRID_RECIPES, HYBRID_TRAIN
from .inference import binarize, prepare_page
from .model import AdjusterConfig, SurfaceAdjuster
from .training import HybridTask

__all__ = ["HYBRID_TRAIN", "HYBRID_RECIPES", "HybridRunSpec", "run", "model_from_checkpoint"]


@dataclass
class HybridRunSpec:
    """Data and settings of one hybrid training run (defaults: the ``paper`` recipe)."""

    train: list = field(default_factory=lambda: list(DEFAULT_FOLD["train"]))
    val: list = field(default_factory=lambda: list(DEFAULT_FOLD["val"]))
    test: list = field(default_factory=lambda: list(DEFAULT_FOLD["test"]))
    data: str | None = None
    synthetic: bool = False
    synthetic_size: tuple = (640, 800)
    augment: float = 0.25  # share of training samples under a random change of the grey levels
    page_share: float = 0.25  # share of samples that are whole pages (the rest: 512 x 512 tiles)
    mix_synthetic: int = 0  # synthetic hard pages added to training (binkit.runs.MIX_SEED + k)
    val_synthetic: int = 0  # and to validation (VAL_SEED + k)
    mix_size: tuple = (1024, 1536)
    config: AdjusterConfig = field(default_factory=AdjusterConfig)
    train_cfg: TrainConfig = field(default_factory=lambda: TrainConfig(**HYBRID_TRAIN))

    @classmethod
    def recipe(cls, name: str = "paper", *, train_options: dict | None = None, **overrides) -> "HybridRunSpec":
        """The spec of a named recipe (:data:`HYBRID_RECIPES`), with overrides.

        ``overrides`` are HybridRunSpec fields; ``train_options`` are
        :class:`binkit.train.TrainConfig` fields over :data:`HYBRID_TRAIN`.
        What ``binkit train hybrid --recipe`` builds.
        """
        return spec_from_recipe(cls, HYBRID_RECIPES, name, train_defaults=HYBRID_TRAIN,
                                train_options=train_options, overrides=overrides)

    def record(self) -> dict:
        """What defines the run besides its TrainConfig, as JSON (``data``, where the pages are read from, left out)."""
        fields = asdict(self)
        fields.pop("train_cfg")
        fields.pop("data")
        return json.loads(json.dumps(fields, default=str))


def _prepared(spec: HybridRunSpec, split: str):
    from ..datasets import load_split

    ids = {"train": spec.train, "val": spec.val, "test": spec.test}[split]
    pages = load_split(ids, spec.data, synthetic=spec.synthetic, synthetic_size=spec.synthetic_size) if ids else []
    if split == "train" and spec.mix_synthetic:
        pages += hard_pages(MIX_SEED, spec.mix_synthetic, spec.mix_size)
    if split == "val" and spec.val_synthetic:
        pages += hard_pages(VAL_SEED, spec.val_synthetic, spec.mix_size)
    return [prepare_page(name, image, gt, spec.config.n) for name, image, gt in pages]


def model_from_checkpoint(path) -> SurfaceAdjuster:
    """Rebuild the adjuster from a checkpoint written by :func:`binkit.train.fit`."""
    from ..weights import from_checkpoint

    return from_checkpoint(path, "hybrid")


def run(spec: HybridRunSpec, out) -> dict:
    """Train (or resume, or skip if finished), then score the test pages: the hybrid, its start and the oracle.

    Through :func:`binkit.runs.run_training`.

    Returns
    -------
    dict
        The summary written to ``out/summary.json`` (on rank 0 under torchrun;
        the other ranks return ``{}``).
    """
    cfg = spec.train_cfg

    def make_task(out: Path) -> HybridTask:
        return HybridTask({"train": _prepared(spec, "train"), "val": _prepared(spec, "val")}, spec.config,
                          augment=spec.augment, page_share=spec.page_share)

    def score(out: Path) -> dict:
        if not spec.test:
            return {}
        from ..results import mean_table, write_results_csv
        from ..scoring import score_methods
        from .model import inference_copy
        from .oracle import oracle_binarize

        model = inference_copy(model_from_checkpoint(out / "best.pt"))  # batch norm folded once, not per page
        pages = [(p.name, p.image, p.gt) for p in _prepared(spec, "test")]
        rows, _ = score_methods(pages, {"hybrid": lambda im: binarize(im, model, cfg.device),
                                        "hybrid-start": lambda im: binarize(im, None),
                                        "oracle": oracle_binarize}, with_gt={"oracle"})
        write_results_csv(out / "results.csv", rows)
        measures = ("fm", "fps", "psnr", "drd", "nrm")
        return {"test": {r["config"]: {k: r[k] for k in measures}
                         for r in mean_table(rows, by=("config",), metrics=measures)}}

    return run_training(out, record=spec.record(), cfg=cfg, make_task=make_task, score=score,
                        result_files=("results.csv",))
