"""Issue 32, section 3: the course's text made true of its outputs, and two new widgets (04, 10).

    python tools/course_text_edits.py                  # edits notebooks/ in place
    python tools/course_text_edits.py /tmp/nbcopy      # edits the notebooks of another folder
    python tools/course_text_edits.py --check          # says what would change, writes nothing

What it does (the review is ``course-2026-12-06.md``, sections 1 and 2):

* fixes the text that the outputs under it contradict: 00's "days on a laptop"; 01 and
  05's "P_W up to 3" and "heaviest where strokes touch"; 02's "lowest on clean paper" and
  02/08's "tuned defaults"; 03's summary of the readers' x2; 05/07's "own weight" share;
  06's best epoch; 07's "scrambled" stated as fact; 08's median and window claims and its
  missing section 2;
* adds a plain-words reading under the results nobody interpreted: 02's all-page means and
  its two extreme pages (shown by a new cell), 03's Lstat2-vs-rank-score disagreement and its
  one-sample timing bars, 04's load-dependent reference timing, 05's loss order and
  ``ink_same``, 06's training and inference times against the record, 07's pooled means and
  its "skipped" cells, 08's identical table rows and missed ink, 10's FM-up-Fps-down page;
* fixes figures from their code cells: 03's quality bars start at 0, 03 c24 without numpy's
  "Mean of empty slice" warning in quick mode, 09's 3-D fit and control net with tidy axes, 09's
  editor drawn by ``binkit.hybrid.viz.spline_editor_figure`` (errors at full width, edited
  points marked);
* inserts one widget each in 04 (``binkit.gridlstm.viz.LogitThresholdView``: where to cut the
  trained network's logits, and FM/Fps of every cut) and 10
  (``binkit.hybrid.viz.AdjustmentStrengthView``: C0 + strength * dZ, and FM/NRM of every
  strength), each with a markdown cell that says what to look for.

Every edit names its cell by nbformat id and checks, before replacing, that the cell holds the
text it expects (exactly once); an inserted cell must not exist yet.  Answer and check cells of
the exercises (nbgrader ``solution``/``grade`` marks, ``# SOLUTION`` regions) are never edited.
If any check fails, nothing is written and the script exits with status 1, listing every failure.
Files are written as they are stored (``json``, indent 1, UTF-8 unescaped, a final newline).
Code cells whose source changes keep their old outputs: re-execute the notebooks listed at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Replace:
    """In cell ``cell``, replace the one occurrence of ``old`` by ``new``."""

    cell: str
    old: str
    new: str


@dataclass(frozen=True)
class InsertAfter:
    """Insert a new cell with id ``cell`` right after the cell ``anchor``."""

    anchor: str
    cell: str
    cell_type: str  # "markdown" or "code"
    source: str


# ---------------------------------------------------------------------------
# 00 · Start here

NB00 = [
    Replace(
        "5f5741ca",
        "Training the Grid LSTM to the paper's protocol takes hours on a GPU and days on a laptop CPU. Every notebook\n"
        "runs on either:",
        "Training the Grid LSTM to the paper's protocol (201 epochs) takes hours. binkit's own run of the whole protocol\n"
        "took about 2.5 hours of training and validation on a 2-core CPU; the run behind the shipped weights, with an\n"
        "earlier version of binkit's code on another machine, took almost 5 hours for its first 51 epochs (notebook 06\n"
        "reads its record). Every notebook runs on a CPU or a GPU:",
    ),
]

# ---------------------------------------------------------------------------
# 01 · Metrics

NB01 = [
    Replace(
        "855e79e7",
        "The four headline measures do not agree on how bad that is; section 2 explains what each one\ncounts.",
        "The headline measures cannot be compared as they stand: FM and Fps are percentages, PSNR is in\n"
        "decibels, DRD, NRM and MPM are costs on scales of their own. Section 2 explains what each one counts.",
    ),
    Replace(
        "5409b8da",
        "$P_W$\nforms a halo around the text, heaviest where two strokes nearly touch.",
        "$P_W - 1$\n"
        "forms a halo around the text: 0 on the strokes, largest about a stroke width out, and 0 again beyond. Its definition\n"
        "caps $P_W - 1$ at 2 ($P_W \\le 3$), but on DIBCO pages it hardly ever goes above 1: on the ten H-DIBCO 2016 pages\n"
        "fewer than one page pixel in 10,000 does.",
    ),
    Replace(
        "67a8af0b",
        "$P_W$ (from light orange, $P_W = 1$, to full orange, $P_W = 3$),",
        "$P_W$ (from light orange, $P_W = 1$, to full orange, $P_W = 3$; real pages hardly ever go above $P_W = 2$, two thirds\n"
        "of the way),",
    ),
    Replace("51587b91", "(orange rims, darker where strokes nearly touch)", "(orange rims)"),
    Replace(
        "f93976c3",
        "costs up to three times more than far away.",
        "costs more than far away: up to twice as much on DIBCO pages (the\n  definition allows three times).",
    ),
]

# ---------------------------------------------------------------------------
# 02 · Classical methods

NB02_EXTREMES_CODE = '''\
# The two labelled pages: the scan, then each method's errors (black correct ink, orange false ink, blue missed ink)
by_name = {s.name: s for s in pages}
extremes = [int(np.argmin(gap)), int(np.argmax(gap))]       # Sauvola's best and worst page against Otsu
fig, axes = plt.subplots(len(extremes), 3, figsize=(FIGURE_WIDTH, 2.3 * len(extremes)), squeeze=False)
for row_axes, k in zip(axes, extremes):
    shown_page = by_name[results[k][0]]
    page_image, page_gt = read_image(shown_page.image_path), read_gt(shown_page.gt_path)
    step = max(1, int(np.ceil(max(page_image.shape) / 900)))   # every step-th pixel: enough to see where each fails
    row_axes[0].imshow(page_image[::step, ::step], cmap="gray", vmin=0, vmax=1)
    row_axes[0].set_title(shown_page.name)
    for ax, m in zip(row_axes[1:], METHODS):
        ax.imshow(error_overlay(binarize(page_image, m.lower(), **METHODS[m]), page_gt)[::step, ::step])
        ax.set_title(f"{m}: FM {fm[m][k]:.1f}")
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
plt.show()'''

NB02 = [
    Replace(
        "c9868a5a",
        "darker where the page is\ndarker, and lowest on clean paper, where it must stay well under the paper's grey.",
        "darker where the page is\n"
        "darker and brightest on clean paper. There Sauvola's and Wolf's surfaces stay furthest below the paper's own grey\n"
        "(on flat paper, $s \\approx 0$, both put $T$ well under the local mean: $(1 - k)\\,m$ for Sauvola), while Niblack's\n"
        "hugs the local mean wherever the paper is flat.",
    ),
    Replace(
        "3254dfa4",
        "Sauvola's and Wolf's lines drop on clean paper and rise\nnear the text, where the contrast (and so $s$) is high.",
        "Sauvola's and Wolf's lines keep well below the paper's\n"
        "grey on clean paper and come up towards the local mean near the text, where the contrast (and so $s$) is high (the\n"
        "plot does not draw the local mean; the formulas in the table say where the lines sit against it).",
    ),
    Replace(
        "6e6c6a34",
        "The defaults were chosen for the mean over all DIBCO pages, not for any one of them.",
        "binkit's defaults were not tuned on this page, nor on any one page: window 51 is where the local methods' mean\n"
        "F-measure over half of the DIBCO pages stops rising, and Sauvola's $k = 0.2$ is the value of scikit-image and DoxaPy\n"
        "([the classical methods page](../docs/methods/classical.md) shows the measurement). They are starting points, not\n"
        "tuned results.",
    ),
    Replace(
        "dd70e2b1",
        "The mean rows are much closer to each other than many single pages are; the next figure shows that spread.",
        "The mean rows are much closer to each other than many single pages are; the next figure shows that spread.\n\n"
        "In the full run on the DIBCO data (85 pages) the two methods tie: Otsu's mean FM and Sauvola's are within a quarter\n"
        "of a point of each other (the `mean all` row), each has the higher FM on about half of the pages, and Otsu has the\n"
        "higher mean in four of the seven years (2010, 2011, 2014, 2016). On average, a global threshold without a parameter is as\n"
        "good as a local method at binkit's defaults. The tie hides how differently they fail: Otsu's mean DRD is far higher,\n"
        "because on a few pages it calls whole regions ink (DRD above 100 on 2009_H05 and 2012_H05; the cells below show one\n"
        "of them). On the synthetic set, without the DIBCO data, Otsu wins most pages.",
    ),
    Replace(
        "4c73a62e",
        "names the two labelled pages, where Sauvola does best and worst against Otsu (open those two pages with\n"
        "`load_dibco` and look: what on each page defeats the method that fails there?). When a paper reports one\n"
        "mean per contest year, it is worth asking which pages carry the difference.\n\n"
        "## 5. A fixed point to check against\n\n"
        "nbval re-runs this cell and compares its output with the committed one. It uses synthetic pages only, so it\n"
        "prints the same with or without the DIBCO data, in quick mode or not.",
        "names the two labelled pages, where Sauvola does best and worst against Otsu; the next cell shows both. When a\n"
        "paper reports one mean per contest year, it is worth asking which pages carry the difference.",
    ),
    InsertAfter("4c73a62e", "f567aaba", "code", NB02_EXTREMES_CODE),
    InsertAfter(
        "f567aaba", "5da80a9c", "markdown",
        "**What this shows.** In the full run on the DIBCO data the two pages are 2012_H05 and 2014_H06, and they fail in\n"
        "opposite ways. On 2012_H05 the light falls off across the sheet, and the lower half of the page is darker than the\n"
        "upper: Otsu's one threshold lands near the page's median grey and calls about half of all pixels ink (orange), while\n"
        "Sauvola's threshold follows the shading. On 2014_H06 the ink is faint, barely darker than clean, even paper: Otsu\n"
        "finds a threshold between the two, but Sauvola's, a share $k$ below the local mean, falls under the faint strokes\n"
        "and misses most of the ink (blue). Each method fails where its own assumption breaks: Otsu's, that one grey level\n"
        "separates ink from paper everywhere on the page; Sauvola's, that ink is at least a share $k$ darker than its\n"
        "surroundings.\n\n"
        "## 5. A fixed point to check against\n\n"
        "nbval re-runs this cell and compares its output with the committed one. It uses synthetic pages only, so it\n"
        "prints the same with or without the DIBCO data, in quick mode or not.",
    ),
]

# ---------------------------------------------------------------------------
# 03 · Grid LSTM inputs

NB03 = [
    Replace(
        "05261117",
        "settings with the same $f$ and different $sf$ do exactly the same computation, and their times show how noisy.",
        "settings with the same $f$ and different $sf$ do exactly the same computation, and their times show how noisy.\n"
        "The chart below draws each footprint's $sf = 2$ time: one measurement per bar, as noisy as the table's.",
    ),
    Replace(
        "cbc286e6",
        "# sf changes no computation, so the three sf timings of one f are three measurements of the same thing\n"
        'cpu_seconds = {f: np.nanmean([r["seconds"] for r in rows if r["footprint"] == f]) for f in fs}',
        "# sf changes no computation, so the three sf timings of one f are three measurements of the same thing;\n"
        "# a footprint that was not timed (quick mode: f2 and f8) gets nan, without numpy's warning about an empty mean\n"
        "def mean_time(f):\n"
        '    timed = [r["seconds"] for r in rows if r["footprint"] == f and np.isfinite(r["seconds"])]\n'
        '    return float(np.mean(timed)) if timed else float("nan")\n\n'
        "cpu_seconds = {f: mean_time(f) for f in fs}",
    ),
    Replace(
        "538fec74",
        '        ax.barh(range(len(CONFIGS)), v, color=[PALETTE[1] if c == chosen else "0.75" for c in CONFIGS])\n'
        "        pad = 0.1 * (v.max() - v.min()) + 0.5\n"
        "        ax.set_xlim(max(0.0, v.min() - pad), v.max() + pad)",
        '        bars = ax.barh(range(len(CONFIGS)), v, color=[PALETTE[1] if c == chosen else "0.75" for c in CONFIGS])\n'
        '        ax.bar_label(bars, [f"{x:.1f}" for x in v], fontsize=7, padding=2)\n'
        "        ax.set_xlim(0, 1.25 * v.max())                 # bars from 0: their lengths compare truthfully",
    ),
    Replace(
        "d07451b6",
        "whether any of these\ndifferences is larger than the page-to-page noise is a question for statistics over all pages (notebook 07).",
        "whether any of these\ndifferences is larger than the page-to-page noise is a question for statistics over all pages (notebook 07).\n\n"
        "**Two ways of saying \"best\" disagree.** Over the 86 pages, f4-sf2-Lstat2 has the highest mean Fps and the best Fps\n"
        "on more pages than any other configuration (35 of 86, the last printed line), yet the paper's rank score (notebook\n"
        "07, section 4) puts f4-sf2-Ldyn first and Lstat2 only fifth. They count different things. A mean adds up sizes, so a\n"
        "few large wins or losses move it; \"best on most pages\" counts first places only; the rank score adds up every\n"
        "configuration's place on every page and on all four measures (FM, Fps, PSNR, DRD), so it rewards being near the top\n"
        "everywhere. Lstat2 is often first on Fps but weaker on FM (its mean FM is below Ldyn's in notebook 07's pooled\n"
        "table), and the rank score counts that too. Before calling any of them the winner, ask whether the differences are\n"
        "larger than the page-to-page noise: notebook 07 tests exactly that.",
    ),
    Replace(
        "eddf0428",
        "In the code, $\\mathbf{x}_2$ is the\n  footprint above (not the block above),",
        "In the code, $\\mathbf{x}_2$ is a\n  neighbouring footprint (not the block above),",
    ),
    Replace(
        "eddf0428",
        "each read forwards and backwards, so the bottom readers' $\\mathbf{x}_2$ is the footprint below.",
        "each read forwards and backwards. $\\mathbf{x}_2$ comes with the sequence set: the footprint above for the\n"
        "  top-left set's readers (top-left, bottom-right), the footprint below for the flipped set's (bottom-left,\n"
        "  top-right).",
    ),
]

# ---------------------------------------------------------------------------
# 04 · Grid LSTM model

NB04_WIDGET_MD = """\
### Try it: where to cut the logits

