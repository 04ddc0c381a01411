"""Comparing binarization methods over a benchmark: the statistics of the Grid LSTM paper.

Which of several configurations binarizes better?  A table of means (one
number per configuration) cannot say whether a difference is real or just
the luck of the test images.  Westphal et al. (DAS 2018) answer it in three
steps, which this module reproduces exactly from their raw results (see
:func:`binkit.das2018.read_paper_results`):

1. **Friedman test** (:func:`friedman`; paper Table II).  Do *any* of k
   configurations differ?  Each test image is a *block*: every configuration
   binarized the same 86 images, and some pages are simply harder than others
   (a stained DIBCO 2011 print fools every method).  The Friedman test ranks
   the k configurations *within* each image, which removes the image's
   difficulty, and asks whether the mean ranks differ more than chance would
   make them.  It makes no assumption about the metric's distribution, only
   that the images are independent.

2. **Post-hoc pairwise tests** (:func:`pairwise_wilcoxon_holm`).  If Friedman
   says "something differs", which pairs?  The paper uses R's
   ``pairwise.wilcox.test`` with its defaults: the *unpaired* Wilcoxon
   rank-sum (Mann–Whitney U) test on each pair, p-values corrected for the
   number of pairs with Holm's method (:func:`holm`).  Note that the unpaired
   test ignores the blocks: it compares the two bags of 86 values as if they
   came from different images.  That is what the paper did (the paired
   signed-rank test finds many more significant pairs, contradicting the
   paper's text), so binkit reproduces it and offers the paired test as an
   option (``paired=True``) for comparison.

3. **Rank score** (:func:`rank_score`; paper Table III).  One number per
   configuration: the sum of its rank among all configurations over every
   image and measure (rank 1 = best).  Lower is better.

:func:`summary` gives mean ± population SD (Table IV).

A different question, not the paper's: how does one system compare with
another *on the same pages*, e.g. binkit's own trained model with the paper's
results for the same configuration?  :func:`paired_comparison` answers it
page by page: the per-page differences and the paired Wilcoxon signed-rank
test per measure (:func:`format_paired`, :func:`paired_differences`).

Data may be given as result rows (a list of dicts, see :mod:`binkit.results`)
with the configurations and the metric to compare, or directly as an
``(n_images, k)`` array with one column per configuration.

References
----------
F. Westphal, N. Lavesson, H. Grahn, "Document image binarization using
recurrent neural networks", 13th IAPR Int. Workshop on Document Analysis
Systems (DAS 2018).  Raw results: github.com/FlorianWestphal/DAS2018, ``data/``.

M. Friedman, "The use of ranks to avoid the assumption of normality implicit
in the analysis of variance", J. Amer. Statist. Assoc. 32 (1937) 675–701.

H. B. Mann, D. R. Whitney, "On a test of whether one of two random variables
is stochastically larger than the other", Ann. Math. Statist. 18 (1947) 50–60.

S. Holm, "A simple sequentially rejective multiple test procedure",
Scand. J. Statist. 6 (1979) 65–70.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats as _st

from ._errors import InputError
from .metrics import MEASURES
from .results import format_table, select, values

__all__ = [
    "LOWER_IS_BETTER",
    "FriedmanResult",
    "PairedResult",
    "PairwiseResult",
    "format_paired",
    "format_pairwise",
    "friedman",
    "holm",
    "metric_matrix",
    "paired_comparison",
    "paired_differences",
    "pairwise_wilcoxon_holm",
    "rank_score",
    "summary",
]

#: Metrics for which a smaller value is better (ranked ascending), read from
#: :data:`binkit.metrics.MEASURES`; any other key is ranked as higher-is-better.
LOWER_IS_BETTER = frozenset(k for k, m in MEASURES.items() if not m.higher_is_better)


# ---------------------------------------------------------------------------
# from rows to an images × configurations matrix


def metric_matrix(rows, configs: Sequence[str], metric: str) -> tuple[np.ndarray, list[tuple]]:
    """Arrange one metric as an ``(n_images, k)`` matrix: a row per image, a column per config.

    Images are identified by ``(dataset, image)``.  Every configuration must
    have exactly one row for each image, and all configurations the same
    images: the block designs of :func:`friedman` and :func:`rank_score`
    compare configurations *on the same image*.

    Parameters
    ----------
    rows : iterable of dict
        Result rows (:mod:`binkit.results`).
    configs : sequence of str
        The columns, in order.
    metric : str
        E.g. ``"fps"``.

    Returns
    -------
    matrix : (n_images, k) ndarray of float
    images : list of (dataset, image)
        The matrix's rows, in order of first appearance in ``rows``.

    Raises
    ------
    InputError
        A configuration with no rows, an image missing for some configuration,
        or two rows for the same (configuration, image) (for instance two
        model-selection criteria: select one first).
    """
    configs = list(configs)
    if len(set(configs)) != len(configs):
        raise InputError(f"configs: duplicate names in {configs}")
    cells: dict[str, dict[tuple, float]] = {c: {} for c in configs}
    order: dict[tuple, None] = {}
    for r in rows:
        c = r.get("config")
        if c not in cells:
            continue
        key = (r.get("dataset"), r.get("image"))
        if key in cells[c]:
            raise InputError(
                f"two rows for config {c!r}, image {key[1]!r} of {key[0]!r} "
                "(several criteria? select one with binkit.results.select(rows, criterium=...))"
            )
        cells[c][key] = float(r.get(metric, math.nan))
        order.setdefault(key, None)
    for c in configs:
        if not cells[c]:
            raise InputError(f"config {c!r}: no rows")
        missing = [k for k in order if k not in cells[c]]
        if missing:
            raise InputError(f"config {c!r}: no result for {len(missing)} image(s), e.g. {missing[0][1]!r}")
    images = list(order)
    matrix = np.array([[cells[c][k] for c in configs] for k in images], dtype=float).reshape(len(images), len(configs))
    return matrix, images


def _as_matrix(data, configs, metric) -> tuple[np.ndarray, list[str]]:
    if _is_matrix(data):
        m = np.asarray(data, dtype=float)
        if m.ndim != 2:
            raise InputError(f"data: expected an (n_images, k) matrix, got shape {m.shape}")
        names = list(configs) if configs is not None else [f"c{j}" for j in range(m.shape[1])]
        if len(names) != m.shape[1]:
            raise InputError(f"configs: {len(names)} names for {m.shape[1]} columns")
        return m, names
    if configs is None or metric is None:
        raise InputError("with result rows, give configs and metric")
    m, _ = metric_matrix(data, configs, metric)
    return m, list(configs)


def _is_matrix(data) -> bool:
    return isinstance(data, np.ndarray) or (
        isinstance(data, (list, tuple)) and len(data) > 0 and not isinstance(data[0], Mapping))


def _check_finite(m: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(m)):
        raise InputError(f"{what}: the matrix has nan or inf values; the test needs every image for every config")


# ---------------------------------------------------------------------------
# Friedman


@dataclass(frozen=True)
class FriedmanResult:
    """Outcome of :func:`friedman`.

    Attributes
    ----------
    statistic : float
        Friedman's chi² (ties-corrected, as ``scipy.stats.friedmanchisquare``
        and R's ``friedman.test``).
    pvalue : float
        Its p-value from the chi² distribution with ``df`` degrees of freedom.
    df : int
        k − 1.
    n_blocks : int
        Number of images.
    configs : tuple of str
    metric : str or None
    mean_ranks : tuple of float
        Each configuration's mean rank over the images, rank 1 = best.  The
        test asks whether these differ more than chance allows.
    """

    statistic: float
    pvalue: float
    df: int
    n_blocks: int
    configs: tuple
    metric: str | None
    mean_ranks: tuple

    def __iter__(self):  # unpack like scipy's result: ``chi2, p = friedman(...)``
        return iter((self.statistic, self.pvalue))


def friedman(data, configs: Sequence[str] | None = None, metric: str | None = None) -> FriedmanResult:
    """Friedman test: do k configurations differ on one metric?  (Paper Table II.)

    The test is a two-way analysis of ranks.  Blocks are **images**: on each
    image the k configurations are ranked 1..k, so a page that is hard for
    everybody weighs no more than an easy one.  Under the null hypothesis
    (all configurations equally good) every ranking within an image is
    equally likely and the mean ranks are all (k+1)/2; the statistic

        chi² = 12 n / (k (k+1)) · Σ_j (R̄_j − (k+1)/2)²

    (with a correction for ties) is then approximately chi² with k − 1
    degrees of freedom.  Computed by ``scipy.stats.friedmanchisquare``, which
    agrees with R's ``friedman.test``.

    Parameters
    ----------
    data : list of dict, or (n_images, k) array_like
        Result rows, or a matrix with one row per image and one column per
        configuration.
    configs : sequence of str
        The k ≥ 3 configurations to compare (required with rows; names for
        the columns with a matrix).
    metric : str
        The metric to compare, e.g. ``"fps"`` (required with rows).

    Returns
    -------
    FriedmanResult
        Unpacks as ``(statistic, pvalue)``.  Its ``mean_ranks`` treat higher
        values as better unless ``metric`` is one of :data:`LOWER_IS_BETTER`
        (the test statistic itself does not depend on the direction).

    Examples
    --------
    The paper's footprint experiment, on the pseudo-F-measure:

    >>> from binkit.das2018 import PAPER_EXPERIMENTS, read_paper_results
    >>> rows = read_paper_results()
    >>> round(friedman(rows, PAPER_EXPERIMENTS["footprint"], "fps").statistic, 3)
    80.023
    """
    m, names = _as_matrix(data, configs, metric)
    if m.shape[1] < 3:
        raise InputError(f"friedman: needs at least 3 configurations, got {m.shape[1]}")
    if m.shape[0] < 2:
        raise InputError(f"friedman: needs at least 2 images, got {m.shape[0]}")
    _check_finite(m, "friedman")
    res = _st.friedmanchisquare(*m.T)
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
    ranks = _st.rankdata(sign * m, axis=1)
    return FriedmanResult(
        statistic=float(res.statistic),
        pvalue=float(res.pvalue),
        df=m.shape[1] - 1,
        n_blocks=m.shape[0],
        configs=tuple(names),
        metric=metric,
        mean_ranks=tuple(float(x) for x in ranks.mean(axis=0)),
    )


# ---------------------------------------------------------------------------
# Holm and the pairwise tests


def holm(pvalues) -> np.ndarray:
    """Holm's step-down correction of p-values for multiple comparisons.

    Testing m pairs at level α each would find some "significant" pair by
    chance far more often than α.  Holm's method controls the family-wise
    error rate (the chance of *any* false positive) at α, and is never less
    powerful than Bonferroni: sort the p-values p_(1) ≤ … ≤ p_(m); the
    adjusted value of p_(i) is

        max over j ≤ i of  min(1, (m − j + 1) · p_(j)).

    A pair is significant at level α if its adjusted p-value is ≤ α.  This is
    R's ``p.adjust(p, "holm")``: ``nan`` values are kept as ``nan`` and not
    counted in m.  (``scipy.stats.false_discovery_control`` is a different
    correction, Benjamini–Hochberg, which controls the false discovery rate.)

    Parameters
    ----------
    pvalues : array_like of float

    Returns
    -------
    ndarray of float
        Adjusted p-values, same shape and order as the input.

    Examples
    --------
    >>> holm([0.01, 0.02, 0.03, 0.04, 0.05]).round(4).tolist()
    [0.05, 0.08, 0.09, 0.09, 0.09]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = np.flatnonzero(~np.isnan(flat))
    m = ok.size
    if m:
        if np.any((flat[ok] < 0) | (flat[ok] > 1)):
            raise InputError("holm: p-values must lie in [0, 1]")
        order = ok[np.argsort(flat[ok], kind="stable")]
        adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * flat[order]))
        res = out.ravel()
        res[order] = adj
        out = res.reshape(p.shape)
    return out


