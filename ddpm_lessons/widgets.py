"""Interactive apps of the chapter (ipywidgets), each with a static-figure fallback.

* :func:`interpolation_app` — a slider over α (and a seed) between two starting noises x_T, decoding
  the point with DDIM η = 0 (deterministic) and with ancestral sampling twice (two runs).
* :func:`ddim_explorer` — η, steps and seed controls that run the real samplers live on a 2D model
  and draw the paths from noise to data, twice from the same x_T with different sampling noise.

Without a widget frontend (no IPython kernel, test mode / nbval, ipywidgets missing, or
``DDPM_LESSONS_STATIC=1``) each app returns a static matplotlib figure instead; ``static=True`` /
``static=False`` forces either. Detection is conservative: when in doubt, static.
"""
from __future__ import annotations

import os

import torch

from .device import fast_mode
from .interpolation import lerp, slerp
from .samplers import ddim_sample, respaced_ancestral_sample

STATIC_ENV_VAR = "DDPM_LESSONS_STATIC"
EXPLORER_STEPS = (5, 10, 20, 50, 100, 250, 1000)  # offered when T allows


def widgets_available() -> bool:
    """True only inside a live IPython kernel, outside test mode, with ipywidgets importable."""
    if os.environ.get(STATIC_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}:
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


def _gen(seed):
    return torch.Generator().manual_seed(int(seed))


def _device(model):
    for p in list(model.parameters()) + list(model.buffers()):
        return p.device
    return torch.device("cpu")