The network calls a pixel ink where its logit is $\\ge 0$, that is where its ink probability is at least 0.5. That
cut is a convention, not something training chose. The slider moves it for the shipped `f4-sf2-dyn` (trained as the
paper trains, without H-DIBCO 2016) on the whole page of section 4 (a corner of it in quick mode), scored against the
page's ground truth: left, the errors (orange false ink, blue missed ink); right, FM, Fps, recall and precision of
every cut at once, with the best FM and the best Fps marked by triangles. The logits are computed once; moving the
slider only compares them with the new cut.

**What to look for:** whether the network's own cut (the dotted line) is where FM peaks, and whether FM and Fps peak
at the same cut. A higher cut trades recall for precision; Fps forgives missed stroke outlines (notebook 01), so it
can afford a stricter cut than FM. Choosing the cut with this page's ground truth would be tuning on the test page:
notebook 10's oracle does that on purpose, as a ceiling, not as a method."""

NB04_WIDGET_CODE = '''\
# The shipped f4-sf2-dyn's logits on the page of section 4, scored against its ground truth at every cut.
import ipywidgets as widgets
from binkit.metrics import pseudo_weights
from binkit.plot import live
from binkit.gridlstm.viz import LogitThresholdView

if "f4-sf2-dyn" in shipped:
    page_gt = sample.gt if source.startswith("DIBCO") else binkit.datasets.synthetic_page(SEED, size=(300, 360)).gt
    view_image = image[:128, :192] if QUICK else image            # quick mode: 6 blocks of the page
    view_gt = page_gt[:view_image.shape[0], :view_image.shape[1]]
    t0 = time.perf_counter()
    cut_logits = page_logits(view_image, binkit.gridlstm.load_pretrained("f4-sf2-dyn"), device="cpu")
    cuts = LogitThresholdView({"f4-sf2-dyn": cut_logits}, view_gt, pseudo_weights(view_gt), title=source)
    at0, best_fm, best_fps = cuts.scores(0.0), cuts.best("fm"), cuts.best("fps")
    print(f"logits of {view_image.shape} in {time.perf_counter() - t0:.1f} s. At the network's cut 0: FM {at0['fm']:.2f}, "
          f"Fps {at0['fps']:.2f}; best FM {cuts.scores(best_fm)['fm']:.2f} at {best_fm:+.2f}, "
          f"best Fps {cuts.scores(best_fps)['fps']:.2f} at {best_fps:+.2f}")
    live(cuts.figure, threshold=widgets.FloatSlider(value=0.0, min=-8.0, max=8.0, step=0.25, description="cut",
                                                    continuous_update=False));
else:
    print("No shipped f4-sf2-dyn weights in this checkout: nothing to cut.")'''