@dataclass(frozen=True)
class PairwiseResult:
    """One pair of :func:`pairwise_wilcoxon_holm`.

    Attributes
    ----------
    a, b : str
        The two configurations.
    statistic : float
        Rank-sum test: the Mann–Whitney U of ``a`` (R's ``W``), the number of
        (x in a, y in b) pairs with x > y, ties counting ½.  Signed-rank test
        (``paired=True``): scipy's Wilcoxon statistic.
    pvalue : float
        Two-sided raw p-value.
    p_adjusted : float
        Holm-adjusted over all pairs of the call.
    significant : bool
        ``p_adjusted <= alpha``.
    method : str
        ``"exact"`` or ``"asymptotic"``: how the p-value was computed.
    """

    a: str
    b: str
    statistic: float
    pvalue: float
    p_adjusted: float
    significant: bool
    method: str


def _rank_sum(x: np.ndarray, y: np.ndarray, method: str):
    """Two-sided Mann–Whitney U test with R's ``wilcox.test`` defaults."""
    if method == "auto":
        # R: exact when both samples have fewer than 50 values and there are
        # no ties; otherwise the normal approximation with continuity correction.
        both = np.concatenate([x, y])
        no_ties = np.unique(both).size == both.size
        method = "exact" if (x.size < 50 and y.size < 50 and no_ties) else "asymptotic"
    if method == "exact":
        res = _st.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    elif method == "asymptotic":
        res = _st.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    else:
        raise InputError(f"method: expected 'auto', 'exact' or 'asymptotic', got {method!r}")
    return float(res.statistic), float(res.pvalue), method


