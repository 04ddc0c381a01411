"""Tests for binkit.stats: the paper's Tables II, III, IV and post-hoc statements, plus small hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from binkit import InputError
from binkit.das2018 import PAPER_CONFIGS, PAPER_EXPERIMENTS, read_paper_results
from binkit.metrics import MEASURES as MEASURE_TABLE
from binkit.stats import (
    LOWER_IS_BETTER,
    format_paired,
    format_pairwise,
    friedman,
    holm,
    metric_matrix,
    paired_comparison,
    paired_differences,
    pairwise_wilcoxon_holm,
    rank_score,
    summary,
)

MEASURES = ("fm", "fps", "psnr", "drd")


@pytest.fixture(scope="module")
def paper():
    return read_paper_results()  # the copy shipped with binkit


# --- paper Table II: Friedman chi² per experiment and measure ------------------------------

TABLE_II = {
    "footprint": (86.116, 80.023, 82.977, 76.256),
    "scale": (6.023, 4.465, 5.512, 4.256),
    "loss": (25.409, 81.516, 27.028, 16.995),
}


@pytest.mark.parametrize("experiment", list(TABLE_II))
def test_table_ii_friedman(paper, experiment):
    configs = PAPER_EXPERIMENTS[experiment]
    for metric, expected in zip(MEASURES, TABLE_II[experiment]):
        res = friedman(paper, configs, metric)
        assert round(res.statistic, 3) == expected, (experiment, metric)
        assert res.n_blocks == 86 and res.df == len(configs) - 1


def test_table_ii_pvalues(paper):
    assert round(friedman(paper, PAPER_EXPERIMENTS["scale"], "fm").pvalue, 3) == 0.049
    assert round(friedman(paper, PAPER_EXPERIMENTS["loss"], "drd").pvalue, 4) == 0.0007
    # the other scale measures are not significant
    assert all(friedman(paper, PAPER_EXPERIMENTS["scale"], m).pvalue > 0.05 for m in ("fps", "psnr", "drd"))


def test_friedman_matrix_input_and_unpacking(paper):
    m, images = metric_matrix(paper, PAPER_EXPERIMENTS["footprint"], "fm")
    assert m.shape == (86, 3) and len(images) == 86
    chi2, p = friedman(m)
    assert round(chi2, 3) == 86.116
    assert p == pytest.approx(st.friedmanchisquare(*m.T).pvalue)


# --- post-hoc: pairwise Wilcoxon rank-sum + Holm --------------------------------------------


def _pairs(results):
    return {frozenset((r.a, r.b)): r for r in results}


def test_posthoc_footprint(paper):
    f2, f4, f8 = PAPER_EXPERIMENTS["footprint"]
    for metric in MEASURES:
        res = _pairs(pairwise_wilcoxon_holm(paper, PAPER_EXPERIMENTS["footprint"], metric))
        assert res[frozenset((f2, f8))].significant, metric
        assert res[frozenset((f4, f8))].significant, metric
        assert not res[frozenset((f2, f4))].significant, metric
        assert all(r.method == "asymptotic" for r in res.values())  # n = 86 > 50: R's normal approximation


def test_posthoc_scale(paper):
    for metric in MEASURES:
        res = pairwise_wilcoxon_holm(paper, PAPER_EXPERIMENTS["scale"], metric)
        assert len(res) == 3 and not any(r.significant for r in res), metric


def test_posthoc_loss_fps(paper):
    res = _pairs(pairwise_wilcoxon_holm(paper, PAPER_EXPERIMENTS["loss"], "fps"))
    assert len(res) == 6
    half, two, dyn, plain = "f4-sf2-Lstat0.5", "f4-sf2-Lstat2", "f4-sf2-Ldyn", "f4-sf2-L"
    r = res[frozenset((half, two))]
    assert r.significant and round(r.p_adjusted, 4) == 0.0048
    r = res[frozenset((half, dyn))]
    assert r.significant and round(r.p_adjusted, 4) == 0.0265
    # the paper says L_stat^0.5 is worse than the other three; against plain L it does not survive Holm
    r = res[frozenset((half, plain))]
    assert round(r.pvalue, 4) == 0.0147 and r.pvalue < 0.05
    assert round(r.p_adjusted, 3) == 0.059 and not r.significant
    assert sum(r.significant for r in res.values()) == 2
    text = format_pairwise(list(res.values()))
    assert "p_holm" in text and text.count("*") == 2


def test_posthoc_matches_mannwhitneyu(paper):
    """Raw p-values are scipy's Mann–Whitney U, normal approximation with continuity correction."""
    a, b = "f4-sf2-L", "f4-sf2-Lstat0.5"
    x = [r["fps"] for r in paper if r["config"] == a]
    y = [r["fps"] for r in paper if r["config"] == b]
    ref = st.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    (r,) = pairwise_wilcoxon_holm(paper, [a, b], "fps")
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-12) and r.statistic == ref.statistic
    assert r.p_adjusted == r.pvalue  # one pair: nothing to correct