NB04 = [
    Replace(
        "b1ef1915",
        "`page_logits` below runs up to 128 blocks together on a CPU.",
        "`page_logits` below runs up to 128 blocks together on a CPU.\n"
        "The times can also show the machine's load: if the per-step reference took *longer* for one block than for four,\n"
        "the machine was busier while it timed the one block, because the 4-block loop does all of the 1-block work and more\n"
        "(its time is one run, the 1-block time the best of three). Read every time here as a sample of the machine's load\n"
        "as much as of the code.",
    ),
    InsertAfter("8326444f", "9eeb9d69", "markdown", NB04_WIDGET_MD),
    InsertAfter("9eeb9d69", "10238c5d", "code", NB04_WIDGET_CODE),
]

# ---------------------------------------------------------------------------
# 05 · Dynamic loss

NB05 = [
    Replace(
        "5ccd711d",
        "(1 far from text, up to 3 about a stroke width away)",
        "(1 far from text, up to about 2 a stroke width away; 3 at most by definition)",
    ),
    Replace(
        "8787ad7e",
        "The dynamic loss charges the same false positives 1 far from text and up to 3 next to it.",
        "The dynamic loss charges the same false positives 1 far from text and up to about 2 next to it. Note the order\n"
        "of the three values: for the same prediction the dynamic loss is never below plain BCE, because every weight on\n"
        "the page is at least 1 ($1 + G_W$ on ink, $P_W$ on paper; only padding outside the page, in training blocks, has\n"
        "weight 0). A larger loss value says nothing about which loss trains better: they differ in *where* they push.",
    ),
    Replace(
        "9449e50c",
        "of pixels get their own weight, ",
        "of pixels get a weight of the right value, ",
    ),
    Replace(
        "e5bc383b",
        "The printed shares say how\nmuch of the page kept its own weight and how much ink was ignored; both depend on the page's shape.",
        "The first printed share\n"
        "counts the pixels whose weight still has the right *value*; it is not how many kept their own weight. Practically\n"
        "none did (fewer than one pixel in 300 on this notebook's non-square pages): the stream is re-wrapped at line\n"
        "length $H$, so a pixel keeps its own weight only by coincidence. Most of the right values lie on far paper, where\n"
        "almost every weight is 1 wherever it comes from. The second share is the ink that was ignored. Both depend on the\n"
        "page's shape.",
    ),
    Replace(
        "e5bc383b",
        "**27.6 %** of pixels receive their own weight,",
        "**27.6 %** of pixels receive a weight of the right value,",
    ),
    Replace(
        "12f214e1",
        "{s['same_weight']:.1%} own weight,",
        "{s['same_weight']:.1%} with the right value,",
    ),
    Replace(
        "47dd318d",
        "on a page like 2John about a quarter of the pixels got\ntheir own weight, the rest got a weight from elsewhere on the "
        "page, and some ink counted for nothing.",
        "on a page like 2John practically every pixel got a\n"
        "weight from elsewhere on the page (about a quarter of them, mostly far paper, one of the right value), and some ink\n"
        "counted for nothing.",
    ),
    Replace("47dd318d", "(mostly 1, some up to 3)", "(mostly 1, some up to about 2)"),
    Replace(
        "47dd318d",
        "only retraining can (exercise 5, notebook 07)",
        "only retraining can (notebook 07, section 8, gives the commands)",
    ),
    Replace(
        "ba782ef5",
        "(2John: 27.6 % in place, 7.9 % of ink at weight 0)",
        "(2John: practically no pixel keeps its own weight, only 27.6 % get one of the right value, and 7.9 % of\n"
        "  the ink gets weight 0)",
    ),
    InsertAfter(
        "2e78a370", "98f4ca3d", "markdown",
        "**What this shows.** The fixed numbers of a synthetic page. `same_weight` is the share of pixels whose scrambled\n"
        "weight has the right value, `ink_zero` the share of the ink that lands on padding (weight 0), and `ink_same` the\n"
        "share of the ink whose weight has the right value. On ink the weights vary from pixel to pixel ($1 + G_W$), so a\n"
        "right value is rarer there than on paper, where most weights are 1: `ink_same` is well below `same_weight`. Then\n"
        "come the three losses of Otsu's soft prediction for $w = 0.5$ and $w = 2$ (only the static one depends on $w$), and\n"
        "the dynamic weights' means and maximum.",
    ),
]

