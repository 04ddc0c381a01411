"""Run-time settings shared by notebooks, training and benchmarks.

* quick mode: ``BINKIT_QUICK=1`` (set by ``make test``) asks every notebook
  and example for its small, CPU-friendly settings;
* the compute device: CUDA, then Apple's MPS, then the CPU;
* seeding every random number generator binkit uses;
* flushing denormal floats to zero on every CPU thread torch computes on;
* keeping freed memory for reuse during training (glibc).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import random
import warnings

import numpy as np

from ._errors import InputError

__all__ = [
    "QUICK_ENV_VAR",
    "quick_mode",
    "check_device",
    "pick_device",
    "seed_everything",
    "describe_device",
    "denormals_flushed",
    "flush_denormals",
    "freed_memory_kept",
]

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


#: Environment variable naming the device binkit uses when none is given (e.g. ``cuda:2``).
DEVICE_ENV_VAR = "BINKIT_DEVICE"


def pick_device(device=None):
    """Choose a torch device: the one given (checked by :func:`check_device`), else the one
    ``BINKIT_DEVICE`` names, else CUDA, else MPS, else the CPU.

    ``cuda`` means the current GPU, ``cuda:0`` unless set otherwise, so every process on a
    shared GPU server that does not say lands on GPU 0.  There, give each user (or each
    notebook kernel, or each ``binkit`` command) a GPU of their own with
    ``BINKIT_DEVICE=cuda:K`` (binkit's default device, notebooks included) or
    ``CUDA_VISIBLE_DEVICES=K`` (what the process sees at all; torchrun's processes then
    take the visible GPUs one each).

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
    named = os.environ.get(DEVICE_ENV_VAR, "").strip()
    if named:
        try:
            return check_device(named)
        except InputError as exc:
            raise InputError(f"{DEVICE_ENV_VAR}={named!r}: {exc}") from None
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


# --- denormal floats -------------------------------------------------------------------------
#
# Grid LSTM gates saturate on 0..255 pixel inputs, so products of their slopes and gradients
# fall below float32's smallest normal number (1.2e-38).  x86 CPUs compute with such
# *denormal* numbers up to 100x slower: one weight-gradient product of a training step took
# 1.5 s instead of 40 ms.  Flushing them to zero (the FTZ and DAZ bits of each thread's MXCSR
# register) changes results by less than 1e-38 and removes the slowdown.  The bits belong to
# each thread: ``torch.set_flush_denormal`` sets them on the calling thread only, and torch's
# OpenMP worker threads copy them only when they are created.  So binkit also runs that call
# once on every worker, through the OpenMP runtime torch itself loaded.

_NOTED_MAIN_ONLY = False


def _flushes_here() -> bool:
    """True when this thread flushes denormals: 1e-30 * 1e-10 comes out as exactly +0.0."""
    import torch

    x = torch.tensor([1e-30], dtype=torch.float32) * 1e-10
    return int(x.view(torch.int32).item()) == 0  # bit pattern: DAZ would hide a denormal from ==


def _flushes_everywhere() -> bool:
    """True when every intra-op thread flushes: a product large enough to be split among them."""
    import torch

    x = torch.full((torch.get_num_threads() * (1 << 17),), 1e-30, dtype=torch.float32).mul_(1e-10)
    return not bool(x.view(torch.int32).any())


@functools.lru_cache(maxsize=1)
def _openmp_runtime():
    """torch's loaded OpenMP runtime (libgomp/libomp/libiomp5) as a ctypes library, or None."""
    try:
        with open("/proc/self/maps") as fh:  # Linux: the exact file torch loaded
            paths = {line.split()[-1] for line in fh if ".so" in line}
    except OSError:
        return None
    for name in ("libgomp", "libiomp5", "libomp"):
        for path in sorted(paths):
            if os.path.basename(path).startswith(name):
                try:
                    lib = ctypes.CDLL(path)
                    fn = lib.GOMP_parallel
                except (OSError, AttributeError):
                    continue
                fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
                fn.restype = None
                return fn
    return None


def _set_on_every_thread(on: bool) -> bool:
    import torch

    if not torch.set_flush_denormal(on):  # not an x86 CPU with FTZ/DAZ: nothing to do
        return False
    parallel = _openmp_runtime()
    if parallel is not None:
        # One OpenMP parallel region of torch's thread count, each thread setting its own bits.
        callback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda _data: torch.set_flush_denormal(on))
        parallel(ctypes.cast(callback, ctypes.c_void_p), None, torch.get_num_threads(), 0)
    return True


def flush_denormals(on: bool = True) -> bool:
    """Flush (or stop flushing) denormal floats to zero on every CPU thread torch uses.

    Binkit's training and Grid LSTM inference call this through
    :func:`denormals_flushed`; call it yourself for your own loops over binkit's
    models.  It changes results by less than 1e-38 (float32) and can make
    training several times faster on x86 CPUs.

    Parameters
    ----------
    on : bool, default True

    Returns
    -------
    bool
        Whether every intra-op thread now does as asked.  False on CPUs
        without the setting (then nothing changes), or where only the calling
        thread could be set (said once, as a RuntimeWarning).
    """
    global _NOTED_MAIN_ONLY
    if not _set_on_every_thread(on):
        return False
    if on and not _flushes_everywhere():
        if not _NOTED_MAIN_ONLY:
            _NOTED_MAIN_ONLY = True
            warnings.warn(
                "binkit could flush denormal floats on torch's main thread only, not on its worker threads; "
                "CPU training may run several times slower than it could",
                RuntimeWarning,
                stacklevel=2,
            )
        return False
    return True


@contextlib.contextmanager
def denormals_flushed():
    """Context manager: denormals flushed to zero inside, the caller's setting restored after.

    Nested uses are free; only the outermost one changes and restores the setting.
    """
    before = _flushes_here()
    if not before:
        flush_denormals(True)
    try:
        yield
    finally:
        if not before:
            flush_denormals(False)


# --- freed memory ---------------------------------------------------------------------------
#
# glibc serves every allocation above 32 MB with a fresh mmap and gives it back on free, so a
# training step that allocates its 100-200 MB activations again touches every page anew: 3
# million page faults in 16 Grid LSTM steps, a quarter of the time.  Inside the context large
# blocks come from the heap and freed ones stay there for the next step.

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt parameters (malloc.h)
_GLIBC_DEFAULTS = {_M_TRIM_THRESHOLD: 128 * 1024, _M_MMAP_MAX: 65536}
_kept_depth = 0


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library as ctypes, when it is glibc (has mallopt and malloc_trim); else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes, libc.malloc_trim.argtypes = [ctypes.c_int, ctypes.c_int], [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def freed_memory_kept():
    """Context manager: on glibc, large freed blocks stay in the process for reuse inside.

    Memory held at the peak stays held until the context ends, then goes back
    to the system.  A no-op on other C libraries.  Nested uses are free.
    """
    global _kept_depth
    libc = _glibc()
    if libc is None:
        yield
        return
    if _kept_depth == 0:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    _kept_depth += 1
    try:
        yield
    finally:
        _kept_depth -= 1
        if _kept_depth == 0:
            for param, value in _GLIBC_DEFAULTS.items():
                libc.mallopt(param, value)
            libc.malloc_trim(0)