# ------------------------------------------------------------------------------ interpolation
def _live_app(controls: dict, figure):
    """Controls above an output area that redraws ``figure()`` whenever a control changes."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    out = W.Output()

    def render(*_):
        with out:
            out.clear_output(wait=True)
            fig = figure()
            display(fig)
            plt.close(fig)

    for c in controls.values():
        c.observe(render, names="value")
    render()
    app = W.VBox([W.HBox(list(controls.values())), out])
    app.controls = controls
    return app


def interpolation_frames(model, schedule, sample_shape, alpha, seed, *, path="slerp", steps=50,
                         ancestral_steps=None, runs=2):
    """Decode x(α) between the two noises of ``seed`` (seed and seed+1): DDIM η=0 once and
    ancestral ``runs`` times. Returns ``{label: (n, *shape)}``; α may be a number or a list."""
    if path not in ("lerp", "slerp"):
        raise ValueError(f"path must be 'lerp' or 'slerp', got {path!r}")
    dev = _device(model)
    z1 = torch.randn(1, *sample_shape, generator=_gen(seed))[0]
    z2 = torch.randn(1, *sample_shape, generator=_gen(seed + 1))[0]
    alphas = torch.as_tensor(alpha, dtype=torch.float32).reshape(-1)
    z = (slerp if path == "slerp" else lerp)(z1, z2, alphas).to(dev)
    out = {f"DDIM η=0, {steps} steps": ddim_sample(model, schedule, z, steps, progress=False).cpu()}
    a_steps = ancestral_steps or schedule.T
    batch = z.repeat(runs, *([1] * len(sample_shape)))
    anc = respaced_ancestral_sample(model, schedule, batch, a_steps, generator=_gen(seed + 7),
                                    progress=False).cpu().view(runs, len(alphas), *sample_shape)
    for r in range(runs):
        out[f"ancestral run {r + 1}, {a_steps} steps"] = anc[r]
    return out


def interpolation_app(model, schedule, sample_shape, *, seed=0, alpha=0.5, path="slerp", steps=50,
                      ancestral_steps=None, num_frames=7, static=None):
    """Slider over α ∈ [0, 1] and the seed of the two endpoints; shows the decoded image of x(α)
    with DDIM η = 0 and two ancestral runs. Static fallback: the whole strip at ``num_frames`` α values
    (a figure from :func:`ddpm_lessons.plots.image_rows`)."""
    from . import plots

    if _use_static(static):
        alphas = torch.linspace(0, 1, num_frames)
        rows = interpolation_frames(model, schedule, sample_shape, alphas, seed, path=path, steps=steps,
                                    ancestral_steps=ancestral_steps)
        return plots.image_rows(rows, title=f"{path} between two noises (seed {seed}): DDIM is one path, "
                                "ancestral runs disagree", col_labels=[f"α={a:.2f}" for a in alphas.tolist()])
    import ipywidgets as W

    controls = {
        "alpha": W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="α",
                               continuous_update=False),
        "seed": W.IntSlider(value=seed, min=0, max=50, description="seed", continuous_update=False),
        "path": W.ToggleButtons(options=["slerp", "lerp"], value=path, description="path"),
    }
    def figure():
        rows = interpolation_frames(model, schedule, sample_shape, [controls["alpha"].value],
                                    controls["seed"].value, path=controls["path"].value, steps=steps,
                                    ancestral_steps=ancestral_steps)
        return plots.image_rows({"x(α)": torch.cat(list(rows.values()))},
                                title=f"x(α={controls['alpha'].value:.2f}), {controls['path'].value}: "
                                "DDIM is one image, ancestral runs differ",
                                col_labels=list(rows), size=1.8)

    return _live_app(controls, figure)


# ------------------------------------------------------------------------------ DDIM explorer
def explorer_trajectories(model, schedule, eta, steps, seed, *, n_paths=12, dim=2, runs=(0, 1)):
    """Paths of DDIM(η, steps) from the noises of ``seed``, once per sampling-noise seed in ``runs``.
    Returns ``{label: (steps + 1, n_paths, dim)}``."""
    dev = _device(model)
    x_T = torch.randn(n_paths, dim, generator=_gen(seed)).to(dev)
    out = {}
    for r in runs:
        _, traj = ddim_sample(model, schedule, x_T, steps, eta=float(eta), generator=_gen(1000 + seed + r),
                              progress=False, return_trajectory=True)
        out[f"η={eta:g}, noise seed {r}"] = traj.cpu()
    return out


def ddim_explorer(model, schedule, *, data=None, eta=0.0, steps=50, seed=0, n_paths=12,
                  static_grid=((0.0, 10), (0.0, 50), (1.0, 10), (1.0, 50)), static=None, lim=2.5):
    """η, steps and seed controls; two panels run DDIM from the same x_T with different sampling
    noise (identical at η = 0). Static fallback: one panel per (η, steps) in ``static_grid``."""
    from . import plots

    if _use_static(static):
        dev = _device(model)
        x_T = torch.randn(n_paths, 2, generator=_gen(seed)).to(dev)
        trajs = {}
        for e, s in static_grid:
            _, tr = ddim_sample(model, schedule, x_T, s, eta=float(e), generator=_gen(1000 + seed),
                                progress=False, return_trajectory=True)
            trajs[f"η={e:g}, skip {schedule.T // s}"] = tr.cpu()
        return plots.trajectories_2d(trajs, data=data, lim=lim, size=3.4,
                                     title="Same x_T: η=0 paths are smooth curves, η=1 paths jitter")
    import ipywidgets as W

    controls = {
        "eta": W.FloatSlider(value=eta, min=0.0, max=1.0, step=0.1, description="η", continuous_update=False),
        "steps": W.SelectionSlider(options=list(EXPLORER_STEPS), value=steps, description="steps",
                                   continuous_update=False),
        "seed": W.IntSlider(value=seed, min=0, max=50, description="seed", continuous_update=False),
    }
    def figure():
        trajs = explorer_trajectories(model, schedule, controls["eta"].value, controls["steps"].value,
                                      controls["seed"].value, n_paths=n_paths)
        a, b = list(trajs.values())
        gap = float((a[-1] - b[-1]).norm(dim=-1).mean())
        return plots.trajectories_2d(trajs, data=data, lim=lim, size=3.8,
                                     title=f"Same x_T, two sampling-noise seeds: end points differ by {gap:.3f} on average")

    return _live_app(controls, figure)
