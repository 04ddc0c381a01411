"""Ship a training run's checkpoint: ``binkit export-weights RUN --name NAME``.

One exporter for every model family:

1. read the run's best-by-validation checkpoint (or, with ``--checkpoint
   last``, its last epoch's) and its log;
2. store the model with :func:`binkit.weights.save` (float16) and its
   provenance (:func:`binkit.weights.provenance`: command, commit, data
   fingerprints, seed, hardware, history);
3. reload the *stored* weights through :func:`binkit.binarizer`, so the scores
   are those of the rounded weights as shipped, and score every test page with
   them and, in the same run, with the baselines (Otsu and Sauvola at binkit's
   defaults, and for the hybrid its classical start, its oracle (the best
   surface of its family for each page, fitted to the page's ground truth)
   and the shipped Grid LSTM), and for the hybrid the share of the
   start-to-oracle gap it closes;
4. write ``<name>.results.csv`` (per image, :mod:`binkit.results`' format) and
   add the mean scores and seconds per megapixel to the provenance;
5. with ``hard=``, score a set of synthetic hard pages (``binkit synthetic
   --hard``: scanner borders, gutters, facing pages; exact ground truth) the
   same way, with Wolf and the paper-fold Grid LSTM among the baselines, and
   record the share of the border/gutter area each method labels ink.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import weights as store
from ._errors import InputError
from .io import read_json
from .registry import binarizer

__all__ = ["export_weights"]


def _gridlstm_rows(task: dict) -> tuple[dict, dict, dict]:
    """Methods scored beside a Grid LSTM, the CSV label of each, and each one's selection criterion."""
    from .gridlstm.configs import config_name

    cfg = task.get("config", {})
    label = config_name(cfg.get("footprint", 4), cfg.get("scale", 2), task.get("loss", "dynamic"),
                        task.get("reference_layout", False))
    return {}, {"gridlstm": label}, {"gridlstm": "error"}


def _hybrid_rows(task: dict) -> tuple[dict, dict, dict]:
    from .hybrid.inference import binarize as hybrid_binarize

    from .hybrid.oracle import oracle_binarize

    extra = {"hybrid-start": lambda image: hybrid_binarize(image, None), "oracle": oracle_binarize,
             "logistic": binarizer("logistic")}
    if "f4-sf2-dyn" in store.available("gridlstm"):
        extra["gridlstm"] = binarizer("gridlstm", weights="f4-sf2-dyn")
    return extra, {}, {}


#: The weight set that reproduces the paper (its H-DIBCO 2016 fold); scored beside any other Grid LSTM export.
PAPER_FOLD = "f4-sf2-dyn"


#: Rows whose function reads the page's ground truth (``function(image, gt)``): the hybrid's oracle.
WITH_GT = {"oracle"}


def _gap_closed(means: dict, family: str) -> dict | None:
    """Share of the start-to-oracle gap the exported hybrid closes, per measure (FM up, NRM down)."""
    from .hybrid.oracle import gap_closed

    if family != "hybrid" or "oracle" not in means:
        return None
    start, model, best = means["hybrid-start"], means["hybrid"], means["oracle"]
    return {"fm": round(gap_closed(start["fm"], model["fm"], best["fm"]), 4),
            "nrm": round(gap_closed(-start["nrm"], -model["nrm"], -best["nrm"]), 4)}


def _hard_scores(root, methods: dict, criterium: dict) -> tuple[list[dict], dict, dict]:
    """Rows of every method on the hard pages in ``root``, the set's description, and each method's
    percentage of the region pixels (borders, gutter, facing page, corner, card; page in the GT) labelled ink."""
    from .datasets import load_synthetic
    from .datasets.hard import load_regions
    from .scoring import score_methods

    root = Path(root)
    manifest = read_json(root / "manifest.json", "hard set manifest") if (root / "manifest.json").is_file() else {}
    if "hard_version" not in manifest:
        raise InputError(f"{root}: not a hard-page set (no manifest.json with a hard_version); "
                         "write one with `binkit synthetic --hard`")
    pages = [(s.name, s.image, s.gt) for s in load_synthetic(root)]
    regions = {name: load_regions(root, name) > 0 for name, _, _ in pages}
    counts = {m: [0, 0] for m in methods}

    def count_region_ink(label, name, ink):
        counts[label][0] += int(np.count_nonzero(ink & regions[name]))
        counts[label][1] += int(np.count_nonzero(regions[name]))

    rows, _ = score_methods(pages, methods, criterium=criterium, on_ink=count_region_ink,
                            with_gt=WITH_GT & methods.keys())
    dataset = f"binkit hard pages {manifest['hard_version']}"
    for row in rows:
        row["dataset"] = dataset
    border = {m: round(100.0 * a / b, 3) if b else None for m, (a, b) in counts.items()}
    about = {"dataset": dataset, "pages": len(pages), "generator_version": manifest.get("generator_version"),
             "hard_version": manifest["hard_version"]}
    return rows, about, border


def _means(rows: list[dict], methods, labels: dict) -> dict:
    """method -> measure -> mean over ``rows``."""
    from .results import mean_table

    by_label = {r["config"]: r for r in mean_table(rows, by=("config",), metrics=MEAN_KEYS)}
    return {m: {k: round(float(by_label[labels.get(m, m)][k]), 4) for k in MEAN_KEYS} for m in methods}