# ---------------------------------------------------------------------------
# 06 · Training

NB06 = [
    Replace(
        "77d47b5f",
        "the loss falls\nfast at first, as it does at the start of every run.",
        "the loss falls\nfast at first, as it does at the start of every run. On the CPU path its log also holds the epoch that section\n"
        "3's resume added to the same run folder, so the best epoch marked there can be a later one than section 2 printed.",
    ),
    Replace(
        "f2fc2e4b",
        "(MPM 0.0027 is printed as 2.70).",
        "(MPM 0.0027 is printed as 2.70).\n\n"
        "**Two times in the record.** `train_wall_seconds` is 17,749.6 s for 51 epochs, about 350 s an epoch, far more than\n"
        "section 2's estimate (the protocol's 2048 blocks per epoch divided by the speed this notebook measured). The\n"
        "record's own history shows why: its epochs without validation, the same work each time, took anywhere from 109 s\n"
        "to 927 s, so that wall time says more about what else the machine was doing than about the network. binkit's\n"
        "later run of all 201 epochs of the same command took 9,126 s, training and validation together\n"
        "(`data/training_logs/f4-sf2-dyn-long/README.md`), close to such an estimate. Likewise `inference_seconds_per_mp`\n"
        "was measured once, at export, on that day's machine; the next cell measures it again here.",
    ),
]

