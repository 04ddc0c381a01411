"""Run-time settings shared by notebooks, training and benchmarks.

* quick mode: ``BINKIT_QUICK=1`` (set by ``make test``) asks every notebook
  and example for its small, CPU-friendly settings;
* the compute device: CUDA, then Apple's MPS, then the CPU;
* seeding every random number generator binkit uses.
"""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["QUICK_ENV_VAR", "quick_mode", "pick_device", "seed_everything", "describe_device"]

#: Environment variable that switches quick mode on ("1", "true", "yes").
QUICK_ENV_VAR = "BINKIT_QUICK"


def quick_mode() -> bool:
    """True when ``BINKIT_QUICK`` asks for small, fast settings (tests, CPU laptops)."""
    return os.environ.get(QUICK_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def pick_device(device=None):
    """Choose a torch device: the one given, else CUDA, else MPS, else the CPU.

    Parameters
    ----------
    device : str or torch.device, optional
        Force a device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).

    Returns
    -------
    torch.device
    """
    import torch

    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device=None) -> str:
    """One line that tells a learner what hardware a notebook runs on."""
    import torch

    dev = pick_device(device)
    if dev.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(dev)} (cuda)"
    if dev.type == "mps":
        return "GPU: Apple silicon (mps)"
    return f"CPU only ({torch.get_num_threads()} torch threads) - full-size training is slow here"


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's, NumPy's legacy and torch's generators; return a fresh NumPy Generator.

    binkit's own functions take an explicit ``rng``/``seed`` argument and never
    rely on global state; this is for notebooks and scripts that call third-party
    code which does.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return np.random.default_rng(seed)
