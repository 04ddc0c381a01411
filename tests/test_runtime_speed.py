"""The CPU settings binkit's training and inference run under (binkit.runtime)."""

import torch

from binkit import runtime


def _denormal_bits(n=1 << 18):
    """Bit patterns of 1e-30 * 1e-10 computed by torch's threads: 0 where flushed, a denormal where not."""
    x = torch.full((n * torch.get_num_threads(),), 1e-30, dtype=torch.float32).mul_(1e-10)
    return x.view(torch.int32)


def test_denormals_flushed_on_every_thread_inside_and_restored_after():
    assert bool(_denormal_bits().any()), "torch flushes denormals before the context: test cannot tell"
    with runtime.denormals_flushed():
        assert not bool(_denormal_bits().any())
        with runtime.denormals_flushed():  # nested: still flushed after the inner one ends
            pass
        assert not bool(_denormal_bits().any())
    assert bool(_denormal_bits().all())


def test_freed_memory_kept_leaves_results_alone():
    a = torch.randn(64, 64)
    with runtime.freed_memory_kept():
        big = torch.ones(1 << 24)  # 64 MB: above glibc's mmap threshold
        total = float(big.sum())
        del big
        inner = a @ a
    assert total == float(1 << 24)
    torch.testing.assert_close(inner, a @ a)
