"""The chapter's small pretrained models: loaded safely, checked for integrity.

Each model is a checkpoint ``data/<name>.pt`` holding a *plain dict of tensors* (the EMA weights
and, for diffusion models, the noise schedule's betas); everything else (architecture config,
training command, seed, metrics) lives in ``data/manifest.json`` with the file's SHA-256.

Safety: checkpoints are read with ``torch.load(weights_only=True)``, which refuses any pickle that
would construct arbitrary objects or call functions (a crafted file never runs its payload), and
the SHA-256 is checked before anything is unpickled. Every failure raises
:class:`CheckpointError` naming the file and the exact command that rebuilds it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import sampling
from .data import DATA_DIR
from .device import default_device
from .models import DigitClassifier, MLPEps, UNet
from .schedule import NoiseSchedule

MANIFEST = DATA_DIR / "manifest.json"
ARCHITECTURES = {"MLPEps": MLPEps, "UNet": UNet, "DigitClassifier": DigitClassifier}
AVAILABLE = ("toy2d", "mnist", "mnist-features")


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupted, altered, or not a plain tensor file."""


@dataclass
class Pretrained:
    """What :func:`load_pretrained` returns.

    ``model``: an ``nn.Module`` in eval mode (``model(x_t, t) -> eps`` for diffusion models, a
    classifier for ``"mnist-features"``); ``schedule``: its :class:`NoiseSchedule` (None for the
    classifier); ``sample_shape``: the shape of ONE sample, e.g. ``(2,)`` or ``(1, 16, 16)``;
    ``metadata``: the manifest entry (dataset, training command, config, metrics).
    ``data_range``: (low, high) of the training data when the manifest records it (images: (−1, 1)).
    """

    model: nn.Module
    schedule: NoiseSchedule | None
    sample_shape: tuple
    metadata: dict = field(default_factory=dict)

    @property
    def data_range(self):
        r = self.metadata.get("data_range")
        return None if r is None else (float(r[0]), float(r[1]))

    @property
    def clip_x0(self):
        """The bound to pass as ``clip_x0=`` (the largest |value| of the data range), or None."""
        r = self.data_range
        return None if r is None else max(abs(r[0]), abs(r[1]))

    def sample(self, name: str, x_T, **options):
        """``dl.sample(name, model, schedule, x_T, …)`` with this bundle's model, schedule and its own
        ``clip_x0`` (unless ``options`` gives one): ``bundle.sample("ddim", x_T, steps=10)``."""
        if self.schedule is None:
            raise ValueError(f"{self.metadata.get('name', 'this model')} is not a diffusion model: it has no schedule to sample")
        options.setdefault("clip_x0", self.clip_x0)
        return sampling.sample(name, self.model, self.schedule, x_T, **options)


def rebuild_command(name: str) -> str:
    return f"python -m ddpm_lessons.train {name}"


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path=None) -> dict:
    path = Path(path) if path is not None else MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write_manifest_entry(name: str, entry: dict, path=None) -> None:
    """Insert or replace one model's entry (read–modify–write, sorted keys, stable diff)."""
    path = Path(path) if path is not None else MANIFEST
    manifest = read_manifest(path)
    manifest[name] = entry
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _entry(name: str, manifest: dict) -> dict:
    if name not in AVAILABLE:
        raise ValueError(f"unknown pretrained model {name!r}; available: {', '.join(AVAILABLE)}")
    if name not in manifest:
        raise CheckpointError(f"data/manifest.json has no entry for {name!r}; build it with: {rebuild_command(name)}")
    return manifest[name]


def safe_load_tensors(path, expected_sha256: str | None, name: str, map_location="cpu") -> dict:
    """Verify the file's SHA-256, then unpickle it with ``weights_only=True`` (tensors and
    containers only). Raises :class:`CheckpointError` naming the file and the rebuild command."""
    path = Path(path)
    fix = f"rebuild it with: {rebuild_command(name)}"
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} is missing; {fix}")
    if expected_sha256 is not None:
        got = sha256(path)
        if got != expected_sha256:
            raise CheckpointError(
                f"checkpoint {path} is truncated or altered (sha256 {got[:16]}… != manifest "
                f"{expected_sha256[:16]}…); {fix}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # UnpicklingError for code-running pickles, RuntimeError for bad zips
        raise CheckpointError(
            f"checkpoint {path} is not a plain tensor file and was refused without running it "
            f"({type(err).__name__}); {fix}") from err
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise CheckpointError(f"checkpoint {path} does not hold a dict with a 'model' state dict; {fix}")
    return state


def load_pretrained(name: str, device=None, *, path=None, manifest_path=None, data_dir=None) -> Pretrained:
    """Load ``"toy2d"``, ``"mnist"`` or ``"mnist-features"`` onto ``device`` (default: ``default_device()``).

    ``"ddpm-cifar10-32"`` (DDPM's CIFAR-10 model from the Hugging Face hub; ``path``: a local copy) is
    loaded by :func:`ddpm_lessons.hub.load_hub_model`.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, one of {', '.join(AVAILABLE)}; got {type(name).__name__}")
    from . import hub  # imported here: hub builds on this module's Pretrained

    if name in hub.HUB_MODELS:
        return hub.load_hub_model(name, device, path=path)
    if path is not None:
        raise ValueError(f"path= is for hub models ({', '.join(hub.HUB_MODELS)}); {name!r} ships in data/")
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    manifest = read_manifest(manifest_path if manifest_path is not None else data_dir / "manifest.json")
    entry = _entry(name, manifest)
    device = torch.device(device) if device is not None else default_device()
    state = safe_load_tensors(data_dir / entry["file"], entry["sha256"], name)
    model = ARCHITECTURES[entry["architecture"]](**entry["config"])
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(f"checkpoint {entry['file']} does not match its manifest config; "
                              f"rebuild it with: {rebuild_command(name)}") from err
    schedule = NoiseSchedule(state["betas"]) if "betas" in state else None
    return Pretrained(model=model.to(device).eval(), schedule=schedule,
                      sample_shape=tuple(entry["sample_shape"]), metadata=entry)
