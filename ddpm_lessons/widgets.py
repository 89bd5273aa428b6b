"""Interactive apps of the chapter (ipywidgets), each with a static-figure fallback.

* :func:`interpolation_app` — a slider over α (and a seed, and slerp/lerp) between two starting
  noises x_T, decoding x(α) with DDIM η = 0 (deterministic) and with ancestral sampling twice.
* :func:`ddim_explorer` — η, steps and seed controls that run DDIM on a 2D model and draw the
  paths from noise to data, twice from the same x_T with different sampling noise.

**Compute once, look up after.** A slider that lags a second stops being explored, so the live
apps never run a sampler for a move of α or η. For the current seed and path (interpolation) or
seed and step count (explorer), one batched call per sampler decodes *every* value of the α / η
slider grid; the frames are cached, and moving α or η looks a frame up and swaps a PNG into an
``ipywidgets.Image`` (each PNG is rendered once, from one reused matplotlib figure whose artists
are updated, and cached too). Changing the seed, the path or the step count recomputes one batch,
showing "computing…" meanwhile; the last few batches stay cached, so going back is a lookup.

Without a widget frontend (no IPython kernel, test mode / nbval, ipywidgets missing, or
``DDPM_LESSONS_STATIC=1``) each app returns a static matplotlib figure instead; ``static=True`` /
``static=False`` forces either. Detection is conservative: when in doubt, static.

Driving an app without a browser (tests, ``python -m benchmarks --only widgets``): the live app is
an ``ipywidgets.VBox`` with ``.controls`` ({name: widget}), ``.image`` (the ``ipywidgets.Image``
showing the current frame), ``.status`` (an ``ipywidgets.HTML`` line) and ``.state``
(:class:`LiveState`: counters of recomputes, PNG renders and cache lookups, and the key of the
frame shown last). Setting ``app.controls["alpha"].value = 0.3`` updates ``app.image``
synchronously.
"""
from __future__ import annotations

import io
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from .device import STATIC_ENV_VAR, env_flag, fast_mode
from .device import seed as make_generator
from .device import model_device
from .interpolation import path as noise_path
from . import sampling
from .plots import capped_size, display_array
from .sampling import ddim_sample, respaced_ancestral_sample

EXPLORER_STEPS = (5, 10, 20, 50, 100, 250, 500)  # offered when T allows; 1000 sequential calls would not answer within 1.5 s
# Live defaults, chosen so one recompute of the shipped 16×16 MNIST UNet stays ≤ 1.5 s on 2 CPU
# cores (measured ≈ 1.0–1.2 s, see README, Benchmarks): 11 α values, DDIM 10 steps (batch 11),
# ancestral 10 steps (2 runs, batch 22). The static strip uses the same step counts unless told otherwise.
DDIM_STEPS = 10
ANCESTRAL_STEPS = 10
ALPHA_POINTS = 11          # α ∈ {0, 0.1, …, 1}
ETA_POINTS = 11            # η ∈ {0, 0.1, …, 1}
SLIDER_WIDTH = "420px"
CACHED_BATCHES = 6         # recent (seed, path) / (seed, steps) batches kept for instant return
DPI = 100


def widgets_available() -> bool:
    """True only inside a live IPython kernel, outside test mode, with ipywidgets importable."""
    if env_flag(STATIC_ENV_VAR):
        return False
    if fast_mode():
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _use_static(static) -> bool:
    if static is None:
        return not widgets_available()
    if not isinstance(static, bool):
        raise TypeError(f"static must be True, False or None (auto-detect), got {static!r}")
    if not static:
        try:
            import ipywidgets  # noqa: F401
        except ImportError as err:
            raise ImportError("static=False needs ipywidgets: pip install ipywidgets") from err
    return static


# ------------------------------------------------------------------------------ sampler calls
def ddim_multi_eta(model, schedule, x_T, steps, etas, *, generator=None, clip_x0=None,
                   return_trajectory=False):
    """DDIM with one η per row of ``x_T`` (``etas``: a 1-D sequence, len == batch) in ONE batched
    chain: ``steps`` network calls whatever the number of distinct η."""
    etas = torch.as_tensor(etas, dtype=torch.float64).reshape(-1)
    if len(etas) != x_T.shape[0]:
        raise ValueError(f"etas must give one η per row of x_T ({x_T.shape[0]}), got {len(etas)}")
    return ddim_sample(model, schedule, x_T, steps, eta=etas, generator=generator, clip_x0=clip_x0,
                       progress=False, return_trajectory=return_trajectory)


