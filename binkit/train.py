"""Training loop shared by binkit's models: epochs of random blocks, validation,
atomic checkpoints, exact resume, progress bar, logs, and DistributedDataParallel.

The protocol is the Grid LSTM paper's (``docs/gridlstm_reference.md`` A5), written so that the hybrid
method can reuse it:

* Adam with default settings; an **epoch** is ``blocks_per_epoch`` random
  blocks (2048) drawn from all training pages, in batches of ``batch_size`` (32);
* every ``val_every`` epochs (and at the first and last epoch) the validation
  pixel error is measured on a **fixed-seed** validation sample, and the
  best-by-validation checkpoint is kept beside the latest one;
* checkpoints are written to a temporary file and renamed, so a kill never
  leaves a broken file; ``fit`` resumes from ``latest.pt`` exactly: model,
  optimiser, RNG states and epoch.  Each epoch's blocks are drawn from a
  generator seeded by ``(seed, epoch)``, so a resumed run sees exactly the
  blocks an uninterrupted run would have seen;
* ``log.csv`` gets one row per epoch (epoch, loss, val_error, seconds,
  blocks_per_s) and ``log.json`` the same plus the configuration.

A model is trained through a :class:`Task`: an object that owns the model and
knows how to draw batches and compute a loss and an error count.

Under ``torchrun --nproc_per_node N`` the loop uses DistributedDataParallel
(gloo on the CPU, nccl on GPUs).  ``batch_size`` stays the *global* batch:
each of the N processes takes ``batch_size / N`` blocks of every batch, so a
run on N processes follows the same schedule as a run on one.  On GPUs,
process k uses ``cuda:k`` of the GPUs it sees (``CUDA_VISIBLE_DEVICES``
chooses them): more processes than GPUs, or a ``--device cuda:N`` that names
one GPU for all processes, is refused in one line.

On a GPU the loop keeps the device busy: a task may move each epoch's blocks
to the device in one copy (``Task.to_device``), the steps' losses and the
validation counts stay on the device and are read once per epoch, and a
checkpoint is read onto the CPU (model and optimiser moments then go to the
device, Adam's step counts and the random-number states stay on the CPU,
where torch wants them).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from ._checks import check_int, check_real
from ._errors import InputError, first_line
from .io import atomic_write, ensure_folder, read_json, remove_leftovers, write_json, write_text
from .runtime import denormals_flushed, freed_memory_kept, pick_device

__all__ = ["TrainConfig", "Task", "fit", "save_atomic", "load_checkpoint", "check_checkpoint",
           "prepare_run_folder", "resume_differences", "TrainResult"]


@dataclass
class TrainConfig:
    """Settings of :func:`fit`.  Defaults follow the Grid LSTM paper."""

    epochs: int = 201
    blocks_per_epoch: int = 2048
    batch_size: int = 32
    val_every: int = 10
    val_blocks: int = 2048
    lr: float = 1e-3
    lr_decay: str = "none"  # "none" (the paper) or "cosine": lr falls to lr * lr_final over the epochs
    lr_final: float = 0.05
    seed: int = 42
    device: str | None = None
    progress: bool = True

    def __post_init__(self):
        for name in ("epochs", "blocks_per_epoch", "batch_size", "val_every", "val_blocks"):
            setattr(self, name, check_int(name, getattr(self, name), minimum=1))
        # checked here, before any page is loaded: lr nan or inf trains nothing, a negative one climbs the loss
        self.lr = check_real("lr", self.lr, minimum=0.0, min_open=True)
        self.seed = check_int("seed", self.seed, minimum=0)  # numpy's generators refuse negative seeds
        if self.lr_decay not in LR_DECAYS:
            raise InputError(f"lr_decay={self.lr_decay!r}: expected one of {', '.join(LR_DECAYS)}")
        self.lr_final = check_real("lr_final", self.lr_final, minimum=0.0, maximum=1.0)

    def learning_rate(self, epoch: int) -> float:
        """The learning rate of ``epoch`` (0-based): constant, or on a cosine from ``lr`` to ``lr * lr_final``.

        A function of the epoch alone, so a resumed run continues on the same curve.
        """
        if self.lr_decay == "none" or self.epochs == 1:
            return self.lr
        progress = min(1.0, epoch / (self.epochs - 1))
        return self.lr * (self.lr_final + (1 - self.lr_final) * 0.5 * (1 + math.cos(math.pi * progress)))


#: Learning-rate schedules of :class:`TrainConfig`: the paper keeps Adam's rate
#: constant; ``"cosine"`` is binkit's departure for the general recipe.
LR_DECAYS = ("none", "cosine")


class Task(Protocol):
    """What :func:`fit` needs to know about a model and its data.

    Attributes
    ----------
    model : torch.nn.Module

    Methods
    -------
    batches(split, n, rng)
        Draw ``n`` blocks of ``split`` ("train" or "val") with the numpy
        Generator ``rng``; return an object ``loss``/``errors`` understand.
    take(batch, index)
        The sub-batch ``batch[index]`` (a slice or an index array).
    size(batch) -> int
        Number of blocks in a batch.
    loss(model, batch, device) -> scalar tensor
    errors(model, batch, device) -> (wrong pixels, counted pixels)
        Numbers, or 0-dim tensors on the device (summed there and read once per validation).
    describe() -> dict
        JSON-able description of the task (stored with checkpoints).
    to_device(batch, device) -> batch, optional
        The batch moved to ``device`` in one copy per array; ``fit`` calls it once per
        epoch when the task has it, so a step copies nothing from the host.
    """

    model: nn.Module

    def batches(self, split: str, n: int, rng: np.random.Generator) -> Any: ...
    def take(self, batch: Any, index) -> Any: ...
    def size(self, batch: Any) -> int: ...
    def loss(self, model: nn.Module, batch: Any, device: torch.device) -> torch.Tensor: ...
    def errors(self, model: nn.Module, batch: Any, device: torch.device) -> tuple[int, int]: ...
    def describe(self) -> dict: ...


@dataclass
class TrainResult:
    """What :func:`fit` returns."""

    out: Path
    epochs_done: int
    best_val_error: float
    best_epoch: int
    history: list[dict]


def save_atomic(obj, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, synced, then renamed over ``path``.

    Through :func:`binkit.io.atomic_write`: a full disk or an unwritable folder
    is an InputError of one line, and the temporary file of a killed write
    is recognised (and removed) by the next run (:func:`prepare_run_folder`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda fh: _torch_save(obj, fh), durable=True)


def _torch_save(obj, fh) -> None:
    try:
        torch.save(obj, fh)
    except RuntimeError as exc:
        # torch's zip writer turns the file's OSError (a full disk) into "unexpected pos ...";
        # the OSError itself is what atomic_write reports in one line
        if isinstance(exc.__context__, OSError):
            raise exc.__context__ from None
        raise


#: What every checkpoint :func:`fit` writes holds.
CHECKPOINT_KEYS = ("model", "optimizer", "rng", "epoch", "best_val_error", "best_epoch", "history", "task")


def load_checkpoint(path, map_location="cpu") -> dict:
    """Read a checkpoint written by :func:`fit` (``latest.pt`` or ``best.pt``), running no code from it.

    Every reader of checkpoints in binkit (resuming, :func:`binkit.weights.from_checkpoint`,
    ``binkit export-weights``) comes through here, and this reads through
    :func:`binkit.io.read_torch_file`, the package's one ``torch.load``
    (``weights_only=True``).

    Raises
    ------
    binkit.InputError
        No such file; a file that is empty, damaged, not a checkpoint, or would
        run code when unpickled; a checkpoint without one of :data:`CHECKPOINT_KEYS`.
    """
    from .io import read_torch_file

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint")
    return check_checkpoint(read_torch_file(path, what="not a binkit checkpoint", map_location=map_location), path)


def check_checkpoint(checkpoint: dict, path) -> dict:
    """Check that a dict read from ``path`` holds what a checkpoint of :func:`fit` holds; return it."""
    missing = [k for k in CHECKPOINT_KEYS if k not in checkpoint]
    if missing:
        raise InputError(f"{path}: not a binkit checkpoint, or a damaged one: no {', '.join(map(repr, missing))}")
    kinds = {"model": dict, "optimizer": dict, "rng": dict, "task": dict, "history": list, "epoch": int,
             "best_epoch": int}
    wrong = [k for k, kind in kinds.items() if not isinstance(checkpoint[k], kind)]
    if wrong:
        raise InputError(f"{path}: not a binkit checkpoint, or a damaged one: {', '.join(map(repr, wrong))} "
                         "of the wrong type")
    return checkpoint


def _write_log(out: Path, history: list[dict], meta: dict) -> None:
    cols = ["epoch", "loss", "val_error", "seconds", "blocks_per_s"]
    if any("lr" in row for row in history):
        cols.append("lr")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
    write_text(out / "log.csv", text.getvalue())
    write_json(out / "log.json", {**meta, "history": history})


#: The files of a run folder that :func:`fit` writes through a temporary file.
RUN_FILES = ("latest.pt", "best.pt", "log.csv", "log.json")


def prepare_run_folder(out, files=RUN_FILES) -> Path:
    """Create the run folder ``out`` (if missing), check that it can be written, and remove the
    temporary files killed writes of ``files`` left in it.

    Called before any work (loading pages, building the model), so that an
    ``--out`` that is a file, or a folder that cannot be written, is one
    line and not a traceback an hour later.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    binkit.InputError
        ``out`` is a file, or cannot be created or written to.
    """
    out = ensure_folder(out, "run folder (--out)")
    for name in files:
        remove_leftovers(out / name)  # a checkpoint write killed mid-way (not one another process is writing)
    return out


#: Settings of :class:`TrainConfig` that a resumed run may change: the device and the progress bar
#: change no result, and ``epochs`` may be raised to train a finished run further (recorded in the log).
RESUME_FREE = ("epochs", "device", "progress")


def float32_precision() -> dict:
    """The float32 settings that change results on a GPU: TF32 in cuDNN convolutions and in matrix products.

    Recorded with every training run and shipped weight set, because on
    Ampere and later GPUs TF32 (cuDNN's default) changes the hybrid's
    convolutions by about 1e-3 relative, enough to flip pixels near the
    surface's 0.5 cliff.  On a CPU neither setting has any effect.
    """
    return {"cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
            "float32_matmul_precision": torch.get_float32_matmul_precision()}


def finished_run(summary_path, record: dict, cfg: TrainConfig, legacy=None) -> dict | None:
    """The summary of a finished run that is the run asked for; None when the run is to be trained further.

    Both model families' runs (``binkit train``) call this before any work
    when their folder holds a ``summary.json``.

    Parameters
    ----------
    summary_path : path
    record : dict
        What defines the run asked for besides its :class:`TrainConfig` (its
        spec as JSON); compared with the summary's ``run``.
    cfg : TrainConfig
    legacy : callable, optional
        ``legacy(done, out) -> (stored_run, stored_config)`` for summaries
        written before they recorded the run's settings.

    Raises
    ------
    binkit.InputError
        The summary cannot be read, or the folder holds another run (other
        settings, or more epochs than asked): never "done" for a run that was
        not done.
    """
    summary_path = Path(summary_path)
    out = summary_path.parent
    done = read_json(summary_path, "run summary")
    epochs_done = done.get("epochs_done")
    if not isinstance(epochs_done, int) or isinstance(epochs_done, bool) or epochs_done < 0:
        raise InputError(f"{summary_path}: run summary without a count of epochs done; delete it to finish the "
                         "run again")
    if "run" in done or legacy is None:
        stored_run, stored_config = done.get("run"), done.get("config")
    else:
        stored_run, stored_config = legacy(done, out)
    stored_run = {k: v for k, v in stored_run.items() if k in record} if isinstance(stored_run, dict) else {}
    asked = {k: v for k, v in record.items() if k in stored_run}  # what the summary recorded, compared
    differ = resume_differences(stored_config if isinstance(stored_config, dict) else None, stored_run, cfg, asked)
    if differ:
        raise InputError(f"{out}: holds a finished run with other settings ({'; '.join(differ)}): use another "
                         "--out, or the run's own settings")
    if epochs_done > cfg.epochs:
        raise InputError(f"{out}: holds a finished run of {epochs_done} epochs, more than the {cfg.epochs} asked "
                         f"for: use another --out, or --epochs {epochs_done}")
    return done if epochs_done == cfg.epochs else None  # fewer: resumed from latest.pt, to the epochs asked


#: Settings older runs recorded that no longer exist (``extra``: a free-form field nothing used).
_RETIRED = ("extra",)


def resume_differences(stored_config: dict | None, stored_task: dict | None, cfg: TrainConfig,
                       task_description: dict) -> list[str]:
    """What differs between a run folder's run and the run asked for, one ``name: old -> new`` each.

    Parameters
    ----------
    stored_config, stored_task : dict or None
        The ``config`` and ``task`` a checkpoint (or summary) recorded.
    cfg : TrainConfig
    task_description : dict
        ``task.describe()`` of the run asked for (model configuration, loss,
        pages, recipe).

    Returns
    -------
    list of str
        Empty when the run asked for is the stored one (``epochs`` aside).
    """
    def short(value) -> str:
        text = json.dumps(value, default=str, sort_keys=True)
        return text if len(text) <= 60 else text[:57] + "..."

    differ = []
    asked = asdict(cfg)
    defaults = asdict(TrainConfig())  # what a setting added since the run was written stood for then
    for key in sorted(set(asked) | set(stored_config or {})):
        if key in RESUME_FREE or key in _RETIRED or stored_config is None:
            continue
        old, new = stored_config.get(key, defaults.get(key)), asked.get(key)
        if json.dumps(old, default=str, sort_keys=True) != json.dumps(new, default=str, sort_keys=True):
            differ.append(f"{key}: {short(old)} -> {short(new)}")
    stored_task = stored_task or {}
    for key in sorted(set(task_description) | set(stored_task)):
        old, new = stored_task.get(key), task_description.get(key)
        if json.dumps(old, default=str, sort_keys=True) != json.dumps(new, default=str, sort_keys=True):
            differ.append(f"{key}: {short(old)} -> {short(new)}")
    return differ


def _logged_command(out: Path) -> str | None:
    """The command an older run folder's ``log.json`` records (its checkpoints did not), if readable."""
    from .io import read_json

    try:
        command = read_json(out / "log.json", "run's log").get("command")
    except InputError:
        return None
    return command if isinstance(command, str) else None


class _Dist:
    """The process group, if any (torchrun sets WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE).

    On GPUs each process takes the GPU of its local rank among those it sees.
    Checked before the process group starts, so that every process stops with
    the same line: more processes on this machine than GPUs, and a device hint
    that names one GPU (``cuda:1``), which the processes cannot all use.
    """

    def __init__(self, device_hint):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.active = self.world > 1
        self.started_here = False
        dev = pick_device(device_hint)
        if self.active and dev.type == "cuda":
            dev = _rank_gpu(dev, self.local_rank, int(os.environ.get("LOCAL_WORLD_SIZE", self.local_rank + 1)))
            torch.cuda.set_device(dev)
        self.device = dev
        if self.active and not torch.distributed.is_initialized():
            backend = "nccl" if dev.type == "cuda" else "gloo"
            # device_id binds the NCCL communicator to this process's GPU (no barrier() guessing)
            torch.distributed.init_process_group(backend=backend,
                                                 **({"device_id": dev} if dev.type == "cuda" else {}))
            self.started_here = True

    @property
    def main(self) -> bool:
        return self.rank == 0

    def all_sum(self, values: list[float]) -> list[float]:
        if not self.active:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        torch.distributed.all_reduce(t)
        return t.tolist()

    def barrier(self):
        if self.active:
            torch.distributed.barrier()

    def close(self):
        if self.started_here:
            torch.distributed.destroy_process_group()


def _rank_gpu(dev: torch.device, local_rank: int, local_world: int) -> torch.device:
    """The GPU of the process of local rank ``local_rank`` under torchrun, or one line why there is none."""
    count = torch.cuda.device_count()
    if local_world > count or local_rank >= count:
        raise InputError(f"torchrun started {max(local_world, local_rank + 1)} processes on this machine but it has "
                         f"{count} CUDA GPU(s) visible: use --nproc_per_node {count} or fewer (one process per GPU)")
    if dev.index is not None:
        raise InputError(f"--device {dev}: under torchrun each process uses the GPU of its local rank (cuda:0 to "
                         f"cuda:{local_world - 1}); pass --device cuda, and choose the GPUs with CUDA_VISIBLE_DEVICES")
    return torch.device("cuda", local_rank)


def _rng_states(device: torch.device | None = None) -> dict:
    """The generators' states as tensors, lists and numbers: what ``torch.load(weights_only=True)`` reads.

    On CUDA, only the training GPU's generator (not every visible GPU's, which a resume with
    fewer GPUs visible could not restore); none on other devices, so a CPU run never starts CUDA.
    """
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    version, mt, gauss = random.getstate()
    on_cuda = device is not None and device.type == "cuda"
    return {
        "python": [version, list(mt), gauss],
        "numpy_legacy": [str(name), [int(k) for k in keys], int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if on_cuda else None,
    }


def _set_rng_states(states: dict, device: torch.device | None = None) -> None:
    """Restore :func:`_rng_states`' states (or an older checkpoint's tuples and numpy array).

    The CPU generator's state is restored from the CPU, wherever the checkpoint was mapped.
    The CUDA state is restored only onto a CUDA training device: a ByteTensor (this GPU's), or
    an older checkpoint's list of every GPU's, of which this GPU's index is used when present.
    Nothing in training draws from torch's CUDA generator, so a state that does not fit is left.
    """
    version, mt, gauss = states["python"]
    random.setstate((version, tuple(mt), gauss))
    name, keys, pos, has_gauss, cached = states["numpy_legacy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states["torch"].cpu())
    cuda = states.get("cuda")
    if cuda is None or device is None or device.type != "cuda":
        return
    index = device.index if device.index is not None else torch.cuda.current_device()
    if isinstance(cuda, (list, tuple)):
        cuda = cuda[index] if index < len(cuda) else None
    if cuda is not None:
        torch.cuda.set_rng_state(cuda.cpu(), index)


def _device_line(device: torch.device) -> str:
    """What ``fit`` says it trains on, with a warning where a GPU sits unused behind a CPU-only torch."""
    from .runtime import describe_device

    line = f"training on {device}: {describe_device(device)}"
    if device.type == "cpu" and torch.version.cuda is None and os.path.exists("/dev/nvidia0"):
        line += (" (this machine has an NVIDIA GPU, but this torch is a CPU-only build: install a CUDA build "
                 "of torch to train on it)")
    return line


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def _validation_batch_size(cfg: TrainConfig, device: torch.device) -> int:
    """Blocks per validation forward: the training batch on the CPU; at least 512 on a GPU, where
    a forward costs about the same whatever the batch (the Grid LSTM has no batch statistics)."""
    return max(cfg.batch_size, 512) if device.type == "cuda" else cfg.batch_size


def _validate(task: Task, model: nn.Module, val_batch, cfg: TrainConfig, dist: _Dist) -> float:
    mine = task.take(val_batch, slice(dist.rank, None, dist.world)) if dist.active else val_batch
    n, step = task.size(mine), _validation_batch_size(cfg, dist.device)
    wrong = total = 0
    model.eval()
    with torch.no_grad():
        for start in range(0, n, step):
            w, t = task.errors(model, task.take(mine, slice(start, start + step)), dist.device)
            wrong, total = wrong + w, total + t  # tensors stay on the device: one read below
    model.train()
    wrong, total = dist.all_sum([float(wrong), float(total)])
    return wrong / total if total else float("nan")


def fit(task: Task, cfg: TrainConfig, out) -> TrainResult:
    """Train ``task.model`` for ``cfg.epochs`` epochs, checkpointing into ``out``.

    Parameters
    ----------
    task : Task
    cfg : TrainConfig
    out : str or os.PathLike
        Run folder: ``latest.pt``, ``best.pt``, ``log.csv``, ``log.json``.
        A run continues from ``out/latest.pt`` when it exists; its settings
        and the task's description must match the ones stored there.

    Returns
    -------
    TrainResult
    """
    from tqdm.auto import tqdm

    out = Path(out)
    if int(os.environ.get("RANK", "0")) == 0:
        prepare_run_folder(out)  # before the process group: a bad --out is one line, not a hung peer
    dist = _Dist(cfg.device)
    if dist.active and (cfg.blocks_per_epoch % cfg.batch_size or cfg.batch_size % dist.world):
        raise InputError(
            f"with {dist.world} processes, batch_size ({cfg.batch_size}) must be a multiple of the process "
            f"count and blocks_per_epoch ({cfg.blocks_per_epoch}) a multiple of batch_size"
        )
    device = dist.device
    if cfg.progress and dist.main:  # a 201-epoch run must not start on the CPU by mistake, unsaid
        print(_device_line(device), file=sys.stderr, flush=True)
    dist.barrier()

    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    model = task.model.to(device)
    train_model: nn.Module = model
    if dist.active:
        train_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    start_epoch, best_err, best_epoch, history = 0, float("inf"), -1, []
    program = Path(sys.argv[0])
    # ``python -m binkit`` runs binkit/__main__.py: name it as the console script would be named
    name = program.parent.name if program.name == "__main__.py" else program.name
    command = " ".join([name, *sys.argv[1:]])
    first_command, resumes = command, []
    latest = out / "latest.pt"
    if latest.is_file():
        # read onto the CPU: load_state_dict copies the weights to the device and Adam's moments with
        # them, while Adam's step counts and the generators' states stay on the CPU, as torch needs
        ck = load_checkpoint(latest, map_location="cpu")
        differ = resume_differences(ck.get("config"), ck["task"], cfg, task.describe())
        if differ:
            raise InputError(f"{out}: holds a different run; resuming it with other settings would mix two "
                             f"runs ({'; '.join(differ)}): use another --out, or the run's own settings")
        done = ck["epoch"] + 1
        if done > cfg.epochs:
            raise InputError(f"{out}: holds a run already trained for {done} epochs, more than the "
                             f"{cfg.epochs} asked for: use another --out, or --epochs {done} or more")
        try:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            _set_rng_states(ck["rng"], device)
        except (RuntimeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{latest}: a damaged checkpoint ({first_line(exc)})") from None
        start_epoch, best_err, best_epoch = done, ck["best_val_error"], ck["best_epoch"]
        history = ck["history"]
        first_command = ck.get("command") or _logged_command(out) or command
        resumes = list(ck.get("resumes", []))
        planned = (ck.get("config") or {}).get("epochs", cfg.epochs)
        if start_epoch < cfg.epochs:  # a resume that trains: the log says when, with what command and epochs
            resumes.append({"at_epoch": start_epoch, "command": command,
                            **({"epochs_raised": [planned, cfg.epochs]} if planned != cfg.epochs else {})})

    meta = {
        "command": first_command,
        **({"resumes": resumes} if resumes else {}),
        "config": asdict(cfg),
        "task": task.describe(),
        "device": str(device),
        "hardware": _hardware(device),
        "world_size": dist.world,
        "torch": torch.__version__,
        "precision": float32_precision(),
    }
    # The validation sample is drawn once, from its own fixed seed.
    val_batch = task.batches("val", cfg.val_blocks, np.random.default_rng([cfg.seed, 1_000_003]))
    to_device = getattr(task, "to_device", None)
    if to_device is not None:
        val_batch = to_device(val_batch, device)
    per_rank = max(1, cfg.batch_size // dist.world)
    steps = -(-cfg.blocks_per_epoch // cfg.batch_size)
    bar = tqdm(
        total=cfg.epochs,
        initial=start_epoch,
        desc="epochs",
        disable=not (cfg.progress and dist.main),
        dynamic_ncols=True,
    )
    # Saturated units produce denormal floats, which x86 CPUs compute with up to 100x slower
    # (a Grid LSTM epoch took 2x as long); flushing them to zero changes nothing above 1e-38.
    # Every step allocates the same large activations: keeping freed blocks saves page faults.
    try:
        with denormals_flushed(), freed_memory_kept():
            for epoch in range(start_epoch, cfg.epochs):
                t0 = time.perf_counter()
                for group in opt.param_groups:
                    group["lr"] = cfg.learning_rate(epoch)
                batch = task.batches("train", cfg.blocks_per_epoch, np.random.default_rng([cfg.seed, epoch]))
                if to_device is not None:
                    batch = to_device(batch, device)  # one copy per epoch, none per step
                losses = None  # every step's loss, kept on the device: read once per epoch (a read waits)
                for s in range(steps):
                    lo = s * cfg.batch_size + dist.rank * per_rank
                    idx = slice(lo, min(lo + per_rank, (s + 1) * cfg.batch_size, cfg.blocks_per_epoch))
                    sub = task.take(batch, idx)
                    opt.zero_grad(set_to_none=True)
                    loss = task.loss(train_model, sub, device)
                    loss.backward()
                    opt.step()
                    if losses is None:
                        losses = loss.new_empty(steps)
                    losses[s] = loss.detach()
                    bar.set_postfix(epoch=epoch, step=f"{s + 1}/{steps}", refresh=False)
                # the same float64 mean of the steps' losses as when each was read at its step
                epoch_loss = float(np.mean(losses.to("cpu").numpy().astype(np.float64)))
                mean_loss = dist.all_sum([epoch_loss])[0] / dist.world
                val_err = None
                if epoch % cfg.val_every == 0 or epoch == cfg.epochs - 1:
                    val_err = _validate(task, model, val_batch, cfg, dist)
                seconds = time.perf_counter() - t0
                history.append(
                    {
                        "epoch": epoch,
                        "loss": round(mean_loss, 6),
                        "val_error": None if val_err is None else round(val_err, 6),
                        "seconds": round(seconds, 3),
                        "blocks_per_s": round(cfg.blocks_per_epoch / seconds, 2),
                        **({"lr": cfg.learning_rate(epoch)} if cfg.lr_decay != "none" else {}),
                    }
                )
                improved = val_err is not None and val_err < best_err
                if improved:
                    best_err, best_epoch = val_err, epoch
                if dist.main:
                    ck = {
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "rng": _rng_states(device),
                        "epoch": epoch,
                        "best_val_error": best_err,
                        "best_epoch": best_epoch,
                        "history": history,
                        "task": task.describe(),
                        "config": asdict(cfg),
                        "command": first_command,
                        "resumes": resumes,
                    }
                    if improved:
                        save_atomic({**ck, "kind": "best"}, out / "best.pt")
                    save_atomic({**ck, "kind": "latest"}, latest)
                    _write_log(out, history, meta)
                dist.barrier()
                bar.update(1)
                shown = {"loss": f"{mean_loss:.4f}", "val_err": "-" if val_err is None else f"{val_err:.4f}"}
                bar.set_postfix(epoch=epoch, **shown)
    finally:
        bar.close()
        dist.close()
    return TrainResult(out, len(history), best_err, best_epoch, history)
