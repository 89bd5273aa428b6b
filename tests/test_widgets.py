"""The apps: static fallback without a frontend; live apps driven from Python (no browser) with
assertions on what each control change recomputes, renders or merely looks up."""
import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from ddpm_lessons import GaussianMixture, NoiseSchedule  # noqa: E402
from ddpm_lessons import widgets  # noqa: E402
from ddpm_lessons.costs import CountingModel  # noqa: E402


class ZeroEps(torch.nn.Module):
    """A stand-in image model: predicts zero noise (enough to exercise the apps)."""

    def forward(self, x, t):
        return torch.zeros_like(x)


class HalfX(torch.nn.Module):
    """A stand-in image model whose output depends on x (so frames differ along the path).
    ``probe``, when set, is called at every network call (to see what the app shows meanwhile)."""

    probe = None

    def forward(self, x, t):
        if self.probe is not None:
            self.probe()
        return 0.5 * x


@pytest.fixture(scope="module")
def toy():
    schedule = NoiseSchedule.linear(T=50, beta_start=1e-3, beta_end=0.3)
    return schedule, GaussianMixture.preset("swiss_roll").eps_model(schedule)


def _px(widget) -> int:
    width = widget.layout.width or "0px"
    assert width.endswith("px"), width
    return int(width[:-2])


class _Shell:
    """A stand-in for IPython's shell: ``kernel`` is set in a Jupyter kernel, absent in a terminal."""

    def __init__(self, kernel):
        if kernel:
            self.kernel = object()


@pytest.mark.parametrize("shell, fast, static, live", [
    (_Shell(kernel=True), "0", "0", True),     # a Jupyter kernel at reader size: live widgets
    (_Shell(kernel=True), "1", "0", False),    # test mode (nbval): static figures
    (_Shell(kernel=True), "0", "1", False),    # DDPM_LESSONS_STATIC=1 (the book, slides): static
    (_Shell(kernel=False), "0", "0", False),   # terminal IPython: no frontend to draw widgets
    (None, "0", "0", False),                   # plain Python
])
def test_widgets_are_live_only_in_a_kernel_outside_test_and_static_mode(monkeypatch, shell, fast, static, live):
    IPython = pytest.importorskip("IPython")
    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setenv("DDPM_LESSONS_FAST", fast)
    monkeypatch.setenv("DDPM_LESSONS_STATIC", static)
    assert widgets.widgets_available() is live
    if live:  # and static=None (auto) follows it: the live app, a widget box (the static fallback: the next test)
        app = widgets.interpolation_app(ZeroEps(), NoiseSchedule.linear(T=20), (1, 4, 4), steps=2,
                                        ancestral_steps=2, alpha_points=2)
        assert isinstance(app, pytest.importorskip("ipywidgets").VBox)


def test_interpolation_static_fallback_is_a_figure():
    fig = widgets.interpolation_app(ZeroEps(), NoiseSchedule.linear(T=20), (1, 4, 4), steps=5, num_frames=4)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 3 * 4  # DDIM row + two ancestral rows, 4 frames each


def test_interpolation_frames_ddim_is_deterministic_ancestral_is_not(toy):
    schedule, model = toy
    a = widgets.interpolation_frames(model, schedule, (2,), [0.0, 0.5, 1.0], seed=1, steps=10)
    b = widgets.interpolation_frames(model, schedule, (2,), [0.0, 0.5, 1.0], seed=1, steps=10)
    ddim, run1, run2 = list(a.values())
    assert torch.equal(ddim, list(b.values())[0])
    assert not torch.allclose(run1, run2)


def test_interpolation_frames_one_batch_per_sampler_and_modest_default_steps():
    model = CountingModel(ZeroEps())
    schedule = NoiseSchedule.linear()  # T = 1000: ancestral_steps=None must not mean 1000 steps
    rows = widgets.interpolation_frames(model, schedule, (1, 4, 4), [0.0, 0.25, 0.5, 1.0], seed=0, steps=5)
    assert model.calls == 5 + widgets.ANCESTRAL_STEPS
    assert model.samples == 5 * 4 + widgets.ANCESTRAL_STEPS * 2 * 4  # all α in one batch; 2 runs in one batch
    assert [r.shape for r in rows.values()] == [(4, 1, 4, 4)] * 3