# ---------------------------------------------------------------------------
# 07 · Experiments

NB07 = [
    Replace(
        "40f62d6d",
        "pull the mean up. A mean per cell of the full\nmatrix, as a picture:",
        "pull the mean up.\n\n"
        "Note also the pooled table: the paper's pick, f4-sf2-Ldyn, has neither the best mean FM nor the best mean Fps of\n"
        "the eight. f4-sf1-Ldyn (88.71) and f4-sf2-L (88.46) are ahead of it on FM (88.16), and four configurations on Fps,\n"
        "f4-sf2-Lstat2 the most. Its SD is among the largest, because a few pages pull its mean down (DIBCO 2011's line in\n"
        "the first table). The paper's rank score (section 4) still puts it first: it counts places on every page, not sizes.\n"
        "Whether any of these differences is more than noise is section 3's question.\n\n"
        "A mean per cell of the full matrix, as a picture:",
    ),
    Replace(
        "1abe68a5",
        "on\nthe Doxa 2John page only 27.6 % of the pixels get their own weight and 7.9 % of the ink gets weight 0.",
        "on\nthe Doxa 2John page practically no pixel keeps its own weight (only 27.6 % even get one of the right value,\n"
        "mostly far paper) and 7.9 % of the ink gets weight 0.",
    ),
    Replace(
        "5258af1b",
        'ylabel=f"f4-sf2-Ldyn (scrambled weights), {m}"',
        'ylabel=f"f4-sf2-Ldyn (presumably scrambled), {m}"',
    ),
    Replace(
        "5258af1b",
        'print("Ldyn (scrambled) minus L, per page; for DRD lower is better")',
        'print("Ldyn (presumably scrambled) minus L, per page; for DRD lower is better")',
    ),
    Replace(
        "98675841",
        "Page by page, the scrambled $\\mathcal{L}_{dyn}$ beats",
        "Page by page, the paper's (presumably scrambled) $\\mathcal{L}_{dyn}$ beats",
    ),
    Replace(
        "98675841",
        "So even the\nscrambled re-weighting may help a little",
        "So even a\nscrambled re-weighting, if that is what it was, may help a little",
    ),
    InsertAfter(
        "0de520e2", "2b7f05e7", "markdown",
        "**When these cells print \"skipped\".** Without binkit's own experiment runs (none ship with binkit, and the\n"
        "committed run had none), section 7's whole-matrix cell and the cell above print \"skipped\", so the comparison that\n"
        "notebooks 05 and 07 build up to, aligned against scrambled weights against plain cross-entropy, is not made here.\n"
        "What the notebook does show is the paper's side: in the paper's own data its (presumably scrambled) $\\mathcal{L}_{dyn}$\n"
        "and $\\mathcal{L}$ differ little, and an unpaired test cannot see the difference. Whether *aligned* weights change\n"
        "that stays open until the three runs above exist. At the speed of binkit's full run (201 epochs in about 2.5 hours\n"
        "on a 2-core CPU), a 20-epoch run takes roughly a quarter of an hour; the full protocol, hours per run.",
    ),
]