# --- rank-sum on tiny inputs: R's wilcox.test defaults --------------------------------------


def test_rank_sum_exact_matches_r():
    # R: wilcox.test(x, y)  ->  W = 35, p-value = 0.2544  (?wilcox.test example, two-sided)
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    m = np.full((10, 2), np.nan)
    m[:, 0], m[:5, 1] = x, y  # unequal sizes: nan is dropped, as R does
    (r,) = pairwise_wilcoxon_holm(m, ["x", "y"])
    assert r.statistic == 35 and r.method == "exact"
    assert round(r.pvalue, 4) == 0.2544


def test_rank_sum_with_ties_uses_corrected_normal_approximation():
    x = np.array([1, 2, 2, 3, 4, 5, 5, 6], float)
    y = np.array([3, 4, 5, 6, 6, 7, 8, 8], float)
    (r,) = pairwise_wilcoxon_holm(np.column_stack([x, y]), ["x", "y"])
    assert r.method == "asymptotic"  # ties: R falls back to the normal approximation
    # by hand: U, tie-corrected sigma, continuity correction 0.5
    n1, n2 = len(x), len(y)
    ranks = st.rankdata(np.concatenate([x, y]))
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    _, t = np.unique(np.concatenate([x, y]), return_counts=True)
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - (t**3 - t).sum() / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    assert r.statistic == u
    assert r.pvalue == pytest.approx(2 * st.norm.sf(z), rel=1e-12)


def test_paired_option_differs(paper):
    """The paired signed-rank test (not the paper's) is available for comparison."""
    res = pairwise_wilcoxon_holm(paper, PAPER_EXPERIMENTS["footprint"], "fps", paired=True)
    assert {r.method for r in res} == {"signed-rank"}
    x, y = (np.array([r["fps"] for r in paper if r["config"] == c]) for c in ("f2-sf2-Ldyn", "f4-sf2-Ldyn"))
    assert res[0].pvalue == pytest.approx(st.wilcoxon(x, y).pvalue)
    # the paired test would call sf2 vs sf4 significant on FM, which the paper says no scale pair is
    scale = pairwise_wilcoxon_holm(paper, PAPER_EXPERIMENTS["scale"], "fm", paired=True)
    assert [(r.a, r.b) for r in scale if r.significant] == [("f4-sf2-Ldyn", "f4-sf4-Ldyn")]


# --- Holm ------------------------------------------------------------------------------------


def test_holm_known_values():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm")
    np.testing.assert_allclose(holm([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.08, 0.09, 0.09, 0.09])
    # order is kept, and adjusted values never exceed 1
    np.testing.assert_allclose(holm([0.04, 0.001, 0.6]), [0.08, 0.003, 0.6])
    np.testing.assert_allclose(holm([0.5, 0.4, 0.3]), [0.9, 0.9, 0.9])
    np.testing.assert_allclose(holm([0.9, 0.8]), [1.0, 1.0])


def test_holm_step_down_monotone():
    # 0.012 * 2 = 0.024 would be smaller than the previous 0.01 * 3 = 0.03: the step-down keeps 0.03
    np.testing.assert_allclose(holm([0.01, 0.012, 0.2]), [0.03, 0.03, 0.2])


def test_holm_nan_and_edges():
    out = holm([0.03, np.nan, 0.01])  # R: nan stays nan and is not counted (m = 2)
    assert math.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.03, 0.02])
    assert holm([]).shape == (0,)
    with pytest.raises(InputError):
        holm([1.5])


