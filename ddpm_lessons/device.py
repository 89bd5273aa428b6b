"""Where the chapter runs (device choice) and how big its experiments are (test mode)."""
from __future__ import annotations

import os

import torch

FAST_ENV_VAR = "DDPM_LESSONS_FAST"


def default_device() -> torch.device:
    """CUDA if present, else Apple's MPS if it actually works, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        try:  # some builds report MPS but fail on first use
            torch.zeros(1, device="mps") + 1
            return torch.device("mps")
        except Exception:  # pragma: no cover - hardware specific
            pass
    return torch.device("cpu")


def device_name(device: torch.device | str | None = None) -> str:
    """A human-readable name of the device, e.g. 'cpu (2 threads)' or 'cuda: NVIDIA H100'."""
    device = torch.device(device) if device is not None else default_device()
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


def fast_mode() -> bool:
    """True when the chapter runs in test mode (``DDPM_LESSONS_FAST=1``).

    Test mode shrinks sample counts and step grids so the notebooks run in seconds under nbval;
    every claim the notebooks assert must hold in both modes.
    """
    return os.environ.get(FAST_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def pick(reader, fast, cuda=None):
    """Choose an experiment size: ``fast`` in test mode, ``cuda`` (if given) on a GPU, else ``reader``."""
    if fast_mode():
        return fast
    if cuda is not None and default_device().type == "cuda":
        return cuda
    return reader