_FAMILY_ROWS = {"gridlstm": _gridlstm_rows, "hybrid": _hybrid_rows}

#: Measures averaged into the provenance's ``test_scores_mean``.
MEAN_KEYS = ("fm", "fps", "psnr", "drd", "nrm", "mpm", "recall", "precision")


#: Which file of a run folder ``export_weights(checkpoint=...)`` ships.
CHECKPOINTS = {"best": "best.pt", "last": "latest.pt"}


def export_weights(run_dir, name: str, *, data=None, test_years=(2016,), command: str | None = None,
                   dest=None, hard=None, checkpoint: str = "best") -> dict:
    """Ship a checkpoint of a training run, scored on the test pages beside the baselines.

    Parameters
    ----------
    run_dir : path
        Folder of ``binkit train gridlstm|hybrid`` (``best.pt``, ``log.json``).
    name : str
        Name of the weight set, e.g. ``"f4-sf2-dyn"``.
    data : path, optional
        DIBCO root (default: :func:`binkit.datasets.dibco_root`'s search).
    test_years : sequence of int
    command : str, optional
        The training command, if the run's log does not record it.
    dest : path, optional
        Weights folder (default: the family's folder inside the package).
    hard : path, optional
        A hard-page set (``data/synthetic_hard``) to score as well; its rows
        join ``<name>.results.csv`` with their own ``dataset``.
    checkpoint : {"best", "last"}
        ``"best"`` (default): ``best.pt``, the lowest validation error (the
        paper's rule).  ``"last"``: ``latest.pt``, the last epoch, for a run
        whose learning rate decays to its end (``--lr-decay cosine``) or whose
        validation pages overlap its training pages.  The provenance records
        which (``checkpoint``).

    Returns
    -------
    dict
        The provenance record, with ``test_scores_mean`` (method -> measure ->
        mean over the test pages), ``seconds_per_mp`` (method -> seconds),
        ``test_pages_seen_in_training`` (test pages that were training or
        validation pages: their scores do not measure generalisation) and,
        with ``hard``, ``hard_set``, ``hard_scores_mean`` and
        ``hard_border_ink_percent``.
    """
    from .datasets import dibco_root, load_dibco
    from .results import write_results_csv
    from .scoring import score_methods
    from .train import load_checkpoint

    run_dir = Path(run_dir)
    if checkpoint not in CHECKPOINTS:
        raise InputError(f"checkpoint={checkpoint!r}: expected one of {', '.join(CHECKPOINTS)}")
    best = run_dir / CHECKPOINTS[checkpoint]
    if not best.is_file():
        raise InputError(f"{best}: no {checkpoint} checkpoint; is {run_dir} a training run folder?")
    chosen = checkpoint
    checkpoint = load_checkpoint(best)
    task = checkpoint.get("task", {})
    family = task.get("model")
    if family not in _FAMILY_ROWS:
        raise InputError(f"{best}: a checkpoint of {family!r}, which binkit cannot export "
                         f"(families: {', '.join(_FAMILY_ROWS)})")
    pages = load_dibco(data, list(test_years))
    record = store.provenance(run_dir, checkpoint, command=command, data_root=dibco_root(data),
                              test_pages=[p.name for p in pages], test_years=test_years)
    pt = store.save(family, name, task["config"], checkpoint["model"], record, dest)

    extra, labels, criterium = _FAMILY_ROWS[family](task)
    if family == "gridlstm" and name != PAPER_FOLD and PAPER_FOLD in store.available("gridlstm"):
        extra[PAPER_FOLD] = binarizer("gridlstm", weights=PAPER_FOLD)
    methods = {family: binarizer(family, weights=pt), **extra, "otsu": binarizer("otsu"),
               "sauvola": binarizer("sauvola")}
    rows, speed = score_methods(pages, methods, criterium=criterium, with_gt=WITH_GT & methods.keys())
    for row in rows:
        row["config"] = labels.get(row["config"], row["config"])
    record = store.info(family, pt)
    record["checkpoint"] = CHECKPOINTS[chosen]
    record["test_scores_mean"] = _means(rows, methods, labels)
    if _gap_closed(record["test_scores_mean"], family) is not None:
        record["test_oracle_gap_closed"] = _gap_closed(record["test_scores_mean"], family)
    hard_rows = []
    if hard is not None:
        hard_methods = {**methods, "wolf": binarizer("wolf")}
        hard_rows, record["hard_set"], record["hard_border_ink_percent"] = _hard_scores(hard, hard_methods,
                                                                                        criterium)
        record["hard_scores_mean"] = _means(hard_rows, hard_methods, {})
        if _gap_closed(record["hard_scores_mean"], family) is not None:
            record["hard_oracle_gap_closed"] = _gap_closed(record["hard_scores_mean"], family)
        for row in hard_rows:
            row["config"] = labels.get(row["config"], row["config"])
    write_results_csv(pt.with_name(f"{name}.results.csv"), rows + hard_rows)
    record["seconds_per_mp"] = {m: round(float(speed[m]), 3) for m in methods}
    record["test_pages"] = len(pages)
    seen = {n.split("~")[0] for n in [*task.get("train", []), *task.get("val", [])]}  # "2016_H01~aug1": an altered copy
    record["test_pages_seen_in_training"] = sorted(p.name for p in pages if p.name in seen)
    store.write_record(pt.with_name(f"{name}.json"), record)
    return record