# ------------------------------------------------------------------------------ live app machinery
@dataclass
class LiveState:
    """What a live app did, for tests and benchmarks: ``recomputes`` (batched sampler runs),
    ``renders`` (PNGs drawn), ``lookups`` (frames served from the PNG cache), ``last_key``
    ((batch key, frame key) of the frame shown), ``last_recompute_s`` and ``last_update_s``."""

    recomputes: int = 0
    renders: int = 0
    lookups: int = 0
    last_key: tuple | None = None
    last_recompute_s: float = 0.0
    last_update_s: float = 0.0
    batches: OrderedDict = field(default_factory=OrderedDict, repr=False)


class _FigureCanvas:
    """One matplotlib figure (no pyplot, so the inline backend never shows it by itself), drawn
    once; afterwards only the artists registered with :meth:`animate` are redrawn over the saved
    background (blitting), and the pixels are encoded to PNG with Pillow (fast setting)."""

    def __init__(self, figsize):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.animated = []
        self._background = None

    def animate(self, *artists):
        for a in artists:
            a.set_animated(True)
            self.animated.append(a)

    def png(self) -> bytes:
        from PIL import Image

        if self._background is None:  # first frame: everything that never changes, once
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for a in self.animated:
            self.fig.draw_artist(a)
        w, h = self.canvas.get_width_height(physical=True)
        img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _slider_style():
    import ipywidgets as W

    return dict(layout=W.Layout(width=SLIDER_WIDTH), style={"description_width": "initial"})


def _live_app(controls: dict, rows: list, *, batch_key, frame_key, compute, render, describe):
    """Wire ``controls`` to an image: ``compute(values)`` (expensive, once per ``batch_key``)
    returns the batch; ``render(batch, values)`` returns PNG bytes (once per frame key, then
    cached); ``describe(values, entry)`` is the status line. ``rows`` lays the controls out."""
    import ipywidgets as W

    state = LiveState()
    image = W.Image(format="png")
    status = W.HTML(value="")

    def update(*_):
        start = time.perf_counter()
        values = {k: c.value for k, c in controls.items()}
        bk, fk = batch_key(values), frame_key(values)
        entry = state.batches.get(bk)
        if entry is None:
            status.value = "<i>computing…</i>"
            t0 = time.perf_counter()
            try:
                data = compute(values)
            except Exception as err:
                status.value = f"<b>error:</b> {type(err).__name__}: {err}"
                raise
            entry = state.batches[bk] = {"data": data, "png": {}, "seconds": time.perf_counter() - t0}
            state.recomputes += 1
            state.last_recompute_s = entry["seconds"]
            while len(state.batches) > CACHED_BATCHES:
                state.batches.popitem(last=False)
        state.batches.move_to_end(bk)
        png = entry["png"].get(fk)
        if png is None:
            png = entry["png"][fk] = render(entry["data"], values)
            state.renders += 1
        else:
            state.lookups += 1
        image.value = png
        state.last_key = (bk, fk)
        status.value = describe(values, entry)
        state.last_update_s = time.perf_counter() - start

    for c in controls.values():
        c.observe(update, names="value")
    update()
    app = W.VBox([*(W.HBox(list(r)) for r in rows), status, image])
    app.controls, app.image, app.status, app.state = controls, image, status, state
    return app


