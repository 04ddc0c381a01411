"""Training the surface adjuster with :func:`binkit.train.fit`, and whole-page hybrid binarization.

**RECONSTRUCTED** (sections 5-7 of ``docs/hybrid_method.md``; the paper's training details were lost):

* each page is prepared once: its local median ``b`` and mean ``t``, its
  global levels, the classical surface sampled on 256 x 256 and fitted by
  the n x n B-spline ``C0`` (:func:`prepare_page`);
* a training sample is a random 512 x 512 crop (reflect-padded when the page
  is smaller; padded pixels are masked out of the loss), flipped left-right
  at random.  The spec's gamma augmentation is left out: it would need ``b``
  and ``t`` recomputed for every crop;
* the adjuster sees the crop, ``C0`` and the target planes, and returns
  ``dZ``; the crop's soft text map is ``S_{C0 + dZ}(b, t)`` read from the
  surface's lookup table;
* loss (spec 6): ``(1 - FM_soft) + NRM_soft + 1e-3 mean(dZ^2) +
  1e-3 R_smooth(C) + 1e-2 R_mono(C)``, counts summed over the batch;
* the validation error is the hard decision's pixel error on the crops.

Whole pages: :mod:`binkit.hybrid.inference`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .._errors import InputError
from .inference import _crop
from .losses import soft_fmeasure, soft_nrm
from .model import AdjusterConfig, SurfaceAdjuster, adjuster_input
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


class HybridTask:
    """:class:`binkit.train.Task` for the surface adjuster."""

    def __init__(self, pages: dict, config: AdjusterConfig | None = None, loss: LossWeights | None = None,
                 model: SurfaceAdjuster | None = None):
        if not pages.get("train") or not pages.get("val"):
            raise InputError("training needs at least one training page and one validation page")
        for split in ("train", "val"):
            for p in pages[split]:
                if p.gt is None:
                    raise InputError(f"{p.name}: a training page needs its ground truth")
        self.pages = pages
        self.config = config or AdjusterConfig()
        self.weights = loss or LossWeights()
        self.model = model or SurfaceAdjuster(self.config)
        self.greville = torch.as_tensor(greville_abscissae(self.config.n), dtype=torch.float32)

    # -- Task protocol ---------------------------------------------------
    def batches(self, split: str, n: int, rng: np.random.Generator) -> dict:
        pages = self.pages[split]
        size = self.config.patch
        area = np.array([p.image.size for p in pages], float)
        which = rng.choice(len(pages), size=n, p=area / area.sum())  # large pages give more crops
        keys = ("patch", "b", "t", "gt", "mask")
        out = {k: np.empty((n, size, size), np.float32 if k in ("patch", "b", "t") else bool) for k in keys}
        out["c0"] = np.empty((n, self.config.n, self.config.n), np.float32)
        for k, i in enumerate(which):
            page = pages[i]
            h, w = page.image.shape
            top = int(rng.integers(0, max(1, h - size + 1)))
            left = int(rng.integers(0, max(1, w - size + 1)))
            flip = bool(rng.integers(2))
            for key, arr in zip(keys, _crop(page, top, left, size, flip)):
                out[key][k] = arr
            out["c0"][k] = page.c0
        return out

    def take(self, batch: dict, index) -> dict:
        return {k: v[index] for k, v in batch.items()}

    def size(self, batch: dict) -> int:
        return len(batch["patch"])

    def _prob(self, model, batch, device):
        from .spline_torch import lookup_torch, surface_lut_torch

        patch = torch.as_tensor(batch["patch"], device=device)
        c0 = torch.as_tensor(batch["c0"], device=device)
        dz = model(adjuster_input(patch, c0, self.greville.to(device)))
        heights = c0 + dz
        prob = lookup_torch(surface_lut_torch(heights), torch.as_tensor(batch["b"], device=device),
                            torch.as_tensor(batch["t"], device=device))
        return prob, dz, heights

    def loss(self, model, batch: dict, device) -> torch.Tensor:
        from .spline_torch import monotonicity_penalty, smoothness_penalty

        prob, dz, heights = self._prob(model, batch, device)
        gt = torch.as_tensor(batch["gt"], device=device)
        mask = torch.as_tensor(batch["mask"], device=device)
        w = self.weights
        return (w.fm * (1 - soft_fmeasure(prob, gt, mask)) + w.nrm * soft_nrm(prob, gt, mask)
                + w.dz * dz.pow(2).mean() + w.smooth * smoothness_penalty(heights).mean()
                + w.mono * monotonicity_penalty(heights).mean())

    def errors(self, model, batch: dict, device) -> tuple[int, int]:
        prob, _, _ = self._prob(model, batch, device)
        gt = torch.as_tensor(batch["gt"], device=device)
        mask = torch.as_tensor(batch["mask"], device=device)
        wrong = ((prob >= 0.5) != gt) & mask
        return int(wrong.sum()), int(mask.sum())

    def describe(self) -> dict:
        return {
            "model": "hybrid",
            "config": asdict(self.config),
            "loss": asdict(self.weights),
            "train": [p.name for p in self.pages["train"]],
            "val": [p.name for p in self.pages["val"]],
        }
