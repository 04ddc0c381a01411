"""Shared fixtures: where the DIBCO data and the reference files are.

Tests that need data outside the project skip with a reason that says where
they looked.  ``.ci/run`` points ``BINKIT_DIBCO_ROOT`` at ``../shared/data/dibco``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import torch

# The suite runs many tiny models; on a 2-core machine one thread avoids OpenMP
# hand-off costs that dominate such small operations (speed is measured in
# benchmarks/, never here).
torch.set_num_threads(1)

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"


def _dibco_root() -> Path | None:
    env = os.environ.get("BINKIT_DIBCO_ROOT")
    for cand in ([Path(env)] if env else []) + [SHARED / "data" / "dibco", PROJECT / "data" / "dibco"]:
        if (cand / "2016" / "images").is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def dibco_root() -> Path:
    root = _dibco_root()
    if root is None:
        pytest.skip("DIBCO data not found: set BINKIT_DIBCO_ROOT or put it at ../shared/data/dibco")
    return root


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The organisers' reference files: ``BINKIT_REFERENCE_DIR``, else ``../shared/data/reference``."""
    env = os.environ.get("BINKIT_REFERENCE_DIR")
    ref = Path(env) if env else SHARED / "data" / "reference"
    if not ref.is_dir():
        pytest.skip(f"reference fixtures not found at {ref} (set BINKIT_REFERENCE_DIR)")
    return ref


@pytest.fixture(scope="session")
def project_script():
    """``project_script("tools/benchmarks_page.py")``: a script of the checkout (not a package module), loaded."""

    def load(relative: str):
        path = PROJECT / relative
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
