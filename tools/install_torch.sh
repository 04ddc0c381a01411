#!/usr/bin/env sh
# Install a CPU build of PyTorch into the given Python environment, unless torch
# is already importable there.  Why a separate step: `pip install torch` from
# PyPI on Linux pulls a multi-GB CUDA build, which a CPU-only machine (a laptop,
# CI) does not need.  For a CUDA build see docs/install.md, section "GPU".
#
# usage: tools/install_torch.sh PYTHON
set -eu
PY="${1:-python3}"
TORCH_VERSION="${BINKIT_TORCH_VERSION:-2.13.0}"
CPU_INDEX="${BINKIT_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"

if "$PY" -c "import torch" >/dev/null 2>&1; then
    exit 0
fi
# An index given explicitly (e.g. a CUDA one, see docs/install.md "GPU") always wins.
if [ -n "${BINKIT_TORCH_INDEX:-}" ]; then
    exec "$PY" -m pip install --quiet "torch==$TORCH_VERSION" --index-url "$BINKIT_TORCH_INDEX"
fi
# Some machines (this project's CI among them) keep a CPU wheel in pip's
# find-links directory; use it when present, it needs no download at all.
links=$("$PY" -m pip config get global.find-links 2>/dev/null || true)
for dir in $links; do
    if ls "$dir"/torch-"$TORCH_VERSION"+cpu-*.whl >/dev/null 2>&1; then
        exec "$PY" -m pip install --quiet "torch==$TORCH_VERSION"
    fi
done
case "$(uname -s)" in
    Darwin) exec "$PY" -m pip install --quiet "torch==$TORCH_VERSION" ;;  # macOS wheels are CPU/MPS already
    *) exec "$PY" -m pip install --quiet "torch==$TORCH_VERSION" --index-url "$CPU_INDEX" ;;
esac