# ------------------------------------------------------------------------------ interpolation
def interpolation_frames(model, schedule, sample_shape, alpha, seed, *, path="slerp", steps=DDIM_STEPS,
                         ancestral_steps=None, runs=2, clip_x0=None):
    """Decode x(α) between the two noises of ``seed`` (seed and seed+1): DDIM η=0 once and
    ancestral ``runs`` times, each sampler ONE batched call over every α. Returns
    ``{label: (n, *shape)}``; α may be a number or a list. ``ancestral_steps=None`` means
    :data:`ANCESTRAL_STEPS` (respaced); ``clip_x0`` clips the predicted x̂₀ to [−b, b]."""
    dev = model_device(model)
    z1 = torch.randn(1, *sample_shape, generator=make_generator(seed))[0]
    z2 = torch.randn(1, *sample_shape, generator=make_generator(seed + 1))[0]
    alphas = torch.as_tensor(alpha, dtype=torch.float32).reshape(-1)
    z = noise_path(z1, z2, alphas, path).to(dev)
    out = {f"DDIM η=0, {steps} steps": ddim_sample(model, schedule, z, steps, clip_x0=clip_x0, progress=False).cpu()}
    a_steps = ancestral_steps or min(ANCESTRAL_STEPS, schedule.T)
    batch = z.repeat(runs, *([1] * len(sample_shape)))
    anc = respaced_ancestral_sample(model, schedule, batch, a_steps, generator=make_generator(seed + 7), clip_x0=clip_x0,
                                    progress=False)
    anc = anc.cpu().view(runs, len(alphas), *sample_shape)
    for r in range(runs):
        out[f"ancestral run {r + 1}, {a_steps} steps"] = anc[r]
    return out


def _interpolation_canvas(panels):
    """Image panels ``[(sampler name, label), …]`` (DDIM, ancestral run 1, run 2) in one reused figure."""
    import numpy as np

    canvas = _FigureCanvas(capped_size(2.3 * len(panels), 2.75))
    axes = canvas.fig.subplots(1, len(panels))
    ims = []
    for ax, (kind, label) in zip(axes, panels):
        ims.append(ax.imshow(np.zeros((2, 2)), cmap="gray", vmin=0, vmax=1, interpolation="nearest"))
        ax.set_title(label, fontsize=9, color=sampling.color(kind))
        ax.set_xticks([])
        ax.set_yticks([])
    title = canvas.fig.suptitle(" ", fontsize=10)
    canvas.fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.80, wspace=0.08)
    canvas.animate(*ims, title)
    return canvas, ims, title


def interpolation_app(model, schedule, sample_shape, *, seed=0, alpha=0.5, path="slerp", steps=DDIM_STEPS,
                      ancestral_steps=None, num_frames=7, static=None, alpha_points=ALPHA_POINTS,
                      clip_x0=None):
    """Slider over α ∈ [0, 1], the seed of the two endpoints and slerp/lerp; shows the decoded
    image of x(α) with DDIM η = 0 and two ancestral runs.

    Live: for the current seed and path every α of the slider's grid (``alpha_points`` values) is
    decoded in one batched call per sampler and cached, so moving α is a lookup; changing seed or
    path recomputes (≈ 1 s with the defaults on 2 CPU cores for the shipped MNIST model). Static
    fallback: the whole strip at ``num_frames`` α values (a figure from
    :func:`ddpm_lessons.plots.image_rows`). ``clip_x0=1.0`` for models of data in [−1, 1]."""
    from . import plots

    a_steps = ancestral_steps or min(ANCESTRAL_STEPS, schedule.T)
    if _use_static(static):
        alphas = torch.linspace(0, 1, num_frames)
        rows = interpolation_frames(model, schedule, sample_shape, alphas, seed, path=path, steps=steps,
                                    ancestral_steps=a_steps, clip_x0=clip_x0)
        return plots.image_rows(rows, title=f"{path} between two noises (seed {seed}): DDIM is one path, "
                                "ancestral runs disagree", col_labels=[f"α={a:.2f}" for a in alphas.tolist()])
    import ipywidgets as W

    n = int(alpha_points)
    if n < 2:
        raise ValueError(f"alpha_points must be at least 2, got {alpha_points!r}")
    grid = torch.linspace(0, 1, n)
    index = lambda a: int(round(float(a) * (n - 1)))  # noqa: E731  α → its grid point
    controls = {
        "alpha": W.FloatSlider(value=index(alpha) / (n - 1), min=0.0, max=1.0, step=1.0 / (n - 1),
                               description="α (position on the path)", readout_format=".2f",
                               continuous_update=True, **_slider_style()),
        "seed": W.IntSlider(value=seed, min=0, max=50, description="seed of the two noises",
                            continuous_update=False, **_slider_style()),
        "path": W.ToggleButtons(options=["slerp", "lerp"], value=path, description="path",
                                style={"description_width": "initial", "button_width": "70px"}),
    }
    canvas, ims, title = _interpolation_canvas([("ddim", f"DDIM η=0, {steps} steps"),
                                                ("ancestral", f"ancestral run 1, {a_steps} steps"),
                                                ("ancestral", f"ancestral run 2, {a_steps} steps")])

    def compute(v):
        rows = interpolation_frames(model, schedule, sample_shape, grid, v["seed"], path=v["path"], steps=steps,
                                    ancestral_steps=a_steps, clip_x0=clip_x0)
        return [[display_array(img) for img in r] for r in rows.values()]  # display-ready arrays

    def render(frames, v):
        k = index(v["alpha"])
        for im, row in zip(ims, frames):
            im.set_data(row[k])
        title.set_text(f"x(α={grid[k]:.1f}) on the {v['path']} between the noises of seeds "
                       f"{v['seed']} and {v['seed'] + 1}")
        return canvas.png()

    def describe(v, entry):
        return (f"α = {grid[index(v['alpha'])]:.2f} · {n} α values decoded in one batch per sampler "
                f"({entry['seconds']:.2f} s); moving α only looks frames up")

    return _live_app(controls, [[controls["alpha"]], [controls["seed"], controls["path"]]],
                     batch_key=lambda v: (v["seed"], v["path"]), frame_key=lambda v: index(v["alpha"]),
                     compute=compute, render=render, describe=describe)