def pairwise_wilcoxon_holm(data, configs: Sequence[str] | None = None, metric: str | None = None, *,
                           alpha: float = 0.05, paired: bool = False, method: str = "auto") -> list[PairwiseResult]:
    """All pairwise Wilcoxon tests between configurations, Holm-corrected.

    This is R's ``pairwise.wilcox.test(x, g)`` with its defaults, which the
    paper used as the post-hoc test after Friedman:

    * each pair is compared with the two-sided **rank-sum** test (Mann–Whitney
      U, *unpaired*): pool the two samples, rank them, and ask whether one
      sample's ranks are systematically higher.  It compares the two
      distributions of per-image scores and does not use the fact that both
      configurations saw the same images;
    * R's ``wilcox.test`` computes the exact p-value when both samples have
      fewer than 50 values and there are no ties, and otherwise the normal
      approximation with a continuity correction (and a tie correction of
      the variance).  With the paper's 86 images per configuration, that is
      the normal approximation, i.e. ``scipy.stats.mannwhitneyu(x, y,
      method="asymptotic", use_continuity=True)``, which gives R's p-values;
    * the k(k−1)/2 p-values are adjusted together with :func:`holm`.

    Parameters
    ----------
    data : list of dict, or (n_images, k) array_like
        Result rows, or a matrix with a column per configuration.
    configs : sequence of str
        Configurations to compare (required with rows).  With rows, each
        configuration's sample is all its rows' values of ``metric``; ``nan``
        values are dropped, as R does.  For the unpaired test the samples may
        differ in size.
    metric : str
        Required with rows.
    alpha : float, default 0.05
        Family-wise level for ``significant``.
    paired : bool, default False
        Use the paired Wilcoxon **signed-rank** test instead (blocks = images,
        like Friedman).  Not what the paper did; offered to show the
        difference.  Needs the full images × configurations matrix.
    method : {"auto", "exact", "asymptotic"}
        How to compute rank-sum p-values; ``"auto"`` follows R as above.

    Returns
    -------
    list of PairwiseResult
        One per pair ``(configs[i], configs[j])``, i < j, in that order: for
        ``[A, B, C]``, (A, B), (A, C), (B, C).

    Examples
    --------
    ::

        res = pairwise_wilcoxon_holm(rows, PAPER_EXPERIMENTS["loss"], "fps")
        print(format_pairwise(res))
    """
    if paired:
        m, names = _as_matrix(data, configs, metric)
        _check_finite(m, "pairwise_wilcoxon_holm(paired=True)")
        samples = [m[:, j] for j in range(m.shape[1])]
    elif _is_matrix(data):
        m, names = _as_matrix(data, configs, metric)
        samples = [m[:, j] for j in range(m.shape[1])]
    else:
        if configs is None or metric is None:
            raise InputError("with result rows, give configs and metric")
        names = list(configs)
        data = list(data)
        samples = []
        for c in names:
            v = np.array([float(r.get(metric, math.nan)) for r in data if r.get("config") == c])
            if v.size == 0:
                raise InputError(f"config {c!r}: no rows")
            samples.append(v)
    if len(names) < 2:
        raise InputError("pairwise_wilcoxon_holm: needs at least 2 configurations")

    pairs, raw = [], []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            x, y = samples[i], samples[j]
            if paired:
                res = _st.wilcoxon(x, y, alternative="two-sided")
                stat, p, how = float(res.statistic), float(res.pvalue), "signed-rank"
            else:
                x, y = x[~np.isnan(x)], y[~np.isnan(y)]
                if x.size == 0 or y.size == 0:
                    raise InputError(f"{names[i]} vs {names[j]}: no values of {metric}")
                stat, p, how = _rank_sum(x, y, method)
            pairs.append((names[i], names[j], stat, how))
            raw.append(p)
    adj = holm(raw)
    return [PairwiseResult(a, b, s, float(p), float(q), bool(q <= alpha), how)
            for (a, b, s, how), p, q in zip(pairs, raw, adj)]


