"""The apps: static fallback without a frontend, and the expected controls when built as widgets."""
import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from ddpm_lessons import GaussianMixture, NoiseSchedule  # noqa: E402
from ddpm_lessons import widgets  # noqa: E402


class ZeroEps(torch.nn.Module):
    """A stand-in image model: predicts zero noise (enough to exercise the apps)."""

    def forward(self, x, t):
        return torch.zeros_like(x)


@pytest.fixture(scope="module")
def toy():
    schedule = NoiseSchedule.linear(T=50, beta_start=1e-3, beta_end=0.3)
    return schedule, GaussianMixture.preset("swiss_roll").eps_model(schedule)


def test_no_frontend_under_pytest():
    assert widgets.widgets_available() is False  # test mode / no kernel: conservative


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


def test_interpolation_widget_has_alpha_seed_path_controls():
    ipw = pytest.importorskip("ipywidgets")
    app = widgets.interpolation_app(ZeroEps(), NoiseSchedule.linear(T=20), (1, 4, 4), steps=5, static=False)
    assert isinstance(app, ipw.VBox)
    assert set(app.controls) == {"alpha", "seed", "path"}
    assert isinstance(app.controls["alpha"], ipw.FloatSlider)
    assert (app.controls["alpha"].min, app.controls["alpha"].max) == (0.0, 1.0)
    app.controls["alpha"].value = 0.25  # re-renders without a frontend


def test_ddim_explorer_static_grid(toy):
    schedule, model = toy
    fig = widgets.ddim_explorer(model, schedule, static=True, static_grid=((0.0, 5), (1.0, 5), (0.5, 10)))
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 3


def test_ddim_explorer_widget_controls(toy):
    ipw = pytest.importorskip("ipywidgets")
    schedule, model = toy
    app = widgets.ddim_explorer(model, schedule, steps=10, static=False)
    assert set(app.controls) == {"eta", "steps", "seed"}
    assert app.controls["eta"].min == 0.0 and app.controls["eta"].max == 1.0
    assert 10 in app.controls["steps"].options
    app.controls["eta"].value = 1.0


def test_explorer_eta0_runs_coincide(toy):
    schedule, model = toy
    a, b = widgets.explorer_trajectories(model, schedule, 0.0, 10, seed=2).values()
    assert torch.equal(a, b)
    a, b = widgets.explorer_trajectories(model, schedule, 1.0, 10, seed=2).values()
    assert not torch.allclose(a[-1], b[-1])


def test_static_argument_is_checked(toy):
    schedule, model = toy
    with pytest.raises(TypeError, match="static"):
        widgets.ddim_explorer(model, schedule, static="yes")
