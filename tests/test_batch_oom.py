"""binkit binarize: a page that runs out of GPU memory ends only that page (issue 34, review B5)."""

from __future__ import annotations

import numpy as np
import torch


# --- B5: out of GPU memory on one page -------------------------------------------------------------------

def test_out_of_gpu_memory_on_one_page_ends_only_that_page(tmp_path, monkeypatch, capsys):
    from PIL import Image

    import binkit.registry
    from binkit.__main__ import main

    scans = tmp_path / "scans"
    scans.mkdir()
    for k, width in enumerate((60, 61, 62)):
        Image.fromarray((np.arange(40 * width) % 251).astype(np.uint8).reshape(40, width)).save(scans / f"p{k}.png")
    real = binkit.registry.binarizer

    def binarizer(name, **params):
        run = real(name, **params)

        def run_or_run_out(image):
            if image.shape[1] == 61:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
            return run(image)
        return run_or_run_out

    monkeypatch.setattr(binkit.registry, "binarizer", binarizer)
    out = tmp_path / "out"
    code = main(["binarize", str(scans), "-o", str(out), "--method", "otsu", "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code != 0
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p2.png"]
    assert "p1.png: out of GPU memory" in err and "Traceback" not in err