def format_pairwise(results: Sequence[PairwiseResult], *, digits: int = 4) -> str:
    """The pairs as a text table: a, b, raw p, Holm-adjusted p, significant (``*``)."""
    table = [{"a": r.a, "b": r.b, "p": r.pvalue, "p_holm": r.p_adjusted, "sig": "*" if r.significant else ""}
             for r in results]
    return format_table(table, ["a", "b", "p", "p_holm", "sig"], digits=digits)


# ---------------------------------------------------------------------------
# rank score and summary


def rank_score(rows, configs: Sequence[str], metrics: Sequence[str] = ("fm", "fps", "psnr", "drd")) -> dict[str, float]:
    """Sum of ranks over images and measures (paper Table III, "Score").

    On every image and for every measure, the configurations are ranked
    1 (best) … k (worst): higher is better for FM, Fps and PSNR, lower for
    DRD (see :data:`LOWER_IS_BETTER`).  A configuration's score is the sum of
    its ranks over all images and measures, so with n images, m measures and
    k configurations the scores add up to n·m·k(k+1)/2 and the best possible
    score is n·m.  Lower is better.

    **Ties** get the average of the ranks they span (``scipy.stats.rankdata``'s
    default, "average"): two configurations tied for best both get 1.5.  This
    keeps the total fixed, so scores stay comparable.  The paper's data have
    no ties, so the choice does not change Table III.

    Parameters
    ----------
    rows : list of dict, or (n_images, k) array_like
        Result rows.  A matrix is accepted for a single metric (``metrics``
        must then name exactly one measure, used only for its direction).
    configs : sequence of str
        The configurations to rank against each other (the paper ranks all 8).
    metrics : sequence of str
        Measures to sum over.

    Returns
    -------
    dict of str to float
        Configuration → score, in the order of ``configs``.
    """
    configs = list(configs)
    total = np.zeros(len(configs))
    is_matrix = _is_matrix(rows)
    if not is_matrix:
        rows = list(rows)
    if is_matrix and len(metrics) != 1:
        raise InputError("rank_score: with a matrix, give exactly one metric (for its direction)")
    for metric in metrics:
        if is_matrix:
            m, _ = _as_matrix(rows, configs, None)
        else:
            m, _ = metric_matrix(rows, configs, metric)
        _check_finite(m, f"rank_score({metric})")
        sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
        total += _st.rankdata(sign * m, axis=1, method="average").sum(axis=0)
    return {c: float(s) for c, s in zip(configs, total)}


