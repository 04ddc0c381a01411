"""The CUDA and torchrun code paths, checked on the CPU (issue 34; ``../shared/reviews/gpu-2026-12-06.md``).

No GPU is needed: torch's ``meta`` device stands in for CUDA (tensors with shapes and no data;
a dispatch mode answers the reads a GPU would answer, and counts them), CPU autocast with
bfloat16 stands in for CUDA autocast, and ``torch.cuda`` is replaced by a fake where a test
needs to see what binkit asks of it.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

import binkit.train as train_module
from binkit import InputError
from binkit.datasets import synthetic_page
from binkit.gridlstm import GridLSTMConfig
from binkit.gridlstm.training import GridLSTMTask
from binkit.train import TrainConfig, fit, load_checkpoint, save_atomic

TINY = GridLSTMConfig(footprint=8, scale=2, units_per_pixel=1)
META = torch.device("meta")


@pytest.fixture(scope="module")
def pages():
    out = []
    for s in (1, 2, 3):
        p = synthetic_page(s, size=(96, 128), font_size=(12, 16))
        out.append((f"synth_{s}", p.image, p.gt))
    return {"train": out[:2], "val": out[2:]}


def _task(pages, cache):
    torch.manual_seed(0)
    return GridLSTMTask(TINY, "dynamic", pages["train"], pages["val"], cache_dir=cache)


def _cfg(epochs, blocks=8, **kw):
    return TrainConfig(epochs=epochs, blocks_per_epoch=blocks, batch_size=4, val_every=1, val_blocks=8,
                       progress=False, seed=7, **kw)


class DeviceAudit(TorchDispatchMode):
    """Counts, for a model on ``meta`` (standing in for a GPU), what would cost a host round trip there.

    * ``created``: an operation that makes a new tensor on the CPU (in-place updates of a CPU
      tensor, such as Adam's step counts, which torch keeps on the CPU, are not new tensors);
    * ``to_device``: a copy from the CPU to the device;
    * ``reads``: a read of a device tensor's value (``float``, ``int``, ``.item()``, ``.cpu()``),
      a wait for the GPU.  Answered with zeros, since ``meta`` holds no data.
    """

    def __init__(self):
        super().__init__()
        self.counts = collections.Counter()
        self.where = collections.Counter()

    def _note(self, kind, func):
        self.counts[kind] += 1
        self.where[f"{kind} {func}"] += 1

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        given = [a for a in tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)]
        on_device = [a for a in given if a.device.type == "meta"]
        if func is torch.ops.aten._local_scalar_dense.default and on_device:
            self._note("reads", func)
            return False if given[0].dtype == torch.bool else 0 if not given[0].is_floating_point() else 0.5
        if func is torch.ops.aten._to_copy.default and on_device and str(kwargs.get("device")) == "cpu":
            self._note("reads", func)
            return torch.zeros(given[0].shape, dtype=kwargs.get("dtype") or given[0].dtype)
        out = func(*args, **kwargs)
        made = [o for o in tree_leaves(out) if isinstance(o, torch.Tensor)]
        if any(o.device.type == "cpu" and not any(o is a for a in given) for o in made):
            self._note("created", func)
        if any(a.device.type == "cpu" for a in given) and any(o.device.type == "meta" for o in made):
            self._note("to_device", func)
        return out


@pytest.fixture
def on_meta(monkeypatch):
    """``fit`` trains on ``meta`` as it would on a GPU (every other device choice unchanged)."""
    monkeypatch.setattr(train_module, "pick_device", lambda hint=None: META)


@pytest.fixture
def optimisers(monkeypatch):
    """The Adam optimisers ``fit`` builds, to look at their state afterwards."""
    made = []

    class Recorded(torch.optim.Adam):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)

    monkeypatch.setattr(torch.optim, "Adam", Recorded)
    return made


# --- B1: resuming on a GPU ---------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
def test_a_checkpoint_resumes_on_a_gpu_with_cpu_state_left_on_the_cpu(pages, tmp_path, on_meta, optimisers,
                                                                      monkeypatch):
    """A checkpoint resumed on the device (``meta`` for CUDA): the CPU generator's state is
    restored from a CPU ByteTensor, Adam's step counts stay on the CPU (on the GPU each would
    cost two host round trips per step), its moments go to the device with the weights."""
    out = tmp_path / "run"
    monkeypatch.setattr(train_module, "pick_device", lambda hint=None: torch.device("cpu"))
    fit(_task(pages, tmp_path), _cfg(1), out)  # the run written on the CPU ...
    saved = load_checkpoint(out / "latest.pt")
    monkeypatch.setattr(train_module, "pick_device", lambda hint=None: META)
    torch.manual_seed(123)  # ... resumed on the device: the generator must come back to the saved state
    task = _task(pages, tmp_path)
    result = fit(task, _cfg(1), out)  # a finished run: restored, nothing left to train (then the test scoring)
    assert result.epochs_done == 1
    assert torch.equal(torch.get_rng_state(), saved["rng"]["torch"])
    opt = optimisers[-1]
    steps = [s["step"] for s in opt.state.values()]
    assert steps and all(s.device.type == "cpu" for s in steps)
    assert all(s["exp_avg"].device == META and s["exp_avg_sq"].device == META for s in opt.state.values())
    assert all(p.device == META for p in task.model.parameters())
    # and training goes on there from the restored state
    with DeviceAudit():
        resumed = fit(_task(pages, tmp_path), _cfg(2), out)
    assert [h["epoch"] for h in resumed.history] == [0, 1]


# --- B2: the CUDA generators ----------------------------------------------------------------------

class FakeCuda:
    """``torch.cuda`` of a machine with ``count`` GPUs, as far as the RNG functions go."""

    def __init__(self, monkeypatch, count):
        self.count, self.set_calls = count, []
        for module in (torch.cuda, torch.cuda.random):
            monkeypatch.setattr(module, "set_rng_state", self.set_rng_state)
            monkeypatch.setattr(module, "get_rng_state", self.get_rng_state)
            monkeypatch.setattr(module, "get_rng_state_all", self.get_rng_state_all)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)

    def _index(self, device):
        index = device if isinstance(device, int) else torch.device(device).index or 0
        if index >= self.count:
            raise IndexError(f"no GPU {index}: this machine has {self.count}")
        return index

    def set_rng_state(self, state, device="cuda"):
        assert state.device.type == "cpu" and state.dtype == torch.uint8
        self.set_calls.append(self._index(device))

    def get_rng_state(self, device="cuda"):
        return torch.full((16,), self._index(device), dtype=torch.uint8)

    def get_rng_state_all(self):
        raise AssertionError("the state of every GPU was asked for")


def test_a_cpu_run_resumes_from_a_checkpoint_written_where_more_gpus_were_visible(pages, tmp_path, monkeypatch):
    """A checkpoint holding two GPUs' generator states (as written on a 2-GPU machine) resumes
    where one GPU is visible, and a CPU run neither reads nor writes any GPU's state."""
    out = tmp_path / "run"
    fit(_task(pages, tmp_path), _cfg(1), out)
    ck = load_checkpoint(out / "latest.pt")
    ck["rng"]["cuda"] = [torch.zeros(16, dtype=torch.uint8), torch.ones(16, dtype=torch.uint8)]
    save_atomic(ck, out / "latest.pt")
    cuda = FakeCuda(monkeypatch, count=1)
    resumed = fit(_task(pages, tmp_path), _cfg(2, device="cpu"), out)
    assert resumed.epochs_done == 2 and cuda.set_calls == []
    assert load_checkpoint(out / "latest.pt")["rng"]["cuda"] is None