# --- paper Table III: rank score --------------------------------------------------------------

TABLE_III = {
    "f4-sf2-Ldyn": 1158, "f4-sf1-Ldyn": 1269, "f4-sf2-L": 1368, "f4-sf4-Ldyn": 1381,
    "f4-sf2-Lstat2": 1454, "f2-sf2-Ldyn": 1474, "f4-sf2-Lstat0.5": 1780, "f8-sf2-Ldyn": 2500,
}


def test_table_iii_rank_score(paper):
    score = rank_score(paper, list(PAPER_CONFIGS.values()))
    assert score == TABLE_III
    assert sum(score.values()) == 86 * 4 * 8 * 9 / 2  # every image and measure hands out ranks 1..8
    assert sorted(score, key=score.get) == list(TABLE_III)


def test_rank_score_tiny_with_ties():
    rows = []
    table = {  # image: {config: (fm, drd)}
        "i1": {"a": (90, 1.0), "b": (80, 2.0), "c": (70, 3.0)},
        "i2": {"a": (50, 5.0), "b": (50, 5.0), "c": (60, 1.0)},  # a and b tie on both
    }
    for img, cs in table.items():
        for c, (fm, drd) in cs.items():
            rows.append({"config": c, "dataset": "t", "image": img, "fm": fm, "drd": drd})
    # fm: i1 a1 b2 c3; i2 c1, a and b share ranks 2 and 3 -> 2.5 each
    assert rank_score(rows, ["a", "b", "c"], metrics=("fm",)) == {"a": 3.5, "b": 4.5, "c": 4.0}
    # drd is ranked ascending (lower is better): i1 a1 b2 c3; i2 c1, a 2.5, b 2.5
    assert rank_score(rows, ["a", "b", "c"], metrics=("drd",)) == {"a": 3.5, "b": 4.5, "c": 4.0}
    assert rank_score(rows, ["a", "b", "c"], metrics=("fm", "drd")) == {"a": 7.0, "b": 9.0, "c": 8.0}
    # a matrix with one metric
    assert rank_score(np.array([[1.0, 2.0], [3.0, 3.0]]), ["x", "y"], metrics=("fm",)) == {"x": 3.5, "y": 2.5}


def test_matrix_checks():
    rows = [{"config": "a", "dataset": "t", "image": "i1", "fm": 1.0},
            {"config": "b", "dataset": "t", "image": "i2", "fm": 1.0}]
    with pytest.raises(InputError, match="no result"):
        metric_matrix(rows, ["a", "b"], "fm")
    with pytest.raises(InputError, match="no rows"):
        metric_matrix(rows, ["a", "z"], "fm")
    with pytest.raises(InputError, match="two rows"):
        metric_matrix(rows + [dict(rows[0])], ["a"], "fm")
    with pytest.raises(InputError, match="at least 3"):
        friedman(np.ones((5, 2)))
    with pytest.raises(InputError, match="nan"):
        friedman(np.array([[1.0, 2.0, np.nan], [1.0, 2.0, 3.0]]))


# --- paper Table IV: mean ± population SD ------------------------------------------------------


def test_table_iv_summary(paper):
    s = summary(paper, "f4-sf2-Ldyn", "H-DIBCO 2016")
    assert {m: (round(mu, 2), round(sd, 2)) for m, (mu, sd) in s.items()} == {
        "fm": (88.79, 4.80), "fps": (92.53, 4.20), "psnr": (18.43, 3.11), "drd": (3.98, 1.85)}
    # the sample SD (ddof=1) is not what the paper printed
    s1 = summary(paper, "f4-sf2-Ldyn", 2016, ddof=1)
    assert [round(s1[m][1], 2) for m in MEASURES] == [5.06, 4.43, 3.28, 1.95]
    with pytest.raises(InputError):
        summary(paper, "nope", 2016)


def test_lower_is_better_follows_the_measure_table():
    assert LOWER_IS_BETTER == {"drd", "nrm", "mpm"}
    assert LOWER_IS_BETTER == {k for k, m in MEASURE_TABLE.items() if not m.higher_is_better}


