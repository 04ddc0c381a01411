"""Training the Grid LSTM binarizer with :func:`binkit.train.fit`.

:class:`GridLSTMTask` holds the training and validation pages already cut
into the model's sequences (stored as ``uint8``: every input value is an
integer 0..255 after the reference's normalisation, so nothing is lost), the
per-pixel targets and, for the dynamic loss, the per-pixel weights.  It draws
random blocks for :func:`binkit.train.fit` exactly as the reference does:
uniformly without replacement from all 64x64 blocks of all pages.

As in the reference, padded pixels are labelled **ink** (the padding is black,
like ink, after normalisation) and weigh 0 in the dynamic loss; the output is
cropped, so this never shows in a binarization.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .._errors import InputError
from ..datasets.augment import Augmentation, augment_page
from ..datasets.blocks import sample_block_index, to_blocks
from ..io import as_gray, as_mask, atomic_write
from .inputs import make_sequences
from .losses import dynamic_weight_blocks, get_loss
from .model import GridLSTMBinarizer, GridLSTMConfig, blocks_to_steps

__all__ = ["GridLSTMTask", "PageSequences", "prepare_page", "VAL_MEASURES", "check_val_measure"]

#: What the validation error of :class:`GridLSTMTask` counts: ``"error"``, the paper's
#: pixel error (wrong pixels over all pixels); ``"fm"``, ``1 - FM`` of the validation
#: blocks' pooled ink counts.  The pixel error of a page that is mostly paper stays
#: low whatever happens to its faint strokes, so it can keep a checkpoint that drops
#: them; ``1 - FM`` falls only when the ink is found.
VAL_MEASURES = ("error", "fm")


def check_val_measure(measure) -> str:
    """``measure`` if it is one of :data:`VAL_MEASURES`, else a one-line :class:`binkit.InputError`."""
    if measure not in VAL_MEASURES:
        raise InputError(f"val_measure={measure!r}: expected one of {', '.join(VAL_MEASURES)}")
    return measure


@dataclass
class PageSequences:
    """One page, cut for training: (blocks, steps, ...) arrays."""

    name: str
    top_left: np.ndarray  # uint8 (blocks, T, 3 f^2)
    bottom_left: np.ndarray  # uint8 (blocks, T, 3 f^2)
    target: np.ndarray  # bool (blocks, T, f^2), True = ink
    weights: np.ndarray | None  # float32 (blocks, T, f^2), dynamic loss only

    @property
    def n_blocks(self) -> int:
        return self.top_left.shape[0]


def _weights_cached(gt: np.ndarray, cache_dir: Path | None):
    """Pseudo-F weights of ``gt``, cached on disk by the GT's content hash (they take ~1 s/MP)."""
    from ..metrics import pseudo_weights

    if cache_dir is None:
        return pseudo_weights(gt)
    key = hashlib.sha256(np.packbits(gt).tobytes() + str(gt.shape).encode()).hexdigest()[:24]
    path = Path(cache_dir) / f"pseudo_weights_{key}.npz"
    if path.is_file():
        try:
            with np.load(path) as z:  # allow_pickle stays False: a cache file cannot run code
                return z["recall"], z["precision"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache entry (a disk-full write, a stray file) is computed again and replaced
    rw, pw = pseudo_weights(gt)
    path.parent.mkdir(parents=True, exist_ok=True)
    # atomic_write gives every writer a temporary file of its own: under torchrun each rank fills
    # the same cache at the same time, and a shared temporary name let one rank rename the
    # other's file away.
    atomic_write(path, lambda fh: np.savez_compressed(fh, recall=rw.astype(np.float32),
                                                      precision=pw.astype(np.float32)))
    return rw, pw


def prepare_page(
    name: str,
    image,
    gt,
    config: GridLSTMConfig,
    *,
    with_weights: bool = False,
    reference_layout: bool = False,
    cache_dir=None,
) -> PageSequences:
    """Cut one (image, GT) pair into the model's sequences, targets and weights."""
    image = as_gray(image, name)
    gt = as_mask(gt, f"{name} gt")
    if image.shape != gt.shape:
        raise InputError(f"{name}: image {image.shape} and ground truth {gt.shape} differ in size")
    f, b = config.footprint, config.block
    seq = make_sequences(image, f, config.scale, b, config.input_levels)
    target = blocks_to_steps(torch.from_numpy(to_blocks(gt, b, value=True)), f, b).numpy()
    weights = None
    if with_weights:
        w = _weights_cached(gt, cache_dir)
        wb = dynamic_weight_blocks(gt, w, reference_layout=reference_layout, block=b)
        weights = blocks_to_steps(torch.from_numpy(np.ascontiguousarray(wb)), f, b).numpy()
    return PageSequences(
        name=name,
        top_left=seq.top_left.astype(np.uint8),
        bottom_left=seq.bottom_left.astype(np.uint8),
        target=target,
        weights=weights,
    )


class GridLSTMTask:
    """A :class:`binkit.train.Task` for the Grid LSTM binarizer.

    Parameters
    ----------
    config : GridLSTMConfig
    loss : str
        ``"dynamic"``, ``"bce"`` or ``"static<w>"`` (e.g. ``"static2"``).
    train, val : sequence of (name, image, gt)
        Pages; ``image`` grey, ``gt`` a bool mask (True = ink).
    reference_layout : bool
        Train the dynamic loss with the original code's scrambled weights.
    cache_dir : path, optional
        Where to keep the pseudo-F weights between runs.
    model : GridLSTMBinarizer, optional
        Start from this model instead of a fresh one.
    augment : int, default 0
        Randomly altered copies of every training page to add
        (:func:`binkit.datasets.augment.augment_page`); 0 = the paper's pages only.
    augmentation : Augmentation, optional
        Their ranges (default :class:`~binkit.datasets.augment.Augmentation`).
    augment_seed : int, default 0
        Seed of the copies (the run's seed).
    mixed : sequence of (name, image, gt), optional
        More training pages (e.g. synthetic hard pages), kept in a pool of their own.
    mixed_share : float, optional
        Share of each epoch's training blocks drawn from ``mixed`` (in (0, 1)).
        Without it, the mixed pages join the others and every block of every
        page is equally likely.
    val_measure : {"error", "fm"}, default "error"
        What :meth:`errors` returns for the validation, and so which checkpoint
        :func:`binkit.train.fit` keeps as ``best.pt`` (:data:`VAL_MEASURES`).
    """

    def __init__(
        self,
        config: GridLSTMConfig,
        loss: str,
        train: Sequence,
        val: Sequence,
        *,
        reference_layout: bool = False,
        cache_dir=None,
        model: GridLSTMBinarizer | None = None,
        augment: int = 0,
        augmentation: Augmentation | None = None,
        augment_seed: int = 0,
        mixed: Sequence = (),
        mixed_share: float | None = None,
        val_measure: str = "error",
    ):
        from .._checks import check_int, check_real

        self.val_measure = check_val_measure(val_measure)
        if not train or not val:
            raise InputError("training needs at least one training page and one validation page")
        self.augment = check_int("augment", augment, minimum=0)
        self.augmentation = augmentation if augmentation is not None else Augmentation()
        self.augment_seed = int(augment_seed)
        if mixed_share is not None:
            mixed_share = check_real("mixed_share", mixed_share, minimum=0.0, maximum=1.0,
                                     min_open=True, max_open=True)
            if not mixed:
                raise InputError("mixed_share needs mixed pages (e.g. --mix-synthetic N)")
        self.mixed_share = mixed_share
        self.config = config
        self.loss_name = loss
        self.loss_fn = get_loss(loss)
        self.reference_layout = reference_layout
        dyn = loss == "dynamic"
        kw = dict(with_weights=dyn, reference_layout=reference_layout, cache_dir=cache_dir)
        self.pages = {
            "train": [prepare_page(n, i, g, config, **kw) for n, i, g in self._with_copies(train, 0)],
            "mixed": [prepare_page(n, i, g, config, **kw) for n, i, g in self._with_copies(mixed, 1)],
            "val": [prepare_page(n, i, g, config, **kw) for n, i, g in val],
        }
        if self.mixed_share is None:  # one pool: every block of every page equally likely
            self.pages["train"] += self.pages.pop("mixed")
        self.model = model if model is not None else GridLSTMBinarizer(config)

    def _with_copies(self, pages: Sequence, pool: int) -> list:
        """The pages, each followed by its ``augment`` altered copies (named ``<page>~aug<k>``)."""
        out = []
        for index, (name, image, gt) in enumerate(pages):
            out.append((name, image, gt))
            for k in range(self.augment):
                rng = np.random.default_rng([self.augment_seed, pool, index, k])
                out.append((f"{name}~aug{k + 1}", *augment_page(image, gt, rng, self.augmentation)))
        return out

    # -- Task protocol ------------------------------------------------------
    def batches(self, split: str, n: int, rng: np.random.Generator) -> dict:
        if split == "train" and "mixed" in self.pages:
            n_mixed = int(round(n * self.mixed_share))
            parts = [self._draw(self.pages["train"], n - n_mixed, rng), self._draw(self.pages["mixed"], n_mixed, rng)]
            order = rng.permutation(n)  # the two pools interleaved within every batch
            return {k: np.concatenate([p[k] for p in parts])[order] for k in parts[0]}
        return self._draw(self.pages[split], n, rng)

    @staticmethod
    def _draw(pages, n: int, rng: np.random.Generator) -> dict:
        page_of, index = sample_block_index([p.n_blocks for p in pages], n, rng)
        keys = ["top_left", "bottom_left", "target"] + (["weights"] if pages[0].weights is not None else [])
        out = {}
        for key in keys:
            first = getattr(pages[0], key)
            arr = np.empty((n, *first.shape[1:]), first.dtype)
            for p in np.unique(page_of):
                sel = page_of == p
                arr[sel] = getattr(pages[p], key)[index[sel]]
            out[key] = arr
        return out

    def take(self, batch: dict, index) -> dict:
        return {k: v[index] for k, v in batch.items()}

    def size(self, batch: dict) -> int:
        return len(batch["target"])

    def to_device(self, batch: dict, device) -> dict:
        """The batch as tensors on ``device``, each array in one copy, as stored (``uint8`` inputs:
        a quarter of float32's bytes; cast on the device by each step).  On the CPU the tensors share
        the arrays' memory.  From pinned memory and without waiting on a GPU, so that the copy
        overlaps the work already queued."""
        device = torch.device(device)
        out = {}
        for key, value in batch.items():
            t = torch.from_numpy(value) if isinstance(value, np.ndarray) else value
            if device.type == "cuda" and t.device.type == "cpu":
                t = t.pin_memory()
            out[key] = t.to(device, non_blocking=True)
        return out

    @staticmethod
    def _on(value, device, dtype=None) -> torch.Tensor:
        """``value`` (an array, or a tensor from :meth:`to_device`) on ``device``, then cast there."""
        t = torch.from_numpy(value) if isinstance(value, np.ndarray) else value
        t = t.to(device, non_blocking=True)
        return t if dtype is None else t.to(dtype)

    def _forward(self, model, batch, device):
        tl = self._on(batch["top_left"], device, torch.float32)
        bl = self._on(batch["bottom_left"], device, torch.float32)
        return model(tl, bl)

    def loss(self, model, batch, device) -> torch.Tensor:
        logits = self._forward(model, batch, device)
        target = self._on(batch["target"], device)
        weights = batch.get("weights")
        weights = self._on(weights, device) if weights is not None else None
        return self.loss_fn(logits, target, weights)

    def counts(self, model, batch, device) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(wrong pixels, ink pixels found, pixels counted) of a batch, padded pixels included, as the
        reference counts them; the first two are 0-dim tensors on the device.  Both validation
        measures are ratios of these."""
        ink = self._forward(model, batch, device) >= 0
        target = self._on(batch["target"], device).bool()
        return (ink != target).sum(), (ink & target).sum(), target.numel()

    def errors(self, model, batch, device) -> tuple[torch.Tensor, int | torch.Tensor]:
        """The validation error's numerator and denominator, as 0-dim tensors on the device where
        they are counted there (:func:`binkit.train.fit` sums them there and reads the sums once).

        ``val_measure="error"``: the wrong pixels and the pixels counted.  ``"fm"``: ``FP + FN``
        and ``2 TP + FP + FN``, whose summed ratio is ``1 - FM`` of the pooled counts.
        """
        wrong, found, pixels = self.counts(model, batch, device)
        return (wrong, wrong + 2 * found) if self.val_measure == "fm" else (wrong, pixels)

    def describe(self) -> dict:
        return {
            "model": "gridlstm",
            "config": self.config.to_dict(),
            "loss": self.loss_name,
            "reference_layout": self.reference_layout,
            "train": [p.name for p in self.pages["train"]],
            "val": [p.name for p in self.pages["val"]],
            **({"mixed": [p.name for p in self.pages["mixed"]], "mixed_share": self.mixed_share}
               if "mixed" in self.pages else {}),
            **({"augment": self.augment, "augmentation": self.augmentation.to_dict(),
                "augment_seed": self.augment_seed} if self.augment else {}),
            # named only when not the paper's, so runs written before the choice existed resume
            **({"val_measure": self.val_measure} if self.val_measure != "error" else {}),
        }