@pytest.fixture
def interp():
    pytest.importorskip("ipywidgets")
    model = CountingModel(HalfX())
    schedule = NoiseSchedule.linear(T=20)
    app = widgets.interpolation_app(model, schedule, (1, 4, 4), seed=2, alpha=0.5, steps=5, static=False)
    return app, model, schedule


def test_interpolation_widget_controls_and_layout(interp):
    ipw = pytest.importorskip("ipywidgets")
    app, model, _ = interp
    assert isinstance(app, ipw.VBox)
    assert set(app.controls) == {"alpha", "seed", "path"}
    alpha = app.controls["alpha"]
    assert isinstance(alpha, ipw.FloatSlider) and (alpha.min, alpha.max) == (0.0, 1.0)
    assert alpha.step == pytest.approx(1 / (widgets.ALPHA_POINTS - 1)) and alpha.readout
    assert alpha.continuous_update  # a move is a lookup, so the slider may follow the hand
    for name in ("alpha", "seed"):
        assert _px(app.controls[name]) >= 300
    assert isinstance(app.image, ipw.Image) and app.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_interpolation_build_decodes_every_alpha_in_one_batch_per_sampler(interp):
    app, model, schedule = interp
    n = widgets.ALPHA_POINTS
    anc = min(widgets.ANCESTRAL_STEPS, schedule.T)
    assert model.calls == 5 + anc  # DDIM 5 steps + ancestral min(ANCESTRAL_STEPS, T) steps
    assert model.samples == 5 * n + anc * 2 * n
    assert (app.state.recomputes, app.state.renders, app.state.lookups) == (1, 1, 0)
    assert app.state.last_key == ((2, "slerp"), 5)
    assert "computing" not in app.status.value


def test_interpolation_alpha_move_is_a_lookup_not_a_sampler_call(interp):
    app, model, schedule = interp
    first_png = app.image.value
    model.reset()
    app.controls["alpha"].value = 0.3
    assert model.calls == 0  # no network call: the frame was decoded with the batch
    assert app.state.last_key == ((2, "slerp"), 3)
    assert (app.state.recomputes, app.state.renders, app.state.lookups) == (1, 2, 0)
    png_03 = app.image.value
    assert png_03 != first_png
    # the frame shown is the DDIM decode of x(0.3) on this seed's slerp, as interpolation_frames gives it
    grid = torch.linspace(0, 1, widgets.ALPHA_POINTS)
    rows = widgets.interpolation_frames(HalfX(), schedule, (1, 4, 4), grid, 2, path="slerp", steps=5)
    shown = torch.as_tensor(app.state.batches[(2, "slerp")]["data"][0][3])
    decoded = list(rows.values())[0][3]  # (1, 4, 4) in the model's [−1, 1] scale
    assert torch.allclose(shown, ((decoded[0] + 1) / 2).clamp(0, 1))  # shown as grey levels in [0, 1]
    # going back is a cache hit: same bytes, nothing rendered
    app.controls["alpha"].value = 0.5
    assert app.image.value == first_png and app.state.lookups == 1 and app.state.renders == 2
    app.controls["alpha"].value = 0.3
    assert app.image.value == png_03 and app.state.lookups == 2
    assert model.calls == 0 and app.state.recomputes == 1


def test_interpolation_seed_and_path_changes_recompute_one_batch(interp):
    app, model, schedule = interp
    seen = []
    model.model.probe = lambda: seen.append(app.status.value)
    model.reset()
    app.controls["seed"].value = 7
    assert model.calls == 5 + min(widgets.ANCESTRAL_STEPS, schedule.T) and app.state.recomputes == 2
    assert app.state.last_key == ((7, "slerp"), 5)
    assert seen and all("computing" in s for s in seen)  # the reader sees that it is working
    assert "computing" not in app.status.value
    model.model.probe = None
    model.reset()
    app.controls["path"].value = "lerp"
    assert model.calls == 5 + min(widgets.ANCESTRAL_STEPS, schedule.T) and app.state.last_key == ((7, "lerp"), 5)
    model.reset()
    app.controls["path"].value = "slerp"  # a recent batch: looked up again, no sampler call
    app.controls["seed"].value = 2
    assert model.calls == 0 and app.state.recomputes == 3
    assert app.state.last_key == ((2, "slerp"), 5)


