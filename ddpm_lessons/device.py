"""Where the chapter runs (device choice) and how big its experiments are (test mode)."""
from __future__ import annotations

import numbers
import os

import torch

FAST_ENV_VAR = "DDPM_LESSONS_FAST"
STATIC_ENV_VAR = "DDPM_LESSONS_STATIC"


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` is set to 1/true/yes/on (any case)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def seed(k: int, device=None) -> torch.Generator:
    """A fresh ``torch.Generator`` seeded with ``k`` (on the CPU unless ``device`` is given).

    All randomness of the chapter flows through generators like this one: same seed, same numbers.
    A CPU generator gives the same numbers on every device (samplers draw on the generator's
    device and copy).
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {k!r}")
    return torch.Generator(device=device if device is not None else "cpu").manual_seed(int(k))


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
    return env_flag(FAST_ENV_VAR)


def pick(reader, fast, cuda=None):
    """Choose an experiment size: ``fast`` in test mode, ``cuda`` (if given) on a GPU, else ``reader``."""
    if fast_mode():
        return fast
    if cuda is not None and default_device().type == "cuda":
        return cuda
    return reader


def model_device(model) -> torch.device:
    """The device of a model's first parameter or buffer (CPU for parameter-free callables)."""
    for attr in ("parameters", "buffers"):
        for p in getattr(model, attr, lambda: iter(()))():
            return p.device
    return torch.device("cpu")
