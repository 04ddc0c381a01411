"""Training the surface adjuster with :func:`binkit.train.fit`.

**RECONSTRUCTED** (sections 5-7 of ``docs/hybrid_method.md``; the paper's training details were lost):

* each page is prepared once (:func:`binkit.hybrid.prepare_page`): its
  local median ``b`` and mean ``t``, its global levels, the classical
  surface fitted by the n x n B-spline ``C0``, and each pixel's node on
  the (b, t) table;
* a training sample is a random 512 x 512 tile or, for a share of them, the
  whole page (:func:`binkit.hybrid.samples.draw_sample`), optionally under
  a random change of the grey levels; it is held as two node histograms
  (ink, all pixels), so its cost does not grow with its size;
* the adjuster sees the sample (``layout="histogram"``: its (b, t)
  histogram and ``C0``; ``layout="paper"``: the 512 x 512 patch, ``C0``
  and the target planes) and returns ``dZ``; the sample's soft counts are
  the table ``S_{C0 + dZ}`` weighted by its histograms
  (:func:`binkit.hybrid.histogram.soft_counts_from_histograms`);
* loss, **per sample** then averaged, so that each tile is asked for its
  own best surface: ``(1 - FM_soft) + NRM_soft``, plus ``1e-3 mean(dZ^2) +
  1e-3 R_smooth(C) + 1e-2 R_mono(C)`` (spec 6).  Every term is a mean over
  the samples and the histogram layout has no batch norm, so under torchrun
  (each process a share of the batch, gradients averaged) the gradient is
  one process's; the paper layout's batch norm is not, and is refused there;
* the validation error is ``1 - FM`` of the hard decisions, counts pooled
  over the validation sample and read at the table's nodes.

Whole pages: :mod:`binkit.hybrid.inference`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .._errors import InputError
from .histogram import density_input, soft_counts_from_histograms
from .model import AdjusterConfig, SurfaceAdjuster, adjuster_input, histogram_input
from .samples import IntensityAugment, draw_sample
from .spline import greville_abscissae

__all__ = ["LossWeights", "HybridTask"]


@dataclass
class LossWeights:
    """Weights of the loss terms (the spec's defaults)."""

    fm: float = 1.0  # alpha
    nrm: float = 1.0  # beta
    dz: float = 1e-3  # lambda_1
    smooth: float = 1e-3  # lambda_2
    mono: float = 1e-2  # lambda_3


def _soft_scores(lut: torch.Tensor, h_ink: torch.Tensor, h_all: torch.Tensor, eps: float = 1.0):
    """Per-sample soft FM and NRM of clipped tables ``lut`` (B, 256, 256) against node histograms."""
    tp, fp, fn, tn = soft_counts_from_histograms(lut.clamp(0, 1), h_ink, h_all)
    fm = 2 * tp / (2 * tp + fp + fn + eps)
    nrm = 0.5 * (fn / (fn + tp + eps) + fp / (fp + tn + eps))
    return fm, nrm


class HybridTask:
    """:class:`binkit.train.Task` for the surface adjuster.

    Parameters
    ----------
    pages : dict
        ``{"train": [HybridPage, ...], "val": [...]}``, each with its ground truth.
    config : AdjusterConfig, optional
    loss : LossWeights, optional
    model : SurfaceAdjuster, optional
    augment : float, default 0
        Share of the training samples drawn under a random change of the
        grey levels (:class:`binkit.hybrid.samples.IntensityAugment`).
    page_share : float, default 0.25
        Share of the samples that are whole pages rather than 512 x 512
        tiles (the histogram layout only; the paper's takes patches).
    """

    def __init__(self, pages: dict, config: AdjusterConfig | None = None, loss: LossWeights | None = None,
                 model: SurfaceAdjuster | None = None, *, augment: float = 0.0, page_share: float = 0.25):
        if not pages.get("train") or not pages.get("val"):
            raise InputError("training needs at least one training page and one validation page")
        for split in ("train", "val"):
            for p in pages[split]:
                if p.gt is None:
                    raise InputError(f"{p.name}: a training page needs its ground truth")
        if not 0 <= augment <= 1 or not 0 <= page_share <= 1:
            raise InputError(f"augment={augment} and page_share={page_share} must be shares in [0, 1]")
        self.config = config or AdjusterConfig()
        if self.config.layout == "paper" and int(os.environ.get("WORLD_SIZE", "1")) > 1:
            # its BatchNorm would use each process's own batch statistics: another objective than one process's
            raise InputError("the hybrid's paper layout cannot train under torchrun (its batch norm would see "
                             "only each process's share of a batch); train it in one process, or use the "
                             "histogram layout, whose gradient is the same split across processes")
        self.pages = pages
        self.weights = loss or LossWeights()
        self.model = model or SurfaceAdjuster(self.config)
        self.augment = IntensityAugment(p=augment)
        self.page_share = page_share if self.config.layout == "histogram" else 0.0
        self.greville = torch.as_tensor(greville_abscissae(self.config.n), dtype=torch.float32)

    # -- Task protocol ---------------------------------------------------
    def batches(self, split: str, n: int, rng: np.random.Generator) -> dict:
        pages = self.pages[split]
        area = np.array([p.image.size for p in pages], float)
        which = rng.choice(len(pages), size=n, p=area / area.sum())  # large pages give more samples
        paper = self.config.layout == "paper"
        augment = self.augment if split == "train" else None  # validation: the pages as they are
        samples = [draw_sample(pages[i], rng, tile=self.config.patch, page_share=self.page_share,
                               augment=augment, n=self.config.n, with_patch=paper) for i in which]
        out = {k: np.stack([s[k] for s in samples]) for k in samples[0]}
        if not paper:
            out["density"] = density_input(out["h_all"], self.config.bins)
        return out

    def take(self, batch: dict, index) -> dict:
        return {k: v[index] for k, v in batch.items()}

    def size(self, batch: dict) -> int:
        return len(batch["c0"])

    def _tables(self, model, batch, device):
        """(S tables (B, 256, 256), dZ, heights) of a batch."""
        from .spline_torch import surface_lut_torch

        c0 = torch.as_tensor(batch["c0"], device=device)
        if self.config.layout == "paper":
            x = adjuster_input(torch.as_tensor(batch["patch"], device=device), c0, self.greville.to(device))
        else:
            x = histogram_input(torch.as_tensor(batch["density"], device=device), c0)
        dz = model(x)
        heights = c0 + dz
        return surface_lut_torch(heights), dz, heights

    def loss(self, model, batch: dict, device) -> torch.Tensor:
        from .spline_torch import monotonicity_penalty, smoothness_penalty

        lut, dz, heights = self._tables(model, batch, device)
        fm, nrm = _soft_scores(lut, torch.as_tensor(batch["h_ink"], device=device),
                               torch.as_tensor(batch["h_all"], device=device))
        w = self.weights
        return (w.fm * (1 - fm).mean() + w.nrm * nrm.mean()
                + w.dz * dz.pow(2).mean() + w.smooth * smoothness_penalty(heights).mean()
                + w.mono * monotonicity_penalty(heights).mean())

    def errors(self, model, batch: dict, device) -> tuple[int, int]:
        """(FP + FN, 2 TP + FP + FN) of the hard decisions, read at the table's nodes.

        Summed over the validation sample, their ratio is ``1 - FM`` of the
        pooled counts: the validation error follows the measure the method
        is trained for, not the pixel error (which a page with little ink
        keeps low whatever the surface does to the ink).
        """
        lut, _, _ = self._tables(model, batch, device)
        tp, fp, fn, _ = soft_counts_from_histograms((lut >= 0.5).to(lut.dtype),
                                                    torch.as_tensor(batch["h_ink"], device=device),
                                                    torch.as_tensor(batch["h_all"], device=device))
        wrong, total = float((fp + fn).sum()), float((2 * tp + fp + fn).sum())
        return int(round(wrong)), max(int(round(total)), 1)

    def describe(self) -> dict:
        return {
            "model": "hybrid",
            "config": asdict(self.config),
            "loss": asdict(self.weights),
            "augment": self.augment.p,
            "page_share": self.page_share,
            "train": [p.name for p in self.pages["train"]],
            "val": [p.name for p in self.pages["val"]],
        }
