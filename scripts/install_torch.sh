#!/usr/bin/env bash
# Install PyTorch into a Python environment, choosing the build for this machine.
#
#   scripts/install_torch.sh PYTHON [auto|cpu|cuda]        (the Makefile calls it with TORCH=...)
#
# auto (default): keep a torch that PYTHON can already import. Otherwise, on Linux without an NVIDIA
#   driver (no nvidia-smi, no /proc/driver/nvidia), install the CPU-only build from PyTorch's own
#   index (a ~190 MB wheel) instead of PyPI's default Linux build, which pulls NVIDIA's CUDA
#   libraries (a 5.8 GB venv); if that index cannot be reached within a few seconds, fall back to PyPI's default.
#   With an NVIDIA driver, and on macOS and Windows, PyPI's default build is the right one.
# cpu:  the CPU-only build from PyTorch's index, whatever the machine (fallback as above).
# cuda: PyPI's default build (CUDA on Linux).
# Environment: TORCH_SPEC (default "torch>=2.2", e.g. torch==2.13.0 to pin), TORCH_CPU_INDEX.
set -euo pipefail

PY=${1:?usage: install_torch.sh PYTHON [auto|cpu|cuda]}
MODE=${2:-auto}
CPU_INDEX=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}
SPEC=${TORCH_SPEC:-torch>=2.2}

case "$MODE" in auto|cpu|cuda) ;; *) echo "install_torch.sh: TORCH must be auto, cpu or cuda, not '$MODE'" >&2; exit 2 ;; esac

if installed=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null); then
    echo "torch $installed is already installed: kept (to change build: $PY -m pip uninstall torch, then rerun)"
    exit 0
fi

has_nvidia() { command -v nvidia-smi >/dev/null 2>&1 || [ -e /proc/driver/nvidia/version ]; }

if [ "$MODE" = auto ]; then
    if [ "$(uname -s)" = Linux ] && ! has_nvidia; then MODE=cpu; else MODE=cuda; fi
fi

if [ "$MODE" = cpu ]; then
    # A quick reachability probe: pip's own default would wait minutes on an unreachable index.
    if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=5)" "$CPU_INDEX" >/dev/null 2>&1; then
        echo "installing the CPU-only build of torch from $CPU_INDEX"
        if "$PY" -m pip install --timeout 10 --retries 1 --index-url "$CPU_INDEX" "$SPEC"; then
            exit 0
        fi
        echo "install_torch.sh: the CPU-only index failed; falling back to PyPI's default build" >&2
    else
        echo "install_torch.sh: $CPU_INDEX cannot be reached; falling back to PyPI's default build" >&2
    fi
fi

echo "installing torch from PyPI's default index"
"$PY" -m pip install "$SPEC"
