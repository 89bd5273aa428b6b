"""One helper per kind of figure, in one style. Every helper takes a ``title`` (state the finding)
and returns the matplotlib Figure; axes are always labelled.

Kinds: :func:`scatter_2d` (2D samples over the data, one panel per entry), :func:`trajectories_2d`
(paths from noise to data), :func:`image_grid` (a grid of images), :func:`image_rows` (labelled
rows of images: strips, reconstructions), :func:`curves` (lines over a shared x axis, optionally
log-log, with error bars), :func:`curves_panels` (side-by-side curves).

Each figure is shown once: the helpers detach the figure from pyplot's list of open figures, so
the inline backend does not draw it a second time when a cell ends with the helper's call (the
returned Figure is what Jupyter displays). A cell that keeps the figure in a variable ends with
that variable (or calls ``display(fig)``).

One colour per sampler across the chapter, read from the sampler registry: :data:`PALETTE`.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.colors import to_hex
import numpy as np
import torch

from .checks import check_choice
from .data import to_image
from .sampling import OTHER_COLORS, SAMPLERS

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
DATA_STYLE = dict(s=3, c="0.75", alpha=0.6, linewidths=0)

#: The chapter's palette: one colour per sampler (from the registry, :data:`dl.SAMPLERS`) and for
#: references; none of these colours is ever lent to another series.
PALETTE = {**{name: spec.color for name, spec in SAMPLERS.items()}, **OTHER_COLORS}


#: further distinct colours (matplotlib's tab20 light tones) once the default cycle's free ones are used
_EXTRA = ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5"]


def _series(keys):
    """(label, colour) of each series key. A key is a sampler name of the registry (its label and
    colour), a tuple (sampler name, label) (its colour, another label: "DDIM η=0, leading"),
    ``"reference"``, or any other label (a colour of the default cycle that no sampler owns)."""
    reserved = {to_hex(c) for c in PALETTE.values()}
    free = [c for c in [*map(to_hex, COLORS), *_EXTRA] if c not in reserved]
    spare = iter(dict.fromkeys(free))  # distinct colours; only past all of them does a colour repeat
    out = []
    for key in keys:
        if isinstance(key, tuple):
            name, label = key
            out.append((label, PALETTE[check_choice("sampler", name, tuple(PALETTE))]))
        elif key in SAMPLERS:
            out.append((SAMPLERS[key].label, SAMPLERS[key].color))
        elif key in OTHER_COLORS:
            out.append((key, OTHER_COLORS[key]))
        else:
            out.append((str(key), next(spare, "#000000")))
    return out


def _np(x):
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def _finish(fig, title):
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    plt.close(fig)  # shown once: by Jupyter's display of the returned Figure, not again by the backend
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
    for ax, pts, (label, color) in zip(axes[0], samples.values(), _series(samples)):
        if data is not None:
            d = _np(data)
            ax.scatter(d[:, 0], d[:, 1], label="data", **DATA_STYLE)
        p = _np(pts)
        ax.scatter(p[:, 0], p[:, 1], s=4, color=color, alpha=0.7, linewidths=0, label=label)
        ax.set_title(label, fontsize=10)
        _axes_2d(ax, lim)
    return _finish(fig, title)



def trajectories_2d(trajectories: dict, data=None, title="", lim=3.0, size=4.5, max_paths=12):
    """Paths from noise (○) to the final sample (●), one panel per sampler.

    ``trajectories`` maps a label to a tensor (steps + 1, n, 2) as returned by the samplers with
    ``return_trajectory=True``. Paths are drawn inside the panel's limits (points outside ±lim are
    clipped by the axes, never stretch them).
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


def display_array(img):
    """One image (C, H, W) or (H, W) in model space [−1, 1] → an imshow array (H, W) or (H, W, C)
    in [0, 1]. The chapter's one display conversion (figures here and the widgets' frames)."""
    a = to_image(torch.as_tensor(img)).numpy()
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)
    return a


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
            ax.imshow(display_array(imgs[k]), cmap="gray", vmin=0, vmax=1)
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
    for r, (key, imgs) in enumerate(rows.items()):
        label = key[1] if isinstance(key, tuple) else key  # (sampler name, label) keys as in curves
        for c in range(ncol):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(imgs):
                ax.imshow(display_array(imgs[c]), cmap="gray", vmin=0, vmax=1)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
            if r == nrow - 1 and col_labels is not None and c < len(col_labels):
                ax.set_xlabel(str(col_labels[c]), fontsize=8)
    return _finish(fig, title)


def _values_and_errors(y):
    """Numbers, or Estimates (value ± se) → (values, 2·se error bars or None)."""
    y = list(y) if not isinstance(y, (np.ndarray, torch.Tensor)) else y
    if len(y) and hasattr(y[0], "se"):
        return np.array([float(e.value) for e in y]), np.array([2 * float(e.se) for e in y])
    return _np(y), None


def curves(x, ys: dict, xlabel: str, ylabel: str, title="", logx=False, logy=False, bands=None,
           hlines=None, markers=True, size=(6.5, 4.2), ax=None):
    """Lines over a shared x axis, one palette colour per sampler.

    ``ys`` maps a series key (a sampler name, a (sampler name, label) tuple, or a plain label; see
    :func:`_series`) to y values (numbers or :class:`~ddpm_lessons.stats.Estimate` s, drawn with
    ±2 se error bars) or to (x, y) pairs; ``bands`` maps a label to (low, high); ``hlines`` maps a
    label to a reference level (a number, or an Estimate drawn with a ±2 sd band).
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=size)
    for y, (label, color) in zip(ys.values(), _series(ys)):
        xs, y = (y if isinstance(y, tuple) else (x, y))
        vals, err = _values_and_errors(y)
        ax.errorbar(_np(xs), vals, yerr=err, marker="o" if markers else None, ms=4, color=color, label=label,
                    capsize=2 if err is not None else 0)
        if bands and label in bands:
            lo, hi = bands[label]
            ax.fill_between(_np(xs), _np(lo), _np(hi), color=color, alpha=0.15)
    for (label, level), style in zip((hlines or {}).items(), ["--", ":", "-."]):
        value = float(getattr(level, "value", level))
        ax.axhline(value, color="0.3", ls=style, lw=1, label=label)
        if hasattr(level, "se") and level.se > 0:
            ax.axhspan(value - 2 * level.se, value + 2 * level.se, color="0.5", alpha=0.12)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _finish(fig, title)


def curves_panels(panels: dict, xlabel, ylabel: str, title="", hlines=None, logx=False, logy=False,
                  size=(4.6, 3.6)):
    """Side-by-side :func:`curves` panels sharing the y axis: ``panels`` maps a panel title to its
    ``ys`` dict; ``xlabel`` is one label or one per panel title; ``hlines`` maps a panel title to
    that panel's reference levels."""
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), sharey=True, squeeze=False)
    for ax, (name, ys) in zip(axes[0], panels.items()):
        curves(None, ys, xlabel=xlabel[name] if isinstance(xlabel, dict) else xlabel, ylabel=ylabel, logx=logx,
               logy=logy, hlines=(hlines or {}).get(name), ax=ax)
        ax.set_title(name, fontsize=9)
    return _finish(fig, title)