# ---------------------------------------------------------------------------
# 08 · Logistic surface

NB08 = [
    Replace(
        "7df07bec",
        "grey levels); the last printed line says whether it does here.",
        "grey levels); the last printed line says whether it does here.\n\n"
        "## 2. The local median and mean  *(5 min)*\n\n"
        "The surface has two arguments per pixel: the background $b$, the median $M$ of the grey levels over a large window\n"
        "$w_b$, and the text value $t$, the mean $A$ over a small one, 3×3 (**RECONSTRUCTED**: the paper does not say which\n"
        "statistic uses which window). The spec's default median window is the odd number nearest $4\\,SW + 1$, with $SW$\n"
        "the page's stroke width (`default_background_window`); this notebook fixes $w_b = 31$ and prints the default\n"
        "beside it.",
    ),
    Replace(
        "f4b7e8cf",
        "The 31×31 median erases the strokes and keeps the slow changes of the paper; with a 7×7 window,",
        "The 31×31 median keeps the slow changes of the paper and removes most of each stroke, but not\n"
        "all: along dense lines of text, where ink fills much of the window, it is pulled down, and the text lines show as\n"
        "dark smudges. Under the ink the background estimate is then darker than the paper, the boundary $\\kappa M$ drops\n"
        "with it, and stroke pixels end up above it: the misses of section 4 (exercise 2 measures how far below $B_g$ the\n"
        "median sits under the ink). With a 7×7 window,",
    ),
    Replace(
        "920ccbbf",
        "which of\nthe two dominates tells you which way the fixed rule errs on this crop.",
        "which of\nthe two dominates tells you which way the fixed rule errs on this crop. On the DIBCO crop it misses about a\n"
        "third of the ink and invents almost none: a strict rule, whose misses lie where dense text pulls the median down\n"
        "(section 2).",
    ),
    Replace(
        "920ccbbf",
        "A median window smaller than about twice the stroke width lets thick strokes\n"
        "  into the background estimate and loses their centres; a larger mean window blurs thin strokes away.",
        "The larger the median window, the less the ink pulls the\n"
        "  background estimate down. Below about twice the stroke width whole strokes enter it and lose their centres; but\n"
        "  well above that, dense text still pulls it down, and on this crop recall keeps rising with the window (exercise 2\n"
        "  scans $w_b$ from 11 to 81). A larger mean window blurs thin strokes away.",
    ),
    Replace(
        "6af7577e",
        "Sauvola's $k = 0.2$ and window 51 were tuned by people on pages like these; the\nlogistic rule tunes nothing.",
        "Sauvola's window 51 and $k = 0.2$ are fixed\n"
        "choices too, made with DIBCO pages in view (the window where the local methods' mean F-measure stops rising, and the\n"
        "usual library value of $k$; notebook 02), not tuned on this page; the logistic rule takes its levels from the page\n"
        "instead.",
    ),
    Replace(
        "6af7577e",
        "Compare the variants and the swapped assignment with the main rule in the table, too: each\nis one other fixed choice.",
        "Compare the variants and the swapped assignment with the main rule in the table, too: each\n"
        "is one other fixed choice. Two pairs of rows are identical, and must be: `scaled-noise` changes only the surface's\n"
        "width, never where $S = 0.5$ lies, so it binarizes exactly like the main rule (section 4's claim about $\\sigma_n$,\n"
        "seen in the table); and `gatos` with $w_b$ 31 is `gatos_style`, one rule under two names.",
    ),
]

# ---------------------------------------------------------------------------
# 09 · B-spline surface

NB09_OLD_EDITOR = '''\
def edit_figure(selected=None, title="edited surface"):
    ink, fm, nr = score_edits()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 3.4), gridspec_kw={"width_ratios": [1, 1.7]},
                                  constrained_layout=True)
    ax.imshow(np.log1p(counts).T, origin="lower", extent=(0, 1, 0, 1), cmap="Greys")
    ax.contour(nodes, nodes, lut0.T, levels=[0.5], colors="k", linestyles="--", linewidths=1)
    ax.contour(nodes, nodes, surface_lut(C0 + DZ).T, levels=[0.5], colors="C1", linewidths=1.5)
    edited = DZ != 0
    sc = ax.scatter(XI.ravel(), YI.ravel(), c=DZ.ravel(), cmap="RdBu_r", vmin=-lim_dz, vmax=lim_dz,
                    s=np.where(edited.ravel(), 40, 8), edgecolors=np.where(edited.ravel(), "k", "0.4"),
                    linewidths=np.where(edited.ravel(), 1.2, 0.3))
    if selected is not None:
        ax.scatter([xi[selected[0]]], [xi[selected[1]]], s=110, facecolors="none", edgecolors="k", linewidths=1.5)
    fig.colorbar(sc, ax=ax, shrink=0.8, label="offset dZ")
    ax.set_xlabel("background b = M"); ax.set_ylabel("text t = A")
    ax.set_title("S = 0.5: start (black dashed), edited (orange)", fontsize=8)
    ax2.imshow(error_overlay(ink, gt)); ax2.axis("off")
    ax2.set_title(f"{title}: {int(edited.sum())} points edited\\nFM {fm:.2f} ({fm - fm0:+.2f})   "
                  f"NRM {nr:.4f} ({nr - nrm0:+.4f})", fontsize=9)
    return fig
'''

