"""Issue 9's package items: x̂₀ clipping, named spacings, per-sample η, t_start, sliceable tables, seed."""
import dataclasses
import math

import numpy as np
import pytest
import torch

import ddpm_lessons as dl
from ddpm_lessons import NoiseSchedule


@pytest.fixture(scope="module")
def schedule():
    return NoiseSchedule.linear()


class Wild(torch.nn.Module):
    """A bad ε-model whose x̂₀ overshoots [−1, 1] by far (as an undertrained image model's does)."""

    def forward(self, x, t):
        return -2.0 * x + 0.3


SAMPLERS = {
    "ancestral": lambda m, s, x, **kw: dl.ancestral_sample(m, s, x, progress=False, **kw),
    "naive": lambda m, s, x, **kw: dl.naive_strided_sample(m, s, x, 100, **kw),
    "respaced": lambda m, s, x, **kw: dl.respaced_ancestral_sample(m, s, x, 20, **kw),
    "ddim": lambda m, s, x, **kw: dl.ddim_sample(m, s, x, 20, **kw),
    "ddim_eta": lambda m, s, x, **kw: dl.ddim_sample(m, s, x, 20, eta=0.5, **kw),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_clipping_keeps_every_final_sample_in_bounds(schedule, name):
    x_T = torch.randn(16, 1, 4, 4, generator=dl.seed(0))
    free = SAMPLERS[name](Wild(), schedule, x_T, generator=dl.seed(1))
    clipped = SAMPLERS[name](Wild(), schedule, x_T, generator=dl.seed(1), clip_x0=1.0)
    if name != "naive":  # the naive stride leaves noise in: its final state is not x̂₀
        assert free.abs().max() > 1.5, "the test model must overshoot without clipping"
        assert clipped.abs().max() <= 1.0 + 1e-5
    assert not torch.equal(free, clipped)


@pytest.mark.parametrize("name", SAMPLERS)
def test_a_bound_never_reached_changes_nothing(schedule, name):
    mixture = dl.GaussianMixture.preset("swiss_roll")
    exact = mixture.eps_model(schedule)
    x_T = torch.randn(64, 2, generator=dl.seed(0))
    free = SAMPLERS[name](exact, schedule, x_T, generator=dl.seed(1))
    far = SAMPLERS[name](exact, schedule, x_T, generator=dl.seed(1), clip_x0=1e6)
    assert torch.allclose(free, far, rtol=1e-5, atol=1e-5)


def test_clipping_recomputes_eps_from_the_clipped_x0(schedule):
    """One DDIM step by hand: x̂₀ clipped, ε re-derived, DDIM eq. 12 with η = 0."""
    x = torch.full((1, 1, 2, 2), 0.9)
    model = Wild()
    out = dl.ddim_sample(model, schedule, x, timesteps=[999], clip_x0=1.0)
    ab = schedule.alpha_bar_64[999].item()
    eps = model(x, None)
    x0 = ((x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
    assert torch.allclose(out, x0, atol=1e-5)  # one step to ᾱ_prev = 1 lands on the clipped x̂₀


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_clip_x0_is_named(schedule, bad):
    with pytest.raises((ValueError, TypeError), match="clip_x0"):
        dl.ddim_sample(Wild(), schedule, torch.zeros(1, 2), 5, clip_x0=bad)


def _definitions(T, S):
    return {
        "leading": [k * (T // S) for k in range(S - 1, -1, -1)],
        "trailing": [int(round(T - k * T / S)) - 1 for k in range(S)],
        "linspace": [int(v) for v in np.round(np.linspace(0, T - 1, S))[::-1]],
    }


@pytest.mark.parametrize("S", [1, 3, 7, 10, 50, 333, 1000])
def test_spacings_follow_their_definitions(schedule, S):
    for name, expected in _definitions(schedule.T, S).items():
        assert schedule.timesteps(S, name).tolist() == expected, name
    q = schedule.timesteps(S, "quadratic")
    assert q.numel() == S and q.unique().numel() == S


def test_spacing_examples_from_the_literature(schedule):
    assert schedule.timesteps(10, "leading").tolist() == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]
    assert schedule.timesteps(10, "trailing").tolist() == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    assert schedule.timesteps(10, "linspace").tolist() == [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]
    with pytest.raises(ValueError, match="spacing"):
        schedule.timesteps(10, "uniform")  # the old, ambiguous name is gone


def test_per_sample_eta_matches_separate_runs(schedule):
    mixture = dl.GaussianMixture.preset("swiss_roll")
    exact = mixture.eps_model(schedule)
    x_T = torch.randn(3, 2, generator=dl.seed(0))
    etas = [0.0, 0.5, 1.0]
    together = dl.ddim_sample(exact, schedule, x_T, 10, eta=etas, generator=dl.seed(4))
    # η = 0 draws no noise: its row must equal a deterministic run exactly
    assert torch.allclose(together[0], dl.ddim_sample(exact, schedule, x_T[:1], 10)[0], atol=1e-6)
    table = dl.ddim_table(schedule, schedule.timesteps(10), eta=etas)
    for e_idx, eta in enumerate(etas):
        single = dl.ddim_table(schedule, schedule.timesteps(10), eta=eta)
        for i in range(len(single)):
            assert table.sigma[i][e_idx].item() == pytest.approx(single.sigma[i], abs=1e-12)
            assert table.c_eps[i][e_idx].item() == pytest.approx(single.c_eps[i], abs=1e-12)
    with pytest.raises(ValueError, match="one eta per sample"):
        dl.ddim_sample(exact, schedule, torch.zeros(2, 2), 10, eta=etas)


def test_t_start_continues_a_chain(schedule):
    """Running to level t and continuing from there is the same chain as one uninterrupted run."""
    mixture = dl.GaussianMixture.preset("swiss_roll")
    exact = mixture.eps_model(schedule)
    x_T = torch.randn(8, 2, generator=dl.seed(0))
    full = dl.ddim_sample(exact, schedule, x_T, 20)
    ts = schedule.timesteps(20)
    table = dl.ddim_table(schedule, ts)
    k = 7
    x_k = dl.run_chain(exact, x_T, table[:k])
    rest = dl.ddim_sample(exact, schedule, x_k, timesteps=ts, t_start=int(ts[k]))
    assert torch.allclose(rest, full, atol=1e-6)
    anc = dl.ancestral_sample(exact, schedule, x_k, t_start=300, progress=False, generator=dl.seed(1))
    assert anc.shape == x_k.shape
    with pytest.raises(ValueError, match="t_start"):
        dl.ddim_sample(exact, schedule, x_T, 20, t_start=1000)


def test_step_table_is_frozen_and_sliceable(schedule):
    table = dl.ancestral_table(schedule)
    assert len(table[10:20]) == 10 and table[10:20].t_model.tolist() == list(range(989, 979, -1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.name = "x"
    with pytest.raises(TypeError, match="sliced"):
        table[3]
    assert {f.name for f in dataclasses.fields(table)} >= {"x0_from_x", "x0_from_eps"}


def test_builders_share_one_call_shape(schedule):
    ts = schedule.timesteps(10)
    for build in (dl.ancestral_table, dl.naive_strided_table, dl.ddim_table, dl.ddim_inversion_table):
        assert len(build(schedule, ts if build is not dl.ddim_inversion_table else ts)) == 10


def test_seed_gives_the_same_numbers():
    assert torch.equal(torch.randn(5, generator=dl.seed(3)), torch.randn(5, generator=dl.seed(3)))
    with pytest.raises(TypeError, match="seed"):
        dl.seed(1.5)


def test_image_bundle_states_its_data_range():
    bundle = dl.load_pretrained("mnist", device="cpu")
    assert bundle.data_range == (-1.0, 1.0) and bundle.clip_x0 == 1.0
    assert dl.load_pretrained("toy2d", device="cpu").clip_x0 is None