# ------------------------------------------------------------------------------ DDIM explorer
def explorer_batch(model, schedule, etas, steps, seed, *, n_paths=12, dim=2, runs=(0, 1), clip_x0=None):
    """Paths of DDIM(η, steps) from the noises of ``seed`` for every η in ``etas`` and every run
    in ``runs`` (different sampling noise, same x_T), in ONE batched call. Returns a tensor
    (steps + 1, len(runs), len(etas), n_paths, dim)."""
    etas = torch.as_tensor(etas, dtype=torch.float64).reshape(-1)
    dev = model_device(model)
    x_T = torch.randn(n_paths, dim, generator=make_generator(seed))
    n_runs, n_eta = len(runs), len(etas)
    batch = x_T.repeat(n_runs * n_eta, 1).to(dev)
    row_eta = etas.repeat_interleave(n_paths).repeat(n_runs)
    _, traj = ddim_multi_eta(model, schedule, batch, steps, row_eta, generator=make_generator(1000 + seed + runs[0]),
                             clip_x0=clip_x0, return_trajectory=True)
    return traj.cpu().view(steps + 1, n_runs, n_eta, n_paths, dim)


def explorer_trajectories(model, schedule, eta, steps, seed, *, n_paths=12, dim=2, runs=(0, 1)):
    """Paths of DDIM(η, steps) from the noises of ``seed``, once per sampling-noise run in ``runs``
    (one batched call). Returns ``{label: (steps + 1, n_paths, dim)}``."""
    traj = explorer_batch(model, schedule, [float(eta)], steps, seed, n_paths=n_paths, dim=dim, runs=runs)
    return {f"η={eta:g}, noise run {r}": traj[:, k, 0] for k, r in enumerate(runs)}


def _explorer_canvas(n_panels, n_paths, data, lim, size):
    """Panels of ``n_paths`` coloured paths (one LineCollection), open start and filled end markers
    (two scatters) over the data in grey; only those and the titles are redrawn per frame."""
    from matplotlib.collections import LineCollection

    from . import plots

    canvas = _FigureCanvas(capped_size(size * n_panels, size + 0.35))
    axes = canvas.fig.subplots(1, n_panels)
    colors = [plots.COLORS[k % len(plots.COLORS)] for k in range(n_paths)]
    panels = []
    zeros = [[0.0, 0.0]] * n_paths
    for ax in axes:
        if data is not None:
            d = torch.as_tensor(data).detach().float().cpu().numpy()
            ax.scatter(d[:, 0], d[:, 1], **plots.DATA_STYLE)
        lines = LineCollection([], colors=colors, linewidths=0.8, alpha=0.8)
        ax.add_collection(lines)
        starts = ax.scatter(*zip(*zeros), s=25, facecolors="none", edgecolors=colors)
        ends = ax.scatter(*zip(*zeros), s=25, color=colors)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax_title = ax.set_title(" ", fontsize=9)
        canvas.animate(lines, starts, ends, ax_title)
        panels.append((ax_title, lines, starts, ends))
    title = canvas.fig.suptitle(" ", fontsize=10)
    canvas.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.84, wspace=0.25)
    canvas.animate(title)
    return canvas, panels, title


