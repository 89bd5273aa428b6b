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

Readable at a laptop's width: no figure is wider than :data:`MAX_WIDTH` inches (at the inline
backend's 100 dpi it then fits JupyterLab's ≈ 970 px of output width with the file browser open, so
it is shown unscaled); panels wrap into rows (at most :data:`MAX_COLUMNS` side by side) and image
cells shrink instead, while every text keeps at least :data:`MIN_FONT` pt. Long titles wrap to the
figure's width. Every figure carries alt text (its title and what it draws) as the ``alt`` of its
PNG output's metadata, which Jupyter front ends and nbconvert's templates read.
"""
from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
from matplotlib.colors import to_hex
from matplotlib.text import Text
import numpy as np
import torch

from .checks import check_choice
from .data import to_image
from .sampling import OTHER_COLORS, SAMPLERS

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
#: widest figure in inches: 950 px at 100 dpi, inside JupyterLab's ≈ 970 px output with the file browser open
MAX_WIDTH = 9.5
#: most panels side by side (each then ≥ MAX_WIDTH / MAX_COLUMNS ≈ 3.2 in wide); more wrap into rows
MAX_COLUMNS = 3
#: smallest font size of any text in a figure, in points (≥ 12 px at 100 dpi)
MIN_FONT = 9
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


def panel_grid(n: int, panel_size: tuple, max_columns: int = MAX_COLUMNS):
    """(rows, columns, figsize) for ``n`` panels of ``panel_size`` inches: at most ``max_columns``
    side by side (rows balanced: 4 panels are 2 × 2), and the whole no wider than :data:`MAX_WIDTH`
    (panels scaled down with their aspect kept). The one layout rule of every multi-panel helper."""
    ncol = math.ceil(n / math.ceil(n / max_columns)) if n > 0 else 1
    nrow = math.ceil(n / ncol) if n > 0 else 1
    w, h = panel_size
    scale = min(1.0, MAX_WIDTH / (w * ncol))
    return nrow, ncol, (w * ncol * scale, h * nrow * scale)


def capped_size(width: float, height: float):
    """(width, height) in inches scaled down together so that the width is at most :data:`MAX_WIDTH`."""
    scale = min(1.0, MAX_WIDTH / width)
    return width * scale, height * scale


def _wrap_title(fig, title, fontsize):
    """The title broken into lines that fit the figure's width (measured with the renderer)."""
    renderer = getattr(fig.canvas, "get_renderer", lambda: None)()
    if not title or renderer is None:
        return title
    width_px = 0.96 * fig.get_figwidth() * fig.dpi
    text = fig.text(0, 0, title, fontsize=fontsize)
    chars = len(title)
    try:
        while chars > 20:
            text.set_text(textwrap.fill(title, chars))
            if text.get_window_extent(renderer).width <= width_px:
                break
            chars = int(chars * 0.9)
        return text.get_text()
    finally:
        text.remove()


def _alt_bundle(alt, include=None, exclude=None):
    """IPython's ``_repr_mimebundle_`` protocol: no data (the inline backend's PNG formatter draws
    the figure), only the PNG's metadata with its alt text."""
    return {}, {"image/png": {"alt": alt}}


def set_alt_text(fig, alt: str):
    """Attach ``alt`` to ``fig``: Jupyter stores it as the ``alt`` of the figure's image/png output
    metadata (what nbconvert and screen readers use). The figure helpers call it with their title
    and a description of what they draw; call it yourself on a figure you drew by hand."""
    fig.alt_text = " ".join(str(alt).split())
    fig._repr_mimebundle_ = lambda include=None, exclude=None: _alt_bundle(fig.alt_text, include, exclude)
    return fig


def _enforce_min_font(fig):
    for text in fig.findobj(Text):
        if text.get_fontsize() < MIN_FONT:
            text.set_fontsize(MIN_FONT)


def _finish(fig, title, what=""):
    """Title (wrapped to the width), fonts ≥ MIN_FONT, tight layout, alt text; detached from pyplot."""
    fig.suptitle(_wrap_title(fig, title, 12), fontsize=12)
    _enforce_min_font(fig)
    fig.tight_layout()
    set_alt_text(fig, ". ".join(p.rstrip(".") for p in (title, what) if p) + ".")
    plt.close(fig)  # shown once: by Jupyter's display of the returned Figure, not again by the backend
    return fig


