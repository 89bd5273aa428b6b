"""One helper per kind of figure, in one style. Every helper takes a ``title`` (state the finding)
and returns the matplotlib Figure; axes are always labelled.

Kinds: :func:`scatter_2d` (2D samples over the data), :func:`trajectories_2d` (paths from noise
to data), :func:`panels_2d` (several 2D scatters side by side), :func:`image_grid` (a grid of
images), :func:`image_rows` (labelled rows of images: strips, reconstructions), :func:`curves`
(lines over a shared x axis, optionally log-log), :func:`bars` (a labelled bar chart).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
DATA_STYLE = dict(s=3, c="0.75", alpha=0.6, linewidths=0)


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def _finish(fig, title):
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def _axes_2d(ax, lim):
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)


def scatter_2d(samples: dict, data=None, title="", lim=3.0, size=4.5):
    """One panel per entry of ``samples`` ({label: (n, 2) tensor}), each drawn over ``data`` in grey."""
    n = len(samples)
    fig, axes = plt.subplots(1, n, figsize=(size * n, size), squeeze=False)
    for ax, (label, pts), color in zip(axes[0], samples.items(), COLORS):
        if data is not None:
            d = _np(data)
            ax.scatter(d[:, 0], d[:, 1], label="data", **DATA_STYLE)
        p = _np(pts)
        ax.scatter(p[:, 0], p[:, 1], s=4, color=color, alpha=0.7, linewidths=0, label=label)
        ax.set_title(label, fontsize=10)
        _axes_2d(ax, lim)
    return _finish(fig, title)


panels_2d = scatter_2d  # several 2D scatters side by side: same figure kind


def trajectories_2d(trajectories: dict, data=None, title="", lim=3.0, size=4.5, max_paths=12):
    """Paths from noise (○) to the final sample (●), one panel per sampler.

    ``trajectories`` maps a label to a tensor (steps + 1, n, 2) as returned by the samplers with
    ``return_trajectory=True``.
    """
    n = len(trajectories)
    fig, axes = plt.subplots(1, n, figsize=(size * n, size), squeeze=False)
    for ax, (label, traj) in zip(axes[0], trajectories.items()):
        tr = _np(traj)[:, :max_paths]
        if data is not None:
            d = _np(data)
            ax.scatter(d[:, 0], d[:, 1], **DATA_STYLE)
        for k in range(tr.shape[1]):
            color = COLORS[k % len(COLORS)]
            ax.plot(tr[:, k, 0], tr[:, k, 1], lw=0.8, color=color, alpha=0.8)
            ax.scatter(*tr[0, k], s=25, facecolors="none", edgecolors=color)
            ax.scatter(*tr[-1, k], s=25, color=color)
        ax.set_title(f"{label}  ({tr.shape[0] - 1} steps)", fontsize=10)
        _axes_2d(ax, lim)
    return _finish(fig, title)


def _to_display(img):
    """(C, H, W) or (H, W) in [-1, 1] → (H, W) or (H, W, C) in [0, 1]."""
    a = _np(img)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)
    return np.clip((a + 1) / 2, 0, 1)


def image_grid(images, title="", ncol=8, labels=None, size=1.1):
    """A grid of images (batch, C, H, W) in [-1, 1]; optional per-image ``labels`` under each."""
    imgs = _np(images)
    n = len(imgs)
    ncol = min(ncol, n)
    nrow = math.ceil(n / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(size * ncol, size * nrow + 0.6), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k < n:
            ax.imshow(_to_display(imgs[k]), cmap="gray", vmin=0, vmax=1)
            if labels is not None:
                ax.set_xlabel(str(labels[k]), fontsize=8)
        else:
            ax.axis("off")
    return _finish(fig, title)


def image_rows(rows: dict, title="", col_labels=None, size=1.1):
    """Labelled rows of images: ``rows`` maps a row label to a (n, C, H, W) tensor or list."""
    nrow = len(rows)
    ncol = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(nrow, ncol, figsize=(size * ncol + 1.2, size * nrow + 0.6), squeeze=False)
    for r, (label, imgs) in enumerate(rows.items()):
        for c in range(ncol):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(imgs):
                ax.imshow(_to_display(imgs[c]), cmap="gray", vmin=0, vmax=1)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
            if r == nrow - 1 and col_labels is not None and c < len(col_labels):
                ax.set_xlabel(str(col_labels[c]), fontsize=8)
    return _finish(fig, title)


def curves(x, ys: dict, xlabel: str, ylabel: str, title="", logx=False, logy=False, bands=None,
           hlines=None, markers=True, size=(6.5, 4.2), ax=None):
    """Lines over a shared x axis. ``ys`` maps a label to y values (or to (x, y) pairs);
    ``bands`` maps a label to (low, high); ``hlines`` maps a label to a reference level."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=size)
    for (label, y), color in zip(ys.items(), COLORS):
        xs, y = (y if isinstance(y, tuple) else (x, y))
        ax.plot(_np(xs), _np(y), marker="o" if markers else None, ms=4, color=color, label=label)
        if bands and label in bands:
            lo, hi = bands[label]
            ax.fill_between(_np(xs), _np(lo), _np(hi), color=color, alpha=0.15)
    for (label, level), style in zip((hlines or {}).items(), ["--", ":", "-."]):
        ax.axhline(level, color="0.3", ls=style, lw=1, label=label)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _finish(fig, title)


def bars(values: dict, ylabel: str, title="", logy=False, size=(6.5, 4.0), annotate="{:.3g}"):
    """A bar per entry of ``values`` ({label: number}), each annotated with its value."""
    fig, ax = plt.subplots(figsize=size)
    labels, heights = list(values), [float(v) for v in values.values()]
    ax.bar(labels, heights, color=COLORS[: len(labels)])
    for k, h in enumerate(heights):
        ax.annotate(annotate.format(h), (k, h), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_yscale("log" if logy else "linear")
    ax.grid(alpha=0.3, axis="y")
    plt.setp(ax.get_xticklabels(), rotation=15, ha="right")
    return _finish(fig, title)
