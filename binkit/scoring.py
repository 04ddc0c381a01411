"""Scoring binarization methods on pages: the rows of a results table, made in one run.

:func:`score_methods` binarizes every page with every method and scores each
result with :func:`binkit.metrics.evaluate`, giving rows of
:mod:`binkit.results` and each method's binarization time.  The methods are
plain callables (``image -> ink mask``), so this module imports no torch:
a neural method's callable brings its own.
"""

from __future__ import annotations

import time
from typing import Mapping

from .metrics import evaluate, pseudo_weights
from .results import dataset_name

__all__ = ["score_methods"]


def score_methods(pages, methods: Mapping, *, criterium: Mapping | None = None,
                  on_ink=None, with_gt=()) -> tuple[list[dict], dict]:
    """Binarize and score every page with every method, in one run.

    The pseudo-F weights of each ground truth are computed once and shared by
    all methods, and each method's binarization time is measured (scoring
    excluded), so the rows compare like with like.

    Parameters
    ----------
    pages : iterable
        :class:`binkit.datasets.DibcoSample` objects, or ``(name, image, gt)``
        triples (their dataset is then ``""``).
    methods : mapping of str to callable
        Row label (``config``) -> ``function(image) -> ink mask``.
    criterium : mapping of str to str, optional
        ``criterium`` of each method's rows (default ``""``).
    on_ink : callable, optional
        ``on_ink(label, name, ink)`` is called with every method's ink mask of
        every page (e.g. to count ink in regions the measures do not see).
    with_gt : collection of str
        Labels whose function is called as ``function(image, gt)``: an oracle
        that reads the answer (e.g. :func:`binkit.hybrid.oracle_binarize`),
        scored as the ceiling beside the methods.

    Returns
    -------
    rows : list of dict
        One row per (page, method) in the format of :mod:`binkit.results`,
        all measures of :func:`binkit.metrics.evaluate` included.
    seconds_per_mp : dict of str to float
        Binarization time per megapixel of each method over all pages.
    """
    criterium = dict(criterium or {})
    rows, seconds, megapixels = [], {m: 0.0 for m in methods}, 0.0
    for page in pages:
        if isinstance(page, tuple):
            name, image, gt = page
            dataset = ""
        else:
            name, image, gt = page.name, page.image, page.gt
            dataset = dataset_name(page.year)
        megapixels += image.size / 1e6
        weights = pseudo_weights(gt)
        for label, function in methods.items():
            t = time.perf_counter()
            ink = function(image, gt) if label in with_gt else function(image)
            seconds[label] += time.perf_counter() - t
            if on_ink is not None:
                on_ink(label, name, ink)
            scores = evaluate(ink, gt, weights)
            rows.append({"config": label, "criterium": criterium.get(label, ""), "dataset": dataset,
                         "image": name, **{k: float(v) for k, v in scores.items()}})
    return rows, {m: s / megapixels for m, s in seconds.items()} if megapixels else {}
