"""benchmarks/device_check.py, the GPU check of issue 34, runs in its tiny mode on the CPU."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


# --- the device check -----------------------------------------------------------------------------------------

def test_the_device_check_runs_in_its_tiny_mode(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "device_check.py"), "--device", "cpu",
                           "--tiny", "--work", str(tmp_path)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = proc.stdout
    for row in ("fresh run", "resumed", "resume == uninterrupted", "training blocks/s", "inference s/MP",
                "sgemm GFLOP/s", "notebook 06 GPU path"):
        assert row in table, table
    assert re.search(r"^\| resume == uninterrupted +\| [^|]+\| yes", table, re.M), table
    assert "FAILED" not in table
