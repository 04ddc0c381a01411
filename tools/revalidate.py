"""Score saved Grid LSTM checkpoints of one run on its own validation blocks, by both validation measures.

A run's ``best.pt`` is chosen by one measure while it trains.  Given copies of
its checkpoints (e.g. ``latest.pt`` copied at every validation epoch), this
prints what each measure says of each: the pixel error (the paper's) and
``1 - FM`` of the pooled ink counts (``--val-measure fm``), on the very
validation blocks the run drew (same pages, same seed), and which checkpoint
each measure would keep.

    python tools/revalidate.py runs/snaps/e*.pt -- \\
        train gridlstm --recipe general ... --out runs/general-no2016

Everything after ``--`` is the run's own ``binkit train`` command (without
``binkit``); its validation pages are rebuilt from it and checked against
the ones the run's ``log.json`` names, so a different command is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    from binkit._errors import InputError
    from binkit.__main__ import build_parser, train_spec
    from binkit.gridlstm.run import model_from_checkpoint, validation_pages
    from binkit.gridlstm.training import VAL_MEASURES, GridLSTMTask
    from binkit.io import read_json
    from binkit.train import load_checkpoint

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: revalidate.py CHECKPOINT ... -- train gridlstm OPTIONS --out RUN", file=sys.stderr)
        return 2
    cut = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    mine, command = parser.parse_args(argv[:cut]), build_parser().parse_args(argv[cut + 1:])
    try:
        spec = train_spec(command)
        logged = read_json(Path(command.out) / "log.json", "run's log")
        pages = validation_pages(spec)
        if [name for name, _, _ in pages] != logged["task"]["val"]:
            raise InputError(f"{command.out}: its log names other validation pages than this command's")
        cfg = spec.train_cfg
        task = GridLSTMTask(spec.model_config, spec.loss, pages[:1], pages, reference_layout=spec.reference_layout,
                            cache_dir=Path(command.out) / "cache")
        batch = task.batches("val", cfg.val_blocks, np.random.default_rng([cfg.seed, 1_000_003]))
        rows = []
        for path in mine.checkpoints:
            checkpoint = load_checkpoint(path, map_location="cpu")
            scores = validation_scores(task, model_from_checkpoint(path), batch, cfg.batch_size)
            rows.append((int(checkpoint["epoch"]), path.name, scores))
            print(f"epoch {rows[-1][0]:4d}  {path.name:>12}  pixel error {scores['error']:.6f}  "
                  f"1 - FM {scores['fm']:.6f}", flush=True)
    except InputError as exc:
        print(f"revalidate: error: {exc}", file=sys.stderr)
        return 2
    rows.sort()
    print()
    print("| epoch | pixel error | 1 - FM |")
    print("|---|---|---|")
    for epoch, _, scores in rows:
        print(f"| {epoch} | {scores['error']:.6f} | {scores['fm']:.6f} |")
    for measure in VAL_MEASURES:
        epoch = min(rows, key=lambda r: (r[2][measure], r[0]))[0]
        print(f"kept by {measure}: epoch {epoch}")
    return 0


def validation_scores(task, model, batch, step: int) -> dict:
    """Both validation measures of ``model`` on ``batch``, from one forward pass over it.

    The counts of :meth:`binkit.gridlstm.training.GridLSTMTask.counts`, summed over
    the batch as ``fit`` sums them.
    """
    import torch

    from binkit.runtime import denormals_flushed

    wrong = found = total = 0
    model.eval()
    with torch.no_grad(), denormals_flushed():  # as fit validates: the same logits, at its speed
        for start in range(0, task.size(batch), step):
            w, f, n = task.counts(model, task.take(batch, slice(start, start + step)), "cpu")
            wrong, found, total = wrong + int(w), found + int(f), total + n
    return {"error": wrong / total, "fm": wrong / (wrong + 2 * found) if wrong + found else float("nan")}


if __name__ == "__main__":
    sys.exit(main())
