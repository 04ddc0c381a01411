"""The skeleton of one training run, shared by both model families: what ``binkit train`` does.

:func:`run_training` checks the run folder, skips a run that finished with
the same settings (and refuses one that finished with others), seeds the
model's initial weights, trains with :func:`binkit.train.fit` (checkpoints,
exact resume), lets the family score its test pages, and writes
``summary.json`` atomically.  Under ``torchrun`` only the main process
(rank 0) prepares the folder, scores and writes; the other ranks train and
return ``{}``.

A family's ``run.py`` (:mod:`binkit.gridlstm.run`, :mod:`binkit.hybrid.run`)
says only what is its own: its pages, its task, how it scores.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Callable

import numpy as np

from ._errors import InputError
from .io import write_json
from .train import RUN_FILES, Task, TrainConfig, finished_run, fit, prepare_run_folder

__all__ = ["MIX_SEED", "VAL_SEED", "faint_pages", "hard_pages", "is_main_process", "run_training", "spec_from_recipe"]

#: First seeds of the synthetic hard pages a run mixes into training and validation:
#: far from the small seeds tests and demos use, and from each other.
MIX_SEED, VAL_SEED = 100_000, 200_000


def is_main_process() -> bool:
    """True outside ``torchrun``, and on its rank 0 (the process that writes a run's files)."""
    return int(os.environ.get("RANK", "0")) == 0


def hard_pages(first_seed: int, count: int, size) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``count`` hard pages (:func:`binkit.datasets.hard_page`) as (name, image, gt), seeds from ``first_seed``."""
    from .datasets import hard_page

    return _seeded_pages("hard", hard_page, first_seed, count, size)


def faint_pages(first_seed: int, count: int, size) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``count`` faint-ink pages (:func:`binkit.datasets.faint.faint_page`), seeds from ``first_seed`` on."""
    from .datasets.faint import faint_page

    return _seeded_pages("faint", faint_page, first_seed, count, size)


def _seeded_pages(prefix: str, make, first_seed: int, count: int, size) -> list[tuple[str, np.ndarray, np.ndarray]]:
    pages = []
    for seed in range(first_seed, first_seed + count):
        page = make(seed, size=tuple(size))
        pages.append((f"{prefix}_{seed}", page.image, page.gt))
    return pages


def spec_from_recipe(cls, recipes: dict, name: str, *, train_defaults: dict | None = None,
                     train_options: dict | None = None, overrides: dict | None = None):
    """A family's run spec ``cls`` from the named recipe ``recipes[name]`` and the caller's choices over it.

    A recipe holds fields of ``cls`` and of :class:`binkit.train.TrainConfig`;
    the TrainConfig starts from ``train_defaults`` (the family's protocol),
    then the recipe's, then ``train_options``; ``overrides`` replace the
    recipe's fields of ``cls``.  A name that is no field of ``cls`` is one
    line, not a TypeError.
    """
    if name not in recipes:
        raise InputError(f"recipe={name!r}: expected one of {', '.join(recipes)}")
    train_fields = {f.name for f in fields(TrainConfig)}
    recipe = dict(recipes[name])
    train = {**(train_defaults or {}), **{k: recipe.pop(k) for k in list(recipe) if k in train_fields},
             **(train_options or {})}
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {f.name for f in fields(cls)} - {"train_cfg"})
    if unknown:
        raise InputError(f"{', '.join(unknown)}: not a setting of {cls.__name__}")
    if "train_cfg" not in overrides:  # a TrainConfig given whole is taken as it is
        overrides["train_cfg"] = TrainConfig(**train)
    elif train_options:
        raise InputError("give train_cfg or train_options, not both")
    return cls(**{**recipe, **overrides})


def run_training(out, *, record: dict, cfg: TrainConfig, make_task: Callable[[Path], Task],
                 score: Callable[[Path], dict] | None = None, result_files=(), legacy=None) -> dict:
    """Train (or resume, or skip if finished), score, and write ``out/summary.json``.

    Parameters
    ----------
    out : path
        The run folder (created; checked before any page is loaded).
    record : dict
        What defines the run besides ``cfg``, as JSON: stored in the summary,
        and compared when the folder holds a finished run.
    cfg : TrainConfig
        The training protocol.
    make_task : callable
        ``make_task(out) -> Task``: loads the pages (called after the seed is set).
    score : callable, optional
        ``score(out) -> dict``: scores the best checkpoint, writes its result
        files in ``out`` and returns what the summary adds.
    result_files : sequence of str
        The files ``score`` writes, whose killed writes' leftovers are removed.
    legacy : callable, optional
        Reads the settings of a summary written before summaries recorded them
        (:func:`binkit.train.finished_run`).

    Returns
    -------
    dict
        The summary; ``{}`` on the ranks other than 0 under ``torchrun``.
    """
    import torch

    main = is_main_process()
    if main:  # a bad --out is one line, before any page is loaded
        out = prepare_run_folder(out, RUN_FILES + ("summary.json",) + tuple(result_files))
    out = Path(out)
    summary_path = out / "summary.json"
    if summary_path.is_file():
        done = finished_run(summary_path, record, cfg, legacy=legacy)
        if done is not None:
            return done
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)  # the model's initial weights come from the run's seed (a resume loads them)
    task = make_task(out)
    result = fit(task, cfg, out)
    if not main:
        return {}
    summary = {"epochs_done": result.epochs_done, "best_epoch": result.best_epoch,
               "best_val_error": result.best_val_error, "train_seconds": round(time.perf_counter() - t0, 1),
               "task": task.describe(), "run": record, "config": asdict(cfg)}
    if score is not None:
        summary.update(score(out))
    write_json(summary_path, summary)
    return summary