def test_ddim_explorer_static_grid(toy):
    schedule, model = toy
    fig = widgets.ddim_explorer(model, schedule, static=True, static_grid=((0.0, 5), (1.0, 5), (0.5, 10)))
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 3


@pytest.fixture
def explorer(toy):
    pytest.importorskip("ipywidgets")
    schedule, exact = toy
    model = CountingModel(exact)
    app = widgets.ddim_explorer(model, schedule, steps=10, seed=1, eta=0.0, static=False)
    return app, model


def test_ddim_explorer_widget_controls_and_layout(explorer):
    app, _ = explorer
    assert set(app.controls) == {"eta", "steps", "seed"}
    assert app.controls["eta"].min == 0.0 and app.controls["eta"].max == 1.0
    assert 10 in app.controls["steps"].options and 1000 not in app.controls["steps"].options  # T = 50
    assert all(_px(c) >= 300 for c in app.controls.values())


def test_ddim_explorer_runs_all_eta_in_one_batch_and_eta_moves_are_lookups(explorer):
    app, model = explorer
    n = widgets.ETA_POINTS
    assert model.calls == 10 and model.samples == 10 * 2 * n * 12  # one call per step for all η and both runs
    traj = app.state.batches[(1, 10)]["data"]  # (steps + 1, runs, η, paths, 2)
    assert traj.shape == (11, 2, n, 12, 2)
    assert (traj[:, 0, 0] == traj[:, 1, 0]).all()  # η = 0: both noise runs coincide
    assert not (traj[-1, 0, -1] == traj[-1, 1, -1]).all()  # η = 1: they do not
    model.reset()
    before = app.image.value
    app.controls["eta"].value = 1.0
    assert model.calls == 0 and app.state.last_key == ((1, 10), n - 1)
    assert app.state.renders == 2 and app.image.value != before
    app.controls["eta"].value = 0.0
    assert app.image.value == before and app.state.lookups == 1 and model.calls == 0


def test_ddim_explorer_steps_and_seed_changes_recompute_one_batch(explorer):
    app, model = explorer
    model.reset()
    app.controls["steps"].value = 20
    assert model.calls == 20 and app.state.recomputes == 2 and app.state.last_key == ((1, 20), 0)
    model.reset()
    app.controls["seed"].value = 4
    assert model.calls == 20 and app.state.recomputes == 3
    model.reset()
    app.controls["seed"].value = 1  # back to a cached batch
    assert model.calls == 0 and app.state.last_key == ((1, 20), 0)


def test_explorer_eta0_runs_coincide(toy):
    schedule, model = toy
    a, b = widgets.explorer_trajectories(model, schedule, 0.0, 10, seed=2).values()
    assert torch.equal(a, b)
    a, b = widgets.explorer_trajectories(model, schedule, 1.0, 10, seed=2).values()
    assert not torch.allclose(a[-1], b[-1])


def test_ddim_multi_eta_matches_per_eta_runs_where_deterministic(toy):
    schedule, model = toy
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(0))
    etas = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    out = widgets.ddim_multi_eta(model, schedule, x, 10, etas, generator=torch.Generator().manual_seed(1))
    ref = widgets.ddim_sample(model, schedule, x[:3], 10, eta=0.0, progress=False)
    assert torch.allclose(out[:3], ref, atol=1e-6)
    with pytest.raises(ValueError, match="one η per row"):
        widgets.ddim_multi_eta(model, schedule, x, 10, [0.0, 1.0])


def test_static_argument_is_checked(toy):
    schedule, model = toy
    with pytest.raises(TypeError, match="static"):
        widgets.ddim_explorer(model, schedule, static="yes")