NB09_NEW_EDITOR = '''\
def edit_figure(selected=None, title="edited surface"):
    # binkit.hybrid.viz.spline_editor_figure draws it: the (b, t) plane with both boundaries and every offset (edited
    # points as large triangles, their offsets written beside them), the readout, and the crop's errors at full width
    ink, fm, nr = score_edits()
    return spline_editor_figure(counts, lut0, surface_lut(C0 + DZ), xi, DZ, ink, gt, (fm, nr), (fm0, nrm0),
                                selected=selected, title=title, lim=lim_dz, start_ink=ink0)
'''

NB09 = [
    Replace(
        "d7058cae",
        "nodes = np.linspace(0, 1, 256)\n",
        "from binkit.hybrid.viz import spline_editor_figure, tidy_3d_axes\n\nnodes = np.linspace(0, 1, 256)\n",
    ),
    Replace(
        "d7058cae",
        'ax.set_xlabel("b"); ax.set_ylabel("t"); ax.view_init(elev=30, azim=-125)\n',
        'ax.set_xlabel("b"); ax.set_ylabel("t"); ax.view_init(elev=30, azim=-125)\n'
        "    tidy_3d_axes(ax)                               # three ticks per axis, close to it: no label runs into another\n",
    ),
    Replace(
        "d7058cae",
        "    fig.colorbar(im, ax=fig.axes[1:], shrink=0.8)",
        "    fig.subplots_adjust(left=0.02, wspace=0.45)    # room between the 3-D panel and the next one's axis label\n"
        "    fig.colorbar(im, ax=fig.axes[1:], shrink=0.8)",
    ),
    Replace(
        "1ce28b51",
        'ax.set_xlabel("b"); ax.set_ylabel("t"); ax.view_init(elev=25, azim=-125)\n',
        'ax.set_xlabel("b"); ax.set_ylabel("t"); ax.view_init(elev=25, azim=-125)\ntidy_3d_axes(ax)\n',
    ),
    Replace("86eef36c", NB09_OLD_EDITOR, NB09_NEW_EDITOR),
    Replace(
        "2fc59877",
        "The figure shows every offset (colour of the control points; edited\n"
        "points are large with a black rim, the selected one is ringed), the start and the edited boundary, and the crop's\n"
        "errors with FM and NRM against the start.",
        "The figure shows, top left, the start and the\n"
        "edited boundary and every control point: edited points are large triangles (pointing up for a raised point, down\n"
        "for a lowered one) with their offsets written beside them, and the selected point is ringed. Top right: FM and NRM\n"
        "against the start, how many pixels the edits turned into ink or out of it, and the largest edits. Below, at the\n"
        "figure's full width, the crop's errors: orange false ink, blue missed ink.",
    ),
]

# ---------------------------------------------------------------------------
# 10 · Hybrid training

NB10_WIDGET_MD = """\
### Try it: how far to move the surface

The adjuster's output $\\Delta Z$ is a direction in which to move the 256 heights. The slider scales it: the heights are
$C_0 + s\\,\\Delta Z$, so strength $s = 0$ is the classical start, 1 the trained adjuster's surface, 2 twice its change.
Left, the window of this page where the adjustment changes the most pixels (orange false ink, blue missed ink); right,
the whole page's FM and NRM at every strength, with the oracle's as dashed lines. What does not depend on the slider
(each pixel's $(b, t)$, grouped into the page's distinct pairs) is computed once, so a move only evaluates one surface.

**What to look for:** whether FM is highest at strength 1, the network's own answer, or elsewhere, and whether FM and
NRM agree on the best strength. The adjuster was trained on soft FM and NRM over many pages (section 2), not on this
page's FM alone, so neither curve has to peak at 1 here."""

NB10_WIDGET_CODE = '''\
# C0 + strength * dZ on the page of this section: FM and NRM at every strength, and the errors at the one chosen
import ipywidgets as widgets
from binkit import plot
from binkit.hybrid.viz import AdjustmentStrengthView

strength_view = AdjustmentStrengthView(tp, heights - tp.c0, oracle=oracle_of[name])
fm_curve = [c["fm"] for c in strength_view.curve]
k_best = int(np.argmax(fm_curve))
print(f"{name}: FM at strength 0 (the start) {strength_view.start['fm']:.2f}, at 1 (the adjuster) "
      f"{strength_view.cnn['fm']:.2f}, highest {fm_curve[k_best]:.2f} at {strength_view.strengths[k_best]:.2f}; "
      f"the oracle {strength_view.oracle['fm']:.2f}")
plot.live(strength_view.figure, strength=widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05,
                                                              description="strength", continuous_update=False));'''

