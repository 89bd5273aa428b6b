"""A small CNN digit classifier on the chapter's 16×16 digits; its penultimate layer is the
feature space of the image-quality metric ("FD in MNIST-classifier features", see ``metrics``)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_int


class DigitClassifier(nn.Module):
    """conv(c)–conv(c)–pool–conv(2c)–conv(2c)–pool–FC(feature_dim)–FC(10), ReLU, dropout.

    ``forward(x)`` returns logits (N, 10); ``features(x)`` the ``feature_dim`` penultimate
    activations used for Fréchet distances. Inputs are (N, 1, 16, 16) in [−1, 1].
    """

    def __init__(self, channels=32, feature_dim=128, num_classes=10, dropout=0.3):
        super().__init__()
        check_int("channels", channels, 1, 4096)
        check_int("feature_dim", feature_dim, 1, 100_000)
        check_int("num_classes", num_classes, 2, 100_000)
        self.config = dict(channels=channels, feature_dim=feature_dim, num_classes=num_classes, dropout=dropout)
        c = channels
        self.convs = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(2 * c * 16, feature_dim)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, feature_dim) (after ReLU, before dropout)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 16, 16):
            raise ValueError(f"x must have shape (N, 1, 16, 16), got {tuple(x.shape)}")
        return F.relu(self.fc(self.convs(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))