def summary(rows, config: str | None = None, dataset=None,
            metrics: Sequence[str] = ("fm", "fps", "psnr", "drd"), *, ddof: int = 0) -> dict[str, tuple[float, float]]:
    """Mean ± standard deviation of each metric over the images (paper Table IV).

    The paper's ± values are **population** standard deviations (ddof = 0,
    dividing by n): for H-DIBCO 2016 and f4-sf2-Ldyn, FM 88.79 ± 4.80.  The
    sample SD (ddof = 1) would give ± 5.06.  Pass ``ddof=1`` for it.

    Parameters
    ----------
    rows : list of dict
    config, dataset : optional
        Select rows first (see :func:`binkit.results.select`).
    metrics : sequence of str
    ddof : int, default 0

    Returns
    -------
    dict of str to (mean, sd)
    """
    chosen = select(rows, config=config, dataset=dataset)
    if not chosen:
        raise InputError(f"summary: no rows for config={config!r}, dataset={dataset!r}")
    out = {}
    for m in metrics:
        v = values(chosen, m)
        out[m] = (float(v.mean()), float(v.std(ddof=ddof)))
    return out


# ---------------------------------------------------------------------------
# two systems on the same pages: paired differences and the signed-rank test


@dataclass(frozen=True)
class PairedResult:
    """One measure of :func:`paired_comparison`: system ``a`` against system ``b`` on the same pages.

    Attributes
    ----------
    metric : str
        The measure's key, e.g. ``"fps"`` (a key of :data:`binkit.metrics.MEASURES`).
    a, b : str
        The two systems' labels.
    n : int
        Number of pages (pairs).
    mean_diff, median_diff : float
        Mean and median over the pages of the difference a − b, on the scale
        :func:`binkit.metrics.evaluate` returns (FM in %, PSNR in dB, ...).
    sd_diff : float
        Sample standard deviation (ddof = 1) of the n differences: the spread
        of the page-to-page gap, estimated from n pages.
    statistic : float
        scipy's two-sided Wilcoxon signed-rank statistic: the smaller of the
        rank sums of the positive and of the negative differences (zeros
        dropped).  0 when every difference is zero.
    pvalue : float
        Two-sided p-value, not corrected for testing several measures (use
        :func:`holm` for that).  ``nan`` when every difference is zero.
    method : str
        ``"exact"``, ``"approx"`` (normal approximation) or ``"none"`` (every
        difference zero: no test).
    zeros : int
        Number of pages with a zero difference, left out of the test.
    better : str
        ``a`` or ``b``, whichever the mean difference favours in the measure's
        direction (:attr:`binkit.metrics.Measure.higher_is_better`); ``""``
        when the mean difference is exactly zero.  A direction, not a verdict:
        read it with ``pvalue``.
    images : tuple of str
        The pages, in the order of ``rows_a``.
    differences : tuple of float
        a − b on each page of ``images``.
    """

    metric: str
    a: str
    b: str
    n: int
    mean_diff: float
    median_diff: float
    sd_diff: float
    statistic: float
    pvalue: float
    method: str
    zeros: int
    better: str
    images: tuple
    differences: tuple


