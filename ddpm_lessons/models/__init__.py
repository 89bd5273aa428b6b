"""The chapter's small networks and an NFE counter.

``MLPEps`` (2D toy data), ``UNet`` (16×16 digits; DDPM's architecture), ``DigitClassifier``
(the image-quality metric's feature network) and :class:`CountingModel`, which counts how
many times a sampler calls the network (number of function evaluations, NFE).
"""
from __future__ import annotations

import torch
from torch import nn

from .classifier import DigitClassifier
from .mlp import MLPEps
from .unet import UNet, count_parameters, ddpm_cifar10_unet, timestep_embedding


class CountingModel(nn.Module):
    """Wrap ``model`` and count network calls: ``.calls`` (forward calls) and ``.samples``
    (rows evaluated, i.e. calls × batch). ``.reset()`` sets both to zero.

    Honours the sampler contract: ``CountingModel(model)(x_t, t)`` returns ``model(x_t, t)``.
    """

    def __init__(self, model):
        super().__init__()
        if not callable(model):
            raise TypeError(f"model must be callable as model(x_t, t), got {type(model).__name__}")
        self.model = model
        self.calls = 0
        self.samples = 0

    def forward(self, x_t, t):
        self.calls += 1
        self.samples += int(x_t.shape[0])
        return self.model(x_t, t)

    def reset(self) -> "CountingModel":
        self.calls = 0
        self.samples = 0
        return self

    def __repr__(self) -> str:
        return f"CountingModel(calls={self.calls}, model={type(self.model).__name__})"


def model_device(model) -> torch.device:
    """The device of a model's first parameter or buffer (CPU for parameter-free callables)."""
    for attr in ("parameters", "buffers"):
        for p in getattr(model, attr, lambda: iter(()))():
            return p.device
    return torch.device("cpu")


__all__ = ["model_device", "MLPEps", "UNet", "DigitClassifier", "CountingModel", "ddpm_cifar10_unet",
           "count_parameters", "timestep_embedding"]
