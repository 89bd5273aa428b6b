"""The noise schedule: forward process, respacing and the named timestep spacings.

Spacings are checked against independent re-statements of the rules as their sources give them:
DDIM's code (ermongroup/ddim, runners/diffusion.py: skip_type "uniform" and "quad") and
Lin et al. 2024, Table 2 (trailing, linspace).
"""
import math

import numpy as np
import pytest
import torch

from ddpm_lessons import NoiseSchedule


@pytest.fixture(scope="module")
def schedule():
    return NoiseSchedule.linear()


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- forward process
def test_q_sample_matches_iterated_forward_process(schedule):
    """x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε equals t one-step transitions x_s = √α_s x_{s−1} + √β_s ε_s."""
    g = gen(9)
    n, t = 200_000, 400
    x0 = torch.full((n, 2), 1.5, dtype=torch.float64)
    x = x0.clone()
    for s in range(t + 1):
        x = schedule.alphas_64[s].sqrt() * x + schedule.betas_64[s].sqrt() * torch.randn(n, 2, generator=g, dtype=torch.float64)
    direct = schedule.q_sample(x0, t, torch.randn(n, 2, generator=g, dtype=torch.float64))
    ab = schedule.alpha_bar_64[t]
    for sample in (x, direct):
        assert torch.allclose(sample.mean(0), ab.sqrt() * x0[0], atol=0.01)
        assert torch.allclose(sample.var(0), (1 - ab).expand(2), rtol=0.02)


def test_q_sample_is_the_closed_form(schedule):
    x0, eps = torch.randn(4, 3, generator=gen(0)), torch.randn(4, 3, generator=gen(1))
    t = torch.tensor([0, 10, 500, 999])
    ab = schedule.alpha_bar[t][:, None]
    assert torch.allclose(schedule.q_sample(x0, t, eps), ab.sqrt() * x0 + (1 - ab).sqrt() * eps)


def test_cosine_schedule_is_valid():
    s = NoiseSchedule.cosine(1000)
    assert bool((s.betas > 0).all() and (s.betas < 1).all())
    assert bool((s.alpha_bar[1:] < s.alpha_bar[:-1]).all())
    assert s.alpha_bar[0] > 0.999 and s.alpha_bar[-1] < 1e-3


# ----------------------------------------------------------------------------- respacing
def test_respace_all_timesteps_reproduces_schedule(schedule):
    r = schedule.respace(schedule.timesteps(schedule.T))
    for name in ("betas_64", "alphas_64", "alpha_bar_64", "alpha_bar_prev_64", "beta_tilde_64"):
        assert torch.allclose(getattr(r, name), getattr(schedule, name), rtol=1e-10, atol=1e-14), name
    assert torch.equal(r.timestep_map, torch.arange(schedule.T))


def test_respace_keeps_alpha_bar_at_kept_timesteps(schedule):
    ts = schedule.timesteps(50)
    r = schedule.respace(ts)
    assert torch.allclose(r.alpha_bar_64, schedule.alpha_bar_64[ts.flip(0)], rtol=1e-12)
    assert torch.equal(r.timestep_map, ts.flip(0))
    assert r.betas_64[-1] > 10 * schedule.betas_64[-1]  # the respaced betas are much larger


# ----------------------------------------------------------------------------- spacings
def _ddim_code(T, S, skip_type):
    """DDIM's own sub-sequences (ermongroup/ddim, runners/diffusion.py), ascending, as its loop reads them."""
    if skip_type == "uniform":
        return list(range(0, T, T // S))
    return [int(s) for s in list(np.linspace(0, np.sqrt(T * 0.8), S) ** 2)]


def test_ddim_papers_literal_values(schedule):
    """The values DDIM's code produces for T = 1000, S = 10 (the issue quotes them; so does its code)."""
    assert schedule.timesteps(10, "quadratic").tolist() == [800, 632, 483, 355, 246, 158, 88, 39, 9, 0]
    assert schedule.timesteps(10, "leading").tolist() == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]


@pytest.mark.parametrize("S", [2, 4, 5, 10, 20, 25, 40, 100, 200, 500, 1000])
def test_leading_is_ddims_uniform_rule(schedule, S):
    assert schedule.timesteps(S, "leading").tolist() == _ddim_code(1000, S, "uniform")[::-1]


@pytest.mark.parametrize("S", [2, 5, 10, 20, 25, 29])
def test_quadratic_is_ddims_quad_rule_where_it_has_no_repeats(schedule, S):
    ddim = _ddim_code(1000, S, "quad")
    assert len(set(ddim)) == S  # these S give distinct values in DDIM's own rule
    assert schedule.timesteps(S, "quadratic").tolist() == ddim[::-1]


@pytest.mark.parametrize("S", [50, 100, 333, 800, 1000])
def test_quadratic_keeps_distinct_values_where_ddims_rule_repeats(schedule, S):
    ddim = _ddim_code(1000, S, "quad")
    assert len(set(ddim)) < S  # DDIM's rule repeats a value here (0 twice at S = 50)
    ours = schedule.timesteps(S, "quadratic").flip(0).tolist()
    assert len(set(ours)) == S and ours == sorted(ours) and ours[0] == 0 and ours[-1] <= 999
    raised = [i for i, (a, b) in enumerate(zip(ours, ddim)) if a != b]
    assert all(ours[i] == ours[i - 1] + 1 for i in raised)  # only repeats move, each to one above its predecessor
    if S <= 800:
        assert ours[-1] == ddim[-1] == 800


def _lin_et_al(T, S):
    return {
        "trailing": [int(round(T - k * T / S)) - 1 for k in range(S)],
        "linspace": [int(v) for v in np.round(np.linspace(0, T - 1, S))[::-1]],
    }


@pytest.mark.parametrize("S", [1, 3, 7, 10, 50, 333, 1000])
def test_trailing_and_linspace_follow_lin_et_al(schedule, S):
    for name, expected in _lin_et_al(schedule.T, S).items():
        assert schedule.timesteps(S, name).tolist() == expected, name


def test_spacing_examples_from_lin_et_al_table_2(schedule):
    assert schedule.timesteps(10, "trailing").tolist() == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    assert schedule.timesteps(10, "linspace").tolist() == [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]
    with pytest.raises(ValueError, match="spacing"):
        schedule.timesteps(10, "uniform")  # ambiguous name (DDIM's "uniform" is our "leading")


@pytest.mark.parametrize("steps", [1, 7, 999, 1000])
def test_every_spacing_gives_distinct_timesteps_in_range(schedule, steps):
    for spacing in ("trailing", "leading", "linspace", "quadratic"):
        ts = schedule.timesteps(steps, spacing)
        assert ts.numel() == steps and ts.unique().numel() == steps
        assert 0 <= ts.min() and ts.max() <= 999 and bool((ts[1:] < ts[:-1]).all())


def test_timesteps_reject_bad_input(schedule):
    with pytest.raises(ValueError, match="steps"):
        schedule.timesteps(0)
    with pytest.raises(ValueError, match="steps"):
        schedule.timesteps(1001)
    with pytest.raises(ValueError, match="descending"):
        schedule.check_timesteps([1, 5])
    assert math.isclose(float(schedule.alpha_bar_64[0]), 1 - 1e-4)