def _rows_by_image(rows, config, dataset, criterium, side: str) -> dict[str, Mapping]:
    chosen = select(rows, config=config, dataset=dataset, criterium=criterium)
    if not chosen:
        raise InputError(f"{side}: no rows for config={config!r}, dataset={dataset!r}, criterium={criterium!r}")
    by_image: dict[str, Mapping] = {}
    for r in chosen:
        name = r.get("image")
        if not name:
            raise InputError(f"{side}: a row without an image name")
        if name in by_image:
            raise InputError(f"{side}: two rows for image {name!r} (several configs, datasets or criteria? "
                             "give config, dataset= or criterium=)")
        by_image[name] = r
    return by_image


def _signed_rank(d: np.ndarray) -> tuple[float, float, str, int]:
    """Two-sided Wilcoxon signed-rank test of the differences d: statistic, p-value, method, zeros dropped."""
    nonzero = d[d != 0]
    zeros = int(d.size - nonzero.size)
    if nonzero.size == 0:
        return 0.0, math.nan, "none", zeros
    # The exact null distribution counts the 2^n sign patterns of distinct ranks;
    # with tied |d| (average ranks) or many pages it no longer applies as such, and the
    # normal approximation with tie and continuity corrections is used (R's wilcox.test).
    ties = np.unique(np.abs(nonzero)).size != nonzero.size
    method = "exact" if nonzero.size <= 50 and not ties else "approx"
    if method == "exact":
        res = _st.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided", method="exact")
    else:
        res = _st.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided", method="approx",
                           correction=True)
    return float(res.statistic), float(res.pvalue), method, zeros