def test_rank_direction_of_nrm():
    """NRM is an error rate: the configuration with the smaller one ranks first."""
    rows = [{"config": c, "dataset": "t", "image": f"i{i}", "nrm": v + 0.01 * i}
            for i in range(3) for c, v in (("a", 0.02), ("b", 0.05), ("c", 0.03))]
    assert rank_score(rows, ["a", "b", "c"], metrics=("nrm",)) == {"a": 3.0, "b": 9.0, "c": 6.0}
    assert list(friedman(rows, ["a", "b", "c"], "nrm").mean_ranks) == [1.0, 3.0, 2.0]


# --- paired comparison of two systems on the same pages -------------------------------------------


def _pages(values, metric="fm", config="x", prefix="p"):
    return [{"config": config, "dataset": "t", "image": f"{prefix}{i:02d}", metric: float(v)}
            for i, v in enumerate(values)]


def test_paired_comparison_by_hand():
    # a - b = 1, 2, 3, -4, 5: the negative difference has rank 4, so W = min(11, 4) = 4; of the
    # 2^5 = 32 sign patterns, 7 have a rank sum <= 4 ({}, 1, 2, 3, 4, 1+2, 1+3): p = 2 * 7/32
    (r,) = paired_comparison(_pages([11, 12, 13, 6, 15]), _pages([10] * 5), "x", "x", metrics=["fm"])
    assert (r.n, r.statistic, r.pvalue, r.method, r.zeros) == (5, 4.0, 0.4375, "exact", 0)
    assert r.mean_diff == pytest.approx(1.4) and r.median_diff == 2.0
    assert r.sd_diff == pytest.approx(math.sqrt(45.2 / 4))  # sample SD: sum of squared deviations / (n - 1)
    assert r.better == "x (a)" and (r.a, r.b) == ("x (a)", "x (b)")  # same config name on both sides
    assert r.differences == (1.0, 2.0, 3.0, -4.0, 5.0) and r.images == tuple(f"p{i:02d}" for i in range(5))


def test_paired_comparison_direction_and_smallest_p():
    # a has the larger DRD on all 10 pages: the worse side; W = 0, exact p = 2 / 2^10
    (r,) = paired_comparison(_pages(np.arange(10) + 3.0, "drd"), _pages([1.0] * 10, "drd"), metrics=["drd"],
                             labels=("mine", "theirs"))
    assert r.statistic == 0 and r.pvalue == 2 / 1024 and r.method == "exact"
    assert r.better == "theirs" and r.mean_diff > 0


def test_paired_comparison_drops_zero_differences():
    # a - b = 0, 1, 3, -4, 5: the zero is dropped; on the 4 left, W = 3 (rank of -4) and
    # 5 of 16 patterns have a rank sum <= 3 ({}, 1, 2, 3, 1+2): p = 2 * 5/16
    (r,) = paired_comparison(_pages([10, 11, 13, 6, 15]), _pages([10] * 5), metrics=["fm"])
    assert (r.a, r.b, r.better) == ("a", "b", "a")  # no configs given: plain a and b
    assert (r.zeros, r.statistic, r.pvalue, r.method) == (1, 3.0, 0.625, "exact")
    assert r.n == 5 and r.mean_diff == pytest.approx(1.0)  # the zero still counts in the description


def test_paired_comparison_ties_use_scipy_normal_approximation():
    d = np.array([1.0, 1.0, 2.0, -3.0, 4.0, 4.0, 5.0, -0.5])  # tied |d|: no exact distribution
    (r,) = paired_comparison(_pages(10 + d, "psnr"), _pages([10] * d.size, "psnr"), metrics=["psnr"])
    ref = st.wilcoxon(d, zero_method="wilcox", method="approx", correction=True)
    assert r.method == "approx"
    assert r.statistic == ref.statistic and r.pvalue == pytest.approx(ref.pvalue, rel=1e-12)


def test_paired_comparison_all_equal_is_no_test():
    (r,) = paired_comparison(_pages([5, 6, 7]), _pages([5, 6, 7]), metrics=["fm"])
    assert r.method == "none" and math.isnan(r.pvalue) and r.zeros == 3 and r.better == ""
    assert r.mean_diff == 0 and r.sd_diff == 0