def test_only_the_training_gpus_generator_is_saved_and_restored(monkeypatch):
    cuda = FakeCuda(monkeypatch, count=1)
    states = train_module._rng_states(torch.device("cuda", 0))
    assert torch.equal(states["cuda"], torch.zeros(16, dtype=torch.uint8))  # one ByteTensor: this GPU's
    train_module._set_rng_states(states, torch.device("cuda", 0))
    assert cuda.set_calls == [0]
    older = {**states, "cuda": [torch.zeros(16, dtype=torch.uint8)] * 8}  # every GPU of an 8-GPU node
    train_module._set_rng_states(older, torch.device("cuda", 0))
    assert cuda.set_calls == [0, 0]


# --- S2: no host work in a training step -------------------------------------------------------------

def _audit_fit(pages, tmp_path, blocks, out):
    task = _task(pages, tmp_path)
    with DeviceAudit() as audit:
        fit(task, _cfg(1, blocks=blocks), tmp_path / out)
    return audit


def test_a_training_step_makes_nothing_on_the_host_and_waits_for_nothing(pages, tmp_path, on_meta):
    """With the model on a device (``meta``), a Grid LSTM training step (forward, loss, backward,
    Adam) creates no CPU tensor, copies nothing from the host and reads no value back: the
    epoch's blocks go over in one copy and the losses are read once per epoch.  Counted as the
    difference between an epoch of 4 steps and one of 2."""
    _audit_fit(pages, tmp_path, 8, "warm")  # once-per-process work (the weights' column orders) done
    two, four = _audit_fit(pages, tmp_path, 8, "two"), _audit_fit(pages, tmp_path, 16, "four")
    per_step = {kind: (four.counts[kind] - two.counts[kind]) / 2 for kind in ("created", "to_device", "reads")}
    where = {k: four.where[k] - two.where.get(k, 0) for k in four.where if four.where[k] != two.where.get(k, 0)}
    assert per_step == {"created": 0, "to_device": 0, "reads": 0}, where
    assert four.counts["reads"] <= 2  # the epoch's loss and its validation error