def ddim_explorer(model, schedule, *, data=None, eta=0.0, steps=50, seed=0, n_paths=12,
                  static_grid=((0.0, 10), (0.0, 50), (1.0, 10), (1.0, 50)), static=None, lim=2.5,
                  eta_points=ETA_POINTS):
    """η, steps and seed controls; two panels run DDIM from the same x_T with different sampling
    noise (identical at η = 0).

    Live: for the current seed and step count all ``eta_points`` η values of the slider run in one
    batch (both noise runs too) and are cached, so moving η is a lookup; changing steps or seed
    recomputes. Static fallback: one panel per (η, steps) in ``static_grid``."""
    import numpy as np

    from . import plots

    if _use_static(static):
        dev = model_device(model)
        x_T = torch.randn(n_paths, 2, generator=make_generator(seed)).to(dev)
        trajs = {}
        for e, s in static_grid:
            _, tr = ddim_sample(model, schedule, x_T, s, eta=float(e), generator=make_generator(1000 + seed),
                                progress=False, return_trajectory=True)
            trajs[f"η={e:g}, skip {schedule.T // s}"] = tr.cpu()
        return plots.trajectories_2d(trajs, data=data, lim=lim, size=3.4,
                                     title="Same x_T: η=0 paths are smooth curves, η=1 paths jitter")
    import ipywidgets as W

    n = int(eta_points)
    if n < 2:
        raise ValueError(f"eta_points must be at least 2, got {eta_points!r}")
    etas = torch.linspace(0, 1, n, dtype=torch.float64)
    index = lambda e: int(round(float(e) * (n - 1)))  # noqa: E731
    options = [s for s in EXPLORER_STEPS if s <= schedule.T]
    if steps not in options:
        options = sorted(set(options) | {int(steps)})
    controls = {
        "eta": W.FloatSlider(value=index(eta) / (n - 1), min=0.0, max=1.0, step=1.0 / (n - 1),
                             description="η (sampling noise)", readout_format=".1f", continuous_update=True,
                             **_slider_style()),
        "steps": W.SelectionSlider(options=options, value=steps, description="steps",
                                   continuous_update=False, **_slider_style()),
        "seed": W.IntSlider(value=seed, min=0, max=50, description="seed of x_T",
                            continuous_update=False, **_slider_style()),
    }
    runs = (0, 1)
    canvas, panels, title = _explorer_canvas(len(runs), n_paths, data, lim, size=3.7)

    def compute(v):
        return explorer_batch(model, schedule, etas, v["steps"], v["seed"], n_paths=n_paths, runs=runs).numpy()

    def render(traj, v):
        k = index(v["eta"])
        for r, (ax_title, lines, starts, ends) in enumerate(panels):
            tr = traj[:, r, k]  # (steps + 1, n_paths, 2)
            lines.set_segments(list(tr.transpose(1, 0, 2)))
            starts.set_offsets(tr[0])
            ends.set_offsets(tr[-1])
            ax_title.set_text(f"η={etas[k]:.1f}, noise run {runs[r]}  ({v['steps']} steps)")
        gap = float(np.linalg.norm(traj[-1, 0, k] - traj[-1, 1, k], axis=-1).mean())
        title.set_text(f"Same x_T, two sampling-noise runs: end points differ by {gap:.3f} on average")
        return canvas.png()

    def describe(v, entry):
        return (f"η = {etas[index(v['eta'])]:.1f} · {n} η values × 2 runs computed in one batch "
                f"({entry['seconds']:.2f} s); moving η only looks paths up")

    return _live_app(controls, [[controls["eta"]], [controls["steps"]], [controls["seed"]]],
                     batch_key=lambda v: (v["seed"], v["steps"]), frame_key=lambda v: index(v["eta"]),
                     compute=compute, render=render, describe=describe)
