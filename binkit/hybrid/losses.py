"""The hybrid method's soft measures: FM and NRM on soft (probability) maps, for training.  RECONSTRUCTED.

A hard decision has no gradient, so the adjuster is trained on the soft text
map ``S``: true positives are ``sum(S * gt)`` instead of a count, and so on.
On a hard (0/1) map these are exactly the DIBCO measures (1 - FM as a
fraction, NRM), so the loss and the contest's score agree where they can.
The counts are summed over the whole batch before the ratio is taken.
"""

from __future__ import annotations

import torch

__all__ = ["soft_counts", "soft_fmeasure", "soft_nrm"]


def soft_counts(prob: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None = None):
    """Soft TP, FP, FN, TN summed over everything (the batch aggregates, spec 6)."""
    gt = gt.to(prob.dtype)
    w = torch.ones_like(prob) if mask is None else mask.to(prob.dtype)
    tp = (prob * gt * w).sum()
    fp = (prob * (1 - gt) * w).sum()
    fn = ((1 - prob) * gt * w).sum()
    tn = ((1 - prob) * (1 - gt) * w).sum()
    return tp, fp, fn, tn


def soft_fmeasure(prob, gt, mask=None, eps: float = 1.0) -> torch.Tensor:
    """2TP / (2TP + FP + FN + eps) on soft counts, in [0, 1]."""
    tp, fp, fn, _ = soft_counts(prob, gt, mask)
    return 2 * tp / (2 * tp + fp + fn + eps)


def soft_nrm(prob, gt, mask=None, eps: float = 1.0) -> torch.Tensor:
    """(FN / (FN + TP) + FP / (FP + TN)) / 2 on soft counts, in [0, 1]."""
    tp, fp, fn, tn = soft_counts(prob, gt, mask)
    return 0.5 * (fn / (fn + tp + eps) + fp / (fp + tn + eps))
