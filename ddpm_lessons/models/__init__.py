"""The chapter's small networks: ``MLPEps`` (2D toy data), ``UNet`` (16×16 digits; DDPM's
architecture, and :func:`ddpm_cifar10_unet`, DDPM's CIFAR-10 configuration) and
``DigitClassifier`` (the image-quality metric's feature network).
"""
from __future__ import annotations

from .classifier import DigitClassifier
from .mlp import MLPEps
from .unet import UNet, count_parameters, ddpm_cifar10_unet, timestep_embedding


__all__ = ["MLPEps", "UNet", "DigitClassifier", "ddpm_cifar10_unet", "count_parameters", "timestep_embedding"]