def paired_comparison(rows_a, rows_b, config_a: str | None = None, config_b: str | None = None,
                      metrics: Sequence[str] = ("fm", "fps", "psnr", "drd"), *, dataset=None, criterium=None,
                      labels: tuple[str, str] | None = None) -> list[PairedResult]:
    """Compare two systems page by page: paired differences and the Wilcoxon signed-rank test.

    Both systems binarized the same pages, so each page is its own control:
    a stained page that is hard for both cancels out of the difference
    a − b.  For each measure this gives the n differences, their mean,
    median and SD, and the two-sided **signed-rank** test of "the differences
    are symmetric about 0" (``scipy.stats.wilcoxon``).  binkit's reproduction
    of the paper's own tables uses the *unpaired* rank-sum test instead
    (:func:`pairwise_wilcoxon_holm`), because that is what the paper did; the
    question here is a different, paired one (same pages, two systems), for
    which the paired test is the right one and the more powerful.

    How the test is computed:

    * **zeros**: pages with a zero difference are dropped before ranking
      (``zero_method="wilcox"``, the default of scipy and of R's
      ``wilcox.test``): a tie carries no sign.  ``zeros`` says how many;
    * **p-value**: **exact** (the null distribution of all 2^n sign
      patterns) when at most 50 differences remain and no two have the same
      absolute value; otherwise the normal approximation with tie and
      continuity corrections (``method="approx", correction=True``, as R).
      With 10 pages of real-valued measures that is the exact test, whose
      smallest possible two-sided p-value is 2/2¹⁰ ≈ 0.002;
    * p-values are per measure, **not corrected** for testing several
      measures; pass them to :func:`holm` for that.

    With few pages a p-value above 0.05 does not show that the systems are
    equal: the test may simply lack the pages to see a difference.

    Parameters
    ----------
    rows_a, rows_b : iterable of dict
        Result rows (:mod:`binkit.results`) of the two systems, with ``image``
        and the measures.  They may be the same list (two configurations of
        one file) or two lists (e.g. binkit's results and the paper's,
        :func:`binkit.das2018.read_paper_results`).
    config_a, config_b : str, optional
        Keep only the rows of this configuration on each side; ``None`` keeps
        all rows.
    metrics : sequence of str, default ("fm", "fps", "psnr", "drd")
        Measures to compare: keys of :data:`binkit.metrics.MEASURES`.
    dataset : optional
        Keep only the rows of this test set on both sides (a name or an int
        year, as :func:`binkit.results.select`).
    criterium : str, optional
        Keep only the rows of this model-selection criterium on both sides.
    labels : (str, str), optional
        Names of the two systems in the results; default ``(config_a,
        config_b)``, ``"a"``/``"b"`` where a config is not given, and
        suffixed `` (a)``/`` (b)`` when the two are equal.

    Returns
    -------
    list of PairedResult
        One per measure, in the order of ``metrics``; every one has the same
        n pages, in the order of ``rows_a``.

    Raises
    ------
    InputError
        An unknown measure; no rows on a side; two rows for one image on a
        side; images on one side only (pages are matched by their ``image``
        name, e.g. ``"2016_H01"``); fewer than 2 pairs; a measure that is
        missing, ``nan`` or infinite on some page.

    Examples
    --------
    binkit's shipped f4-sf2-dyn against the paper's f4-sf2-Ldyn on H-DIBCO 2016::

        from binkit.das2018 import read_paper_results
        from binkit.gridlstm import pretrained_results
        res = paired_comparison(pretrained_results("f4-sf2-dyn"), read_paper_results(),
                                "f4-sf2-Ldyn", "f4-sf2-Ldyn", dataset="H-DIBCO 2016",
                                labels=("binkit", "paper"))
        print(format_paired(res))

    A small case by hand: a − b = 1, 2, 3, −4, 5; the negative difference has
    rank 4, so the statistic is 4, and 7 of the 32 sign patterns have a rank
    sum ≤ 4, so p = 2 · 7/32:

    >>> a = [{"image": f"p{i}", "fm": v} for i, v in enumerate([11.0, 12.0, 13.0, 6.0, 15.0])]
    >>> b = [{"image": f"p{i}", "fm": 10.0} for i in range(5)]
    >>> (r,) = paired_comparison(a, b, metrics=["fm"])
    >>> r.statistic, r.pvalue, r.method, r.better
    (4.0, 0.4375, 'exact', 'a')
    """
    metrics = list(metrics)
    if not metrics:
        raise InputError("metrics: give at least one measure")
    unknown = [m for m in metrics if m not in MEASURES]
    if unknown:
        raise InputError(f"metrics: unknown measure {unknown[0]!r}; expected keys of binkit.metrics.MEASURES "
                         f"({', '.join(MEASURES)})")
    if labels is None:
        la, lb = config_a or "a", config_b or "b"
        if la == lb:
            la, lb = f"{la} (a)", f"{lb} (b)"
    else:
        if len(labels) != 2 or labels[0] == labels[1]:
            raise InputError(f"labels: expected two different names, got {labels!r}")
        la, lb = (str(x) for x in labels)
    side_a = _rows_by_image(rows_a, config_a, dataset, criterium, "rows_a")
    side_b = _rows_by_image(rows_b, config_b, dataset, criterium, "rows_b")
    only_a = [k for k in side_a if k not in side_b]
    only_b = [k for k in side_b if k not in side_a]
    if only_a or only_b:
        parts = [f"{len(v)} image(s) only in {s} (e.g. {v[0]!r})" for s, v in (("rows_a", only_a), ("rows_b", only_b))
                 if v]
        raise InputError("images do not match: " + "; ".join(parts))
    images = list(side_a)
    if len(images) < 2:
        raise InputError(f"paired_comparison: needs at least 2 pages in common, got {len(images)}")

    out = []
    for m in metrics:
        x = np.array([float(side_a[k].get(m, math.nan)) for k in images])
        y = np.array([float(side_b[k].get(m, math.nan)) for k in images])
        for v, side in ((x, "rows_a"), (y, "rows_b")):
            bad = np.flatnonzero(~np.isfinite(v))
            if bad.size:
                raise InputError(f"{side}: {m} is {v[bad[0]]} (or missing) for image {images[bad[0]]!r}; "
                                 "the paired test needs a finite value on every page")
        d = x - y
        stat, p, method, zeros = _signed_rank(d)
        mean = float(d.mean())
        if mean == 0:
            better = ""
        else:
            better = la if (mean > 0) == MEASURES[m].higher_is_better else lb
        out.append(PairedResult(
            metric=m, a=la, b=lb, n=len(images), mean_diff=mean, median_diff=float(np.median(d)),
            sd_diff=float(d.std(ddof=1)), statistic=stat, pvalue=p, method=method, zeros=zeros, better=better,
            images=tuple(images), differences=tuple(float(v) for v in d)))
    return out


