"""Ship a training run's best checkpoint: ``binkit export-weights RUN --name NAME``.

One exporter for every model family:

1. read the run's best-by-validation checkpoint and its log;
2. store the model with :func:`binkit.weights.save` (float16) and its
   provenance (:func:`binkit.weights.provenance`: command, commit, data
   fingerprints, seed, hardware, history);
3. reload the *stored* weights through :func:`binkit.binarizer`, so the scores
   are those of the rounded weights as shipped, and score every test page with
   them and, in the same run, with the baselines (Otsu and Sauvola at binkit's
   defaults, and for the hybrid its classical start and the shipped Grid LSTM);
4. write ``<name>.results.csv`` (per image, :mod:`binkit.results`' format) and
   add the mean scores and seconds per megapixel to the provenance.
"""

from __future__ import annotations

from pathlib import Path

from . import weights as store
from ._errors import InputError
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

    extra = {"hybrid-start": lambda image: hybrid_binarize(image, None), "logistic": binarizer("logistic")}
    if "f4-sf2-dyn" in store.available("gridlstm"):
        extra["gridlstm"] = binarizer("gridlstm", weights="f4-sf2-dyn")
    return extra, {}, {}


_FAMILY_ROWS = {"gridlstm": _gridlstm_rows, "hybrid": _hybrid_rows}

#: Measures averaged into the provenance's ``test_scores_mean``.
MEAN_KEYS = ("fm", "fps", "psnr", "drd", "nrm", "mpm", "recall", "precision")


def export_weights(run_dir, name: str, *, data=None, test_years=(2016,), command: str | None = None,
                   dest=None) -> dict:
    """Ship the best checkpoint of a training run, scored on the test pages beside the baselines.

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

    Returns
    -------
    dict
        The provenance record, with ``test_scores_mean`` (method -> measure ->
        mean over the test pages) and ``seconds_per_mp`` (method -> seconds).
    """
    from .datasets import dibco_root, load_dibco
    from .results import mean_table, write_results_csv
    from .scoring import score_methods
    from .train import load_checkpoint

    run_dir = Path(run_dir)
    best = run_dir / "best.pt"
    if not best.is_file():
        raise InputError(f"{best}: no best checkpoint; is {run_dir} a training run folder?")
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
    methods = {family: binarizer(family, weights=pt), **extra, "otsu": binarizer("otsu"),
               "sauvola": binarizer("sauvola")}
    rows, speed = score_methods(pages, methods, criterium=criterium)
    for row in rows:
        row["config"] = labels.get(row["config"], row["config"])
    write_results_csv(pt.with_name(f"{name}.results.csv"), rows)

    by_label = {r["config"]: r for r in mean_table(rows, by=("config",), metrics=MEAN_KEYS)}
    record = store.info(family, pt)
    record["test_scores_mean"] = {m: {k: round(float(by_label[labels.get(m, m)][k]), 4) for k in MEAN_KEYS}
                                  for m in methods}
    record["seconds_per_mp"] = {m: round(float(speed[m]), 3) for m in methods}
    record["test_pages"] = len(pages)
    store.write_record(pt.with_name(f"{name}.json"), record)
    return record