NB10 = [
    InsertAfter("fcb6cc9c", "bb7472e1", "markdown", NB10_WIDGET_MD),
    InsertAfter("bb7472e1", "1da56718", "code", NB10_WIDGET_CODE),
    Replace(
        "b69417b9",
        "such as a stain as dark as the ink on the same background.",
        "such as a stain as dark as the ink on the same background.\n\n"
        "On 2016_H01, the first page of the full run, the hybrid gains FM over its start but loses about a point of Fps.\n"
        "Checked against the page's pseudo-F weights: about three quarters of the ink it found is stroke outline, which the\n"
        "pseudo-recall does not count ($G_W = 0$ there, notebook 01), and most of the false ink it added lies in the halo\n"
        "around the strokes, which the pseudo-precision charges extra. A surface trained on soft FM and NRM has no reason to\n"
        "spare that halo.",
    ),
]

EDITS: dict[str, list] = {
    "00_start_here.ipynb": NB00,
    "01_metrics.ipynb": NB01,
    "02_classical.ipynb": NB02,
    "03_gridlstm_inputs.ipynb": NB03,
    "04_gridlstm_model.ipynb": NB04,
    "05_dynamic_loss.ipynb": NB05,
    "06_training.ipynb": NB06,
    "07_experiments.ipynb": NB07,
    "08_logistic_surface.ipynb": NB08,
    "09_bspline_surface.ipynb": NB09,
    "10_hybrid_training.ipynb": NB10,
}


# ---------------------------------------------------------------------------
# applying them


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    """nbformat's list form: lines with their newline, the last one without."""
    return text.splitlines(keepends=True)


def _is_exercise_code(cell: dict) -> bool:
    marks = cell.get("metadata", {}).get("nbgrader", {}) or {}
    src = _source(cell)
    return bool(marks.get("solution") or marks.get("grade") or "# SOLUTION" in src or "BEGIN SOLUTION" in src)


def _new_cell(cell_id: str, cell_type: str, source: str) -> dict:
    if cell_type == "code":
        return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {}, "outputs": [],
                "source": _lines(source)}
    if cell_type == "markdown":
        return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _lines(source)}
    raise ValueError(f"cell type {cell_type!r}")


def apply(nb: dict, edits: list) -> tuple[list[str], list[str], list[str]]:
    """Apply ``edits`` to ``nb`` in place; returns (problems, done, code cells whose source changed)."""
    problems, done, code_changed = [], [], []
    for e in edits:
        ids = [c.get("id") for c in nb["cells"]]
        if isinstance(e, Replace):
            if e.cell not in ids:
                problems.append(f"cell {e.cell}: not found")
                continue
            cell = nb["cells"][ids.index(e.cell)]
            if _is_exercise_code(cell):
                problems.append(f"cell {e.cell}: an exercise answer or check cell, not edited here")
                continue
            src = _source(cell)
            n = src.count(e.old)
            if n != 1:
                already = e.new in src
                problems.append(f"cell {e.cell}: expected text found {n} times"
                                + (" (the new text is already there: applied before?)" if already else "")
                                + f": {e.old[:70]!r}...")
                continue
            cell["source"] = _lines(src.replace(e.old, e.new))
            done.append(f"{e.cell} ({cell['cell_type']}): replaced {e.old[:50]!r}...")
            if cell["cell_type"] == "code" and e.cell not in code_changed:
                code_changed.append(e.cell)
        elif isinstance(e, InsertAfter):
            if e.cell in ids:
                problems.append(f"cell {e.cell}: already exists (applied before?)")
                continue
            if e.anchor not in ids:
                problems.append(f"insert {e.cell}: anchor cell {e.anchor} not found")
                continue
            nb["cells"].insert(ids.index(e.anchor) + 1, _new_cell(e.cell, e.cell_type, e.source))
            done.append(f"{e.cell} ({e.cell_type}): inserted after {e.anchor}")
            if e.cell_type == "code":
                code_changed.append(e.cell)
        else:
            raise TypeError(e)
    return problems, done, code_changed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", nargs="?", default=str(ROOT / "notebooks"), help="folder of the notebooks (default: notebooks/)")
    ap.add_argument("--check", action="store_true", help="check every edit and report; write nothing")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    results, problems = {}, []
    for name, edits in EDITS.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: not found in {folder}")
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        bad, done, code_changed = apply(nb, edits)
        problems += [f"{name}: {p}" for p in bad]
        results[name] = (path, nb, done, code_changed)
    for name, (_, _, done, _) in results.items():
        for d in done:
            print(f"{name}: {d}")
    if problems:
        print(f"\n{len(problems)} edit(s) cannot be applied; nothing was written:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    if args.check:
        print("\n--check: every edit applies; nothing written")
        return 0
    for path, nb, _, _ in results.values():
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    rerun = [name for name, r in results.items() if r[3]]
    print(f"\nwritten: {len(results)} notebooks in {folder}")
    print("code cells changed or added (re-execute these notebooks):",
          ", ".join(f"{n} ({', '.join(results[n][3])})" for n in rerun))
    return 0


if __name__ == "__main__":
    sys.exit(main())