# --- B6: torchrun and GPUs ------------------------------------------------------------------------------------

@pytest.fixture
def two_gpus_two_ranks(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda dev: None)
    started = []
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: False)
    monkeypatch.setattr(torch.distributed, "init_process_group", lambda **kw: started.append(kw))
    for key, value in {"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(key, value)
    return started


def test_torchrun_gives_each_process_its_gpu(two_gpus_two_ranks):
    dist = train_module._Dist("cuda")
    assert dist.device == torch.device("cuda", 1)
    assert two_gpus_two_ranks == [{"backend": "nccl", "device_id": torch.device("cuda", 1)}]


def test_torchrun_with_more_processes_than_gpus_is_one_line(two_gpus_two_ranks, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    for rank in ("0", "1"):  # every process stops with the same line, before the process group
        monkeypatch.setenv("RANK", rank)
        monkeypatch.setenv("LOCAL_RANK", rank)
        with pytest.raises(InputError, match=r"torchrun started 2 processes .* 1 CUDA GPU\(s\) visible: "
                                             r"use --nproc_per_node 1 or fewer") as info:
            train_module._Dist("cuda")
        assert "\n" not in str(info.value)
    assert two_gpus_two_ranks == []


def test_torchrun_does_not_replace_a_named_gpu_silently(two_gpus_two_ranks, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    with pytest.raises(InputError, match=r"--device cuda:1: under torchrun each process uses the GPU of its "
                                         r"local rank .* CUDA_VISIBLE_DEVICES"):
        train_module._Dist("cuda:1")


def test_binkit_device_names_the_default_device(monkeypatch):
    from binkit.runtime import pick_device

    monkeypatch.setenv("BINKIT_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("BINKIT_DEVICE", "gpu7")
    with pytest.raises(InputError, match=r"^BINKIT_DEVICE='gpu7': "):
        pick_device()


def test_experiments_write_results_on_rank_0_only(tmp_path, monkeypatch):
    """Under torchrun every rank runs ``run_experiments``; only rank 0 may write ``results.csv``."""
    import binkit.gridlstm.experiments as experiments

    monkeypatch.setattr(experiments, "run", lambda spec, out: {})
    monkeypatch.setattr(experiments, "collect_results", lambda *a, **kw: [{"image": "x"}])
    written = []
    monkeypatch.setattr(experiments, "write_results_csv", lambda path, rows: written.append(path))
    monkeypatch.setenv("RANK", "1")
    assert experiments.run_experiments(tmp_path, configs=["f8-sf2-Ldyn"], test_years=[2016], synthetic=True) == []
    assert written == []
    monkeypatch.setenv("RANK", "0")
    experiments.run_experiments(tmp_path, configs=["f8-sf2-Ldyn"], test_years=[2016], synthetic=True)
    assert written == [tmp_path / "results.csv"]


# --- torchrun (gloo, 2 processes): a run and its resume follow the one-process run ------------------------------

def _train_cli(out, epochs, torchrun):
    cmd = [sys.executable, "-m", *(["torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m"]
                                   if torchrun else []),
           "binkit", "train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1", "--synthetic",
           "--train", "1", "2", "--val", "3", "--epochs", str(epochs), "--blocks-per-epoch", "8",
           "--batch-size", "4", "--val-every", "1", "--val-blocks", "6", "--no-progress", "--device", "cpu",
           "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.slow
def test_torchrun_run_and_resume_follow_one_process(tmp_path):
    """Two gloo processes, killed after one epoch and resumed: the losses and validation errors
    (each process scores its share of the validation blocks, summed) are the one-process run's."""
    import json

    _train_cli(tmp_path / "one", 2, torchrun=False)
    _train_cli(tmp_path / "two", 1, torchrun=True)
    _train_cli(tmp_path / "two", 2, torchrun=True)
    logs = [json.loads((tmp_path / name / "log.json").read_text()) for name in ("one", "two")]
    assert logs[1]["world_size"] == 2 and len(logs[1]["resumes"]) == 1
    for key in ("loss", "val_error"):
        np.testing.assert_allclose([h[key] for h in logs[1]["history"]], [h[key] for h in logs[0]["history"]],
                                   rtol=0, atol=2e-6)


def test_fit_says_which_device_it_trains_on(pages, tmp_path, capsys, monkeypatch):
    """A long run must not start on the CPU unsaid (review S5): the first line names the device, and
    a CPU-only torch on a machine with an NVIDIA GPU is pointed out."""
    fit(_task(pages, tmp_path), replace(_cfg(1, device="cpu"), progress=True), tmp_path / "a")
    assert capsys.readouterr().err.startswith("training on cpu: CPU only")
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(train_module.os.path, "exists", lambda path: path == "/dev/nvidia0")
    assert "CPU-only build: install a CUDA build of torch" in train_module._device_line(torch.device("cpu"))
