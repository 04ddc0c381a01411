"""The hybrid method's training protocol and recipes, without torch.

:data:`HYBRID_TRAIN` is the protocol (``docs/hybrid_method.md`` section 7,
RECONSTRUCTED): the paper showed its surfaces after 1000-2000 epochs; an epoch
is 64 samples (tiles or whole pages), Adam, batch 8, the learning rate on a
cosine to 5 % of its start, so the last checkpoints do not jump from epoch to
epoch.

:data:`HYBRID_RECIPES` are the named recipes of ``binkit train hybrid
--recipe``: ``paper`` keeps H-DIBCO 2016 unseen (the paper's fold,
:data:`binkit.datasets.folds.DEFAULT_FOLD`); ``general`` trains on every
DIBCO year and synthetic hard pages, for scans unlike DIBCO's.  Both use the
intensity augmentation on a share of the samples.
"""

from __future__ import annotations

from ..datasets.folds import DEFAULT_FOLD, EXPERIMENT_YEARS

__all__ = ["HYBRID_TRAIN", "HYBRID_RECIPES"]

#: Fields of :class:`binkit.train.TrainConfig` for the hybrid.
HYBRID_TRAIN = dict(epochs=1000, blocks_per_epoch=64, batch_size=8, val_every=20, val_blocks=256, lr=1e-3,
                    lr_decay="cosine")

#: ``binkit train hybrid --recipe NAME``: fields of :class:`binkit.hybrid.run.HybridRunSpec`.
HYBRID_RECIPES = {
    "paper": dict(train=list(DEFAULT_FOLD["train"]), val=list(DEFAULT_FOLD["val"]), test=list(DEFAULT_FOLD["test"]),
                  augment=0.25, mix_synthetic=0, val_synthetic=0),
    "general": dict(train=list(EXPERIMENT_YEARS), val=list(DEFAULT_FOLD["val"]), test=[], augment=0.25,
                    mix_synthetic=48, val_synthetic=8),
}