def _listing(labels, limit=8):
    labels = [str(x) for x in labels]
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _axes_2d(ax, lim):
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)


def scatter_2d(samples: dict, data=None, title="", lim=3.0, size=4.5):
    """One panel per entry of ``samples`` ({label: (n, 2) tensor}), each drawn over ``data`` in grey."""
    nrow, ncol, figsize = panel_grid(len(samples), (size, size))
    fig, axes = plt.subplots(nrow, ncol, figsize=figsize, squeeze=False)
    _hide_unused(axes, len(samples))
    for ax, pts, (label, color) in zip(axes.flat, samples.values(), _series(samples)):
        if data is not None:
            d = _np(data)
            ax.scatter(d[:, 0], d[:, 1], label="data", **DATA_STYLE)
        p = _np(pts)
        ax.scatter(p[:, 0], p[:, 1], s=4, color=color, alpha=0.7, linewidths=0, label=label)
        ax.set_title(label, fontsize=10)
        _axes_2d(ax, lim)
    over = " over the data (grey)" if data is not None else ""
    return _finish(fig, title, f"Scatter plots of 2D samples{over}, one panel each: {_listing(samples)}")


def _hide_unused(axes, n):
    for ax in list(axes.flat)[n:]:
        ax.axis("off")


def trajectories_2d(trajectories: dict, data=None, title="", lim=3.0, size=4.5, max_paths=12):
    """Paths from noise (○) to the final sample (●), one panel per sampler.

    ``trajectories`` maps a label to a tensor (steps + 1, n, 2) as returned by the samplers with
    ``return_trajectory=True``. Paths are drawn inside the panel's limits (points outside ±lim are
    clipped by the axes, never stretch them).
    """
    nrow, ncol, figsize = panel_grid(len(trajectories), (size, size))
    fig, axes = plt.subplots(nrow, ncol, figsize=figsize, squeeze=False)
    _hide_unused(axes, len(trajectories))
    for ax, (label, traj) in zip(axes.flat, trajectories.items()):
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
    return _finish(fig, title, f"Paths of 2D samples from noise (open circle) to the final sample (dot), "
                               f"one panel each: {_listing(trajectories)}")


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
    fig, axes = plt.subplots(nrow, ncol, figsize=capped_size(size * ncol, size * nrow + 0.6), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k < n:
            ax.imshow(display_array(imgs[k]), cmap="gray", vmin=0, vmax=1)
            if labels is not None:
                ax.set_xlabel(str(labels[k]), fontsize=MIN_FONT)
        else:
            ax.axis("off")
    return _finish(fig, title, f"A grid of {n} images ({nrow} rows of up to {ncol})")


def image_rows(rows: dict, title="", col_labels=None, size=1.1):
    """Labelled rows of images: ``rows`` maps a row label to a (n, C, H, W) tensor or list."""
    nrow = len(rows)
    ncol = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(nrow, ncol, figsize=capped_size(size * ncol + 1.2, size * nrow + 0.6), squeeze=False)
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
                ax.set_xlabel(str(col_labels[c]), fontsize=MIN_FONT)
    columns = f"; columns: {_listing(col_labels)}" if col_labels is not None else ""
    return _finish(fig, title, f"Rows of images, {ncol} per row: {_listing(rows)}{columns}")


def _values_and_errors(y):
    """Numbers, or Estimates (value ± se) → (values, 2·se error bars or None)."""
    y = list(y) if not isinstance(y, (np.ndarray, torch.Tensor)) else y
    if len(y) and hasattr(y[0], "se"):
        return np.array([float(e.value) for e in y]), np.array([2 * float(e.se) for e in y])
    return _np(y), None


def curves(x, ys: dict, xlabel: str, ylabel: str, title="", logx=False, logy=False, bands=None,
           hlines=None, markers=True, size=(6.5, 4.2), ax=None, secondary_x=None):
    """Lines over a shared x axis, one palette colour per sampler.

    ``ys`` maps a series key (a sampler name, a (sampler name, label) tuple, or a plain label; see
    :func:`_series`) to y values (numbers or :class:`~ddpm_lessons.stats.Estimate` s, drawn with
    ±2 se error bars) or to (x, y) pairs; ``bands`` maps a label to (low, high); ``hlines`` maps a
    label to a reference level (a number, or an Estimate drawn with a ±2 sd band).
    ``secondary_x=(forward, inverse, label)`` adds a second x axis on top, in other units of the
    same points (notebook 03: the signal-to-noise ratio of the noise level t); ``forward`` and
    ``inverse`` map arrays of x to those units and back. Where its values span more than two
    decades its ticks are powers of ten. With ``ax`` the curves go into that axes and the caller
    finishes the figure (:func:`curves_panels`).
    """
    own = ax is None
    fig, ax = plt.subplots(figsize=capped_size(*size)) if own else (ax.figure, ax)
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
    ax.legend(fontsize=MIN_FONT)
    extra = ""
    if secondary_x is not None:
        extra = f"; top axis: {_secondary_axis(ax, *secondary_x)}"
    if not own:
        return fig
    return _finish(fig, title, f"Line plot of {ylabel} against {xlabel}{extra}; series: "
                               f"{_listing([label for label, _ in _series(ys)] + list(hlines or {}))}")


def _secondary_axis(ax, forward, inverse, label):
    """A second x axis on top of ``ax`` (see :func:`curves`); returns its label."""
    sec = ax.secondary_xaxis("top", functions=(lambda v: forward(np.asarray(v, dtype=float)),
                                               lambda v: inverse(np.asarray(v, dtype=float))))
    sec.set_xlabel(label)
    lo, hi = sorted(float(v) for v in forward(np.asarray(ax.get_xlim(), dtype=float)))
    if lo > 0 and hi / lo > 100:  # decades, placed where the top axis reaches them
        powers, last = [], None
        span = abs(np.diff(ax.get_xlim())[0])
        for k in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1):
            at = float(inverse(np.asarray(10.0 ** k)))
            if last is None or abs(at - last) > 0.07 * span:  # labels that would touch are left out
                powers.append(k)
                last = at
        sec.set_xticks([10.0 ** k for k in powers], [f"$10^{{{k}}}$" for k in powers])
    return label