def paired_differences(results: Sequence[PairedResult]) -> list[dict]:
    """The per-page differences of :func:`paired_comparison`, one dict per page.

    Parameters
    ----------
    results : sequence of PairedResult
        One call's results (same pages in the same order).

    Returns
    -------
    list of dict
        ``{"image": name, <metric>: a − b, ...}`` per page, in the results'
        page order; the keys are measure keys, so
        :func:`binkit.results.format_table` heads and scales them as measures.
    """
    results = list(results)
    if not results:
        return []
    images = results[0].images
    if any(r.images != images for r in results):
        raise InputError("results: not all on the same pages (give the results of one paired_comparison call)")
    return [{"image": name, **{r.metric: r.differences[i] for r in results}} for i, name in enumerate(images)]


def format_paired(results: Sequence[PairedResult], *, digits: int = 2) -> str:
    """The tests of :func:`paired_comparison` as a text table, one line per measure.

    A first line names a and b; then, per measure: pairs, mean, median and SD
    of a − b (on the measure's shown scale, ``digits`` decimals), the
    signed-rank statistic W, the two-sided p-value (4 decimals), the method,
    and the side the mean difference favours.
    """
    results = list(results)
    if not results:
        return ""
    table = []
    for r in results:
        meas = MEASURES[r.metric]
        stat = int(r.statistic) if float(r.statistic).is_integer() else r.statistic
        p = "" if math.isnan(r.pvalue) else (f"{r.pvalue:.4f}" if r.pvalue >= 1e-4 else f"{r.pvalue:.1e}")
        table.append({"measure": meas.heading, "n": r.n, "mean": meas.shown(r.mean_diff),
                      "median": meas.shown(r.median_diff), "sd": meas.shown(r.sd_diff), "W": stat, "p": p,
                      "method": r.method, "better": r.better})
    heads = {"mean": "mean a−b", "median": "median a−b", "sd": "sd a−b"}
    a, b = results[0].a, results[0].b
    return (f"a = {a}, b = {b}; two-sided Wilcoxon signed-rank test per measure, zero differences dropped\n"
            + format_table(table, list(table[0]), digits=digits, headings=heads))
