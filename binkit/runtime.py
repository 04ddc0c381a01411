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

from ._errors import InputError

__all__ = ["QUICK_ENV_VAR", "quick_mode", "check_device", "pick_device", "seed_everything", "describe_device"]

#: Environment variable that switches quick mode on ("1", "true", "yes").
QUICK_ENV_VAR = "BINKIT_QUICK"


def quick_mode() -> bool:
    """True when ``BINKIT_QUICK`` asks for small, fast settings (tests, CPU laptops)."""
    return os.environ.get(QUICK_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def check_device(device=None):
    """A device this machine has, as a ``torch.device``; None stays None (the best available).

    Parameters
    ----------
    device : str or torch.device, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    Raises
    ------
    binkit.InputError
        A device torch does not know, or one this machine lacks (no CUDA GPU,
        GPU index out of range, no MPS), in one line.
    """
    if device is None:
        return None
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InputError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device {device!r}: this machine has no CUDA GPU that torch can use")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"device {device!r}: there are only {torch.cuda.device_count()} CUDA GPU(s), "
                             f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InputError(f"device {device!r}: this machine has no Apple MPS device")
    elif dev.type != "cpu":
        raise InputError(f"device {device!r}: binkit runs on cpu, cuda or mps")
    return dev


def pick_device(device=None):
    """Choose a torch device: the one given (checked by :func:`check_device`), else CUDA, else MPS, else the CPU.

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
        return check_device(device)
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