def test_paired_comparison_binkit_against_paper_matches_scipy(paper):
    """binkit's shipped f4-sf2-dyn against the paper's f4-sf2-Ldyn: pages matched by name, not by file order."""
    from binkit.gridlstm import pretrained_results

    ours = pretrained_results("f4-sf2-dyn")
    res = paired_comparison(ours, paper, "f4-sf2-Ldyn", "f4-sf2-Ldyn", dataset="H-DIBCO 2016",
                            labels=("binkit", "paper"))
    assert [r.metric for r in res] == list(MEASURES)
    a = {r["image"]: r for r in ours if r["config"] == "f4-sf2-Ldyn"}
    b = {r["image"]: r for r in paper if r["config"] == "f4-sf2-Ldyn" and r["dataset"] == "H-DIBCO 2016"}
    assert list(b)[:2] == ["2016_H01", "2016_H10"]  # the paper's file order differs from binkit's
    names = sorted(a)
    assert res[0].images == tuple(names) and len(names) == 10
    for r in res:
        x = np.array([a[k][r.metric] for k in names])
        y = np.array([b[k][r.metric] for k in names])
        ref = st.wilcoxon(x, y)  # scipy's default on 10 distinct nonzero differences: the exact test
        assert r.method == "exact" and r.n == 10
        assert r.statistic == ref.statistic and r.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
        assert r.mean_diff == pytest.approx(np.mean(x - y)) and r.sd_diff == pytest.approx(np.std(x - y, ddof=1))
        worse_mean = r.mean_diff < 0 if MEASURE_TABLE[r.metric].higher_is_better else r.mean_diff > 0
        assert r.better == ("paper" if worse_mean else "binkit")
    table = paired_differences(res)
    assert [t["image"] for t in table] == names and table[0]["fm"] == res[0].differences[0]
    text = format_paired(res)
    assert text.splitlines()[0].startswith("a = binkit, b = paper")
    assert [line.split()[0] for line in text.splitlines()[3:]] == ["FM", "Fps", "PSNR", "DRD"]


def test_paired_comparison_selects_config_and_dataset():
    rows = _pages([1, 2, 3], config="x") + _pages([0, 0, 0], config="y") + [
        {"config": "x", "dataset": "other", "image": "q01", "fm": 9.0}]
    (r,) = paired_comparison(rows, rows, "x", "y", metrics=["fm"], dataset="t")
    assert r.differences == (1.0, 2.0, 3.0) and (r.a, r.b) == ("x", "y")


def test_paired_comparison_refuses_bad_input():
    a, b = _pages([1, 2, 3]), _pages([0, 0, 0])
    with pytest.raises(InputError, match="only in rows_b"):
        paired_comparison(a[:2], b, metrics=["fm"])
    with pytest.raises(InputError, match="only in rows_a"):
        paired_comparison(a, _pages([0, 0, 0], prefix="q"), metrics=["fm"])
    with pytest.raises(InputError, match="at least 2"):
        paired_comparison(a[:1], b[:1], metrics=["fm"])
    with pytest.raises(InputError, match="nan"):
        paired_comparison(_pages([1, np.nan, 3]), b, metrics=["fm"])
    with pytest.raises(InputError, match="inf"):
        paired_comparison(_pages([1, 2, 3], "drd"), _pages([0, np.inf, 0], "drd"), metrics=["drd"])
    with pytest.raises(InputError, match="missing"):
        paired_comparison(a, b, metrics=["psnr"])  # no psnr in the rows
    with pytest.raises(InputError, match="two rows for image"):
        paired_comparison(a + a[:1], b, metrics=["fm"])
    with pytest.raises(InputError, match="unknown measure"):
        paired_comparison(a, b, metrics=["f-measure"])
    with pytest.raises(InputError, match="rows_b: no rows"):
        paired_comparison(a, b, "x", "nope", metrics=["fm"])
    with pytest.raises(InputError, match="labels"):
        paired_comparison(a, b, metrics=["fm"], labels=("same", "same"))


def test_paired_comparison_docstring_example():
    import doctest

    import binkit.stats

    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(binkit.stats.paired_comparison, "paired_comparison"):
        runner.run(test)
    assert runner.summarize(verbose=False).attempted > 0 and runner.summarize(verbose=False).failed == 0