def curves_panels(panels: dict, xlabel, ylabel: str, title="", hlines=None, logx=False, logy=False,
                  size=(6.2, 4.3)):
    """:func:`curves` panels sharing the y axis, two side by side (more wrap into rows): ``panels``
    maps a panel title to its ``ys`` dict; ``xlabel`` is one label or one per panel title;
    ``hlines`` maps a panel title to that panel's reference levels."""
    nrow, ncol, figsize = panel_grid(len(panels), size, max_columns=2)  # curves with legends need room
    fig, axes = plt.subplots(nrow, ncol, figsize=figsize, sharey=True, squeeze=False)
    _hide_unused(axes, len(panels))
    for ax, (name, ys) in zip(axes.flat, panels.items()):
        curves(None, ys, xlabel=xlabel[name] if isinstance(xlabel, dict) else xlabel, ylabel=ylabel, logx=logx,
               logy=logy, hlines=(hlines or {}).get(name), ax=ax)
        ax.set_title(name, fontsize=MIN_FONT + 1)
    against = " / ".join(xlabel.values()) if isinstance(xlabel, dict) else xlabel
    return _finish(fig, title, f"Line plots of {ylabel} against {against}, one panel each: {_listing(panels)}")


def snr_axis(schedule, label="signal-to-noise ratio ᾱ_t / (1 − ᾱ_t)"):
    """``secondary_x`` for :func:`curves` over noise levels t: t ↦ SNR_t = ᾱ_t / (1 − ᾱ_t) (the
    SNR of Kingma et al. 2021, VDM §2, with α_t² = ᾱ_t), interpolated in log SNR between integer t,
    and its inverse. Notebook 03 puts it on the fork plot."""
    ab = schedule.alpha_bar_64.numpy()
    t = np.arange(len(ab), dtype=float)
    log_snr = np.log(ab / (1.0 - ab))  # decreasing in t

    def forward(x):
        return np.exp(np.interp(x, t, log_snr))

    def inverse(snr):
        return np.interp(-np.log(np.clip(snr, 1e-300, None)), -log_snr, t)

    return forward, inverse, label
