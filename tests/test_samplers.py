"""Properties the samplers must have: each test fails if the math is wrong, not just if it crashes."""
import dataclasses
import math

import pytest
import torch

import ddpm_lessons as dl
from ddpm_lessons import (
    GaussianMixture,
    NoiseSchedule,
    ancestral_sample,
    ddim_invert,
    ddim_sample,
    naive_strided_sample,
    respaced_ancestral_sample,
)


@pytest.fixture(scope="module")
def schedule():
    return NoiseSchedule.linear()


@pytest.fixture(scope="module")
def mixture():
    return GaussianMixture.preset("swiss_roll")


@pytest.fixture(scope="module")
def exact(mixture, schedule):
    return mixture.eps_model(schedule)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def noise(n, seed=0):
    return torch.randn(n, 2, generator=gen(seed))


# ----------------------------------------------------------------------------- property 1


@pytest.mark.parametrize("variance", ["beta", "beta_tilde"])
def test_respaced_with_all_steps_equals_ancestral(exact, schedule, variance):
    x_T = noise(64)
    a = ancestral_sample(exact, schedule, x_T, variance=variance, generator=gen(1), progress=False)
    b = respaced_ancestral_sample(exact, schedule, x_T, schedule.T, variance=variance,
                                  generator=gen(1), progress=False)
    assert (a - b).abs().max() <= 1e-6


# ----------------------------------------------------------------------------- property 2
@pytest.mark.parametrize("steps", [3, 10, 37, 100])
def test_ddim_eta1_equals_respaced_beta_tilde(exact, schedule, steps):
    x_T = noise(128, 2)
    a = ddim_sample(exact, schedule, x_T, steps, eta=1.0, generator=gen(7), progress=False)
    b = respaced_ancestral_sample(exact, schedule, x_T, steps, variance="beta_tilde",
                                  generator=gen(7), progress=False)
    scale = b.abs().max()
    assert (a - b).abs().max() <= 1e-5 * scale
    # and it is a different chain from the β variance: the check above is not vacuous
    c = respaced_ancestral_sample(exact, schedule, x_T, steps, variance="beta", generator=gen(7), progress=False)
    assert (a - c).abs().max() > 1e-3


def test_ddim_eta1_equals_respaced_beta_tilde_quadratic_spacing(exact, schedule):
    ts = schedule.timesteps(20, "quadratic")
    x_T = noise(32, 3)
    a = ddim_sample(exact, schedule, x_T, timesteps=ts, eta=1.0, generator=gen(1))
    b = respaced_ancestral_sample(exact, schedule, x_T, timesteps=ts, variance="beta_tilde", generator=gen(1))
    assert (a - b).abs().max() <= 1e-5 * b.abs().max()


# ----------------------------------------------------------------------------- property 3
def test_ddim_eta0_is_deterministic(exact, schedule):
    x_T = noise(256)
    a = ddim_sample(exact, schedule, x_T, 50, generator=gen(1))
    b = ddim_sample(exact, schedule, x_T, 50, generator=gen(2))
    c = ddim_sample(exact, schedule, x_T, 50)
    assert torch.equal(a, b) and torch.equal(a, c)


# ----------------------------------------------------------------------------- property 4
STOCHASTIC = {
    "ancestral": lambda m, s, x, g: ancestral_sample(m, s, x, generator=g, progress=False),
    "ancestral_beta_tilde": lambda m, s, x, g: ancestral_sample(m, s, x, variance="beta_tilde", generator=g, progress=False),
    "naive": lambda m, s, x, g: naive_strided_sample(m, s, x, 20, generator=g),
    "respaced": lambda m, s, x, g: respaced_ancestral_sample(m, s, x, 50, generator=g),
    "ddim_eta_0.5": lambda m, s, x, g: ddim_sample(m, s, x, 50, eta=0.5, generator=g),
}


@pytest.mark.parametrize("name", sorted(STOCHASTIC))
def test_seed_reproduces_and_other_seed_differs(exact, schedule, name):
    run = STOCHASTIC[name]
    x_T = noise(32)
    a, b, c = run(exact, schedule, x_T, gen(5)), run(exact, schedule, x_T, gen(5)), run(exact, schedule, x_T, gen(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert (a - c).pow(2).mean() > 1e-4


# ----------------------------------------------------------------------------- property 5
def test_ddim_inversion_reconstructs_and_improves_with_steps(mixture, exact, schedule):
    x0 = mixture.sample(400, gen(11))
    rows = []
    for steps in (10, 50, 200, 1000):
        x_T = ddim_invert(exact, schedule, x0, steps, progress=False)
        x_rec = ddim_sample(exact, schedule, x_T, steps, progress=False)
        rows.append((steps, (x_rec - x0).pow(2).mean().item(), x_T.std().item()))
    print("\nsteps | reconstruction MSE | std of x_T")
    for steps, mse, std in rows:
        print(f"{steps:5d} | {mse:.3e} | {std:.3f}")
    mses = [r[1] for r in rows]
    assert all(later < earlier for earlier, later in zip(mses, mses[1:]))
    assert mses[-1] < 1e-4 * x0.pow(2).mean().item()
    # the encoding is noise-like: roughly unit variance, not the data
    assert 0.8 < rows[-1][2] < 1.2


# ----------------------------------------------------------------------------- property 6
def test_exact_eps_matches_monte_carlo_posterior(mixture, exact, schedule):
    """ε*(x_t) = E[ε | x_t]: check by self-normalised importance sampling over x_0 ~ data."""
    g = gen(3)
    x0 = mixture.sample(400_000, g).double()
    for t in (50, 300, 700):
        ab = schedule.alpha_bar_64[t]
        x_t = torch.tensor([[0.3, -0.5], [1.0, 0.8], [-1.2, 0.1]], dtype=torch.float64)
        # p(x_t | x_0) ∝ exp(−‖x_t − √ᾱ x_0‖² / (2(1−ᾱ))), ε = (x_t − √ᾱ x_0)/√(1−ᾱ)
        d = x_t[:, None, :] - ab.sqrt() * x0[None]
        logw = -(d**2).sum(-1) / (2 * (1 - ab))
        w = torch.softmax(logw, dim=1)
        eps_mc = (w[..., None] * d / (1 - ab).sqrt()).sum(1)
        eps_exact = exact(x_t.float(), torch.full((3,), t)).double()
        assert torch.allclose(eps_exact, eps_mc, atol=0.03), (t, eps_exact, eps_mc)


def test_exact_model_ancestral_matches_data_loglik(mixture, exact, schedule):
    x_T = noise(3000, 21)
    samples = ancestral_sample(exact, schedule, x_T, generator=gen(22), progress=False)
    ll_model = mixture.log_prob(samples).mean().item()
    ll_data = mixture.log_prob(mixture.sample(200_000, gen(23))).mean().item()
    assert abs(ll_model - ll_data) <= 0.05, (ll_model, ll_data)


def test_naive_stride_is_clearly_worse(mixture, exact, schedule):
    x_T = noise(2000, 31)
    ll = {
        "naive20": naive_strided_sample(exact, schedule, x_T, 20, generator=gen(1)),
        "respaced50": respaced_ancestral_sample(exact, schedule, x_T, 50, generator=gen(1)),
        "ddim50": ddim_sample(exact, schedule, x_T, 50),
    }
    ll = {k: mixture.log_prob(v).mean().item() for k, v in ll.items()}
    assert ll["naive20"] < ll["respaced50"] - 10
    assert ll["naive20"] < ll["ddim50"] - 10


# ----------------------------------------------------------------------------- loop mechanics
def test_trajectory_callback_and_call_count(exact, schedule):
    calls, seen_t = [], []
    counting = lambda x, t: (calls.append(t.shape), exact(x, t))[1]  # noqa: E731
    x_T = noise(8)
    x0, traj = ddim_sample(counting, schedule, x_T, 20, return_trajectory=True,
                           callback=lambda i, t, x, x0: seen_t.append(t))
    assert len(calls) == 20 and all(s == (8,) for s in calls)
    assert traj.shape == (21, 8, 2)
    assert torch.equal(traj[0], x_T) and torch.equal(traj[-1], x0)
    assert seen_t == schedule.timesteps(20).tolist()


def test_naive_stride_keeps_single_step_coefficients(schedule):
    from ddpm_lessons.samplers import naive_strided_table

    table = naive_strided_table(schedule, list(range(999, -1, -100)))
    assert table.t_model.tolist() == list(range(999, -1, -100))
    t = 499
    i = table.t_model.tolist().index(t)
    assert table.c_x[i] == pytest.approx(1 / schedule.alphas_64[t].sqrt().item())
    assert table.sigma[i] == pytest.approx(schedule.betas_64[t].sqrt().item())
    assert table.sigma[-1] > 0  # t = 99 > 0: the source's rule adds noise even on the last visit


# ----------------------------------------------------------------------------- x̂₀ clipping
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


def _clipped_ddim_by_hand(model, schedule, x, ts, eta, generator, bound=1.0):
    """DDIM eq. 12 written out, in float64, with x̂₀ clipped and ε re-derived from it at each step."""
    ab = schedule.alpha_bar_64
    x, seen = x.double(), []
    for i, t in enumerate(ts):
        a_t, a_prev = ab[t].item(), (ab[ts[i + 1]].item() if i + 1 < len(ts) else 1.0)
        eps = model(x.float(), None).double()
        x0 = ((x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)).clamp(-bound, bound)
        seen.append(x0)
        eps = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
        x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev - sigma ** 2) * eps
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator).double()
    return x, seen


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_clipped_chain_matches_ddim_written_out(schedule, eta):
    """Many steps, the bound active, fresh noise: the loop's scaled-variable update, its noise
    buffer and its callback copy agree with DDIM eq. 12 computed step by step."""
    x_T = torch.randn(32, 1, 3, 3, generator=dl.seed(0))
    ts = schedule.timesteps(12, "quadratic").tolist()
    want, want_x0 = _clipped_ddim_by_hand(Wild(), schedule, x_T, ts, eta, dl.seed(5))
    got = dl.ddim_sample(Wild(), schedule, x_T, timesteps=ts, eta=eta, clip_x0=1.0, generator=dl.seed(5))
    seen = []
    with_cb = dl.ddim_sample(Wild(), schedule, x_T, timesteps=ts, eta=eta, clip_x0=1.0, generator=dl.seed(5),
                             callback=lambda i, t, x, x0: seen.append(x0))
    assert torch.allclose(got.double(), want, atol=1e-5, rtol=1e-5)
    assert torch.allclose(with_cb, got, atol=1e-6)
    assert any((w.abs() == 1.0).any() for w in want_x0), "the bound must be reached for this test to mean anything"
    for a, b in zip(seen, want_x0):  # the x̂₀ handed to the callback is not overwritten by later steps
        assert torch.allclose(a.double(), b, atol=1e-5)


def test_clipping_refuses_a_table_without_x0_coefficients(schedule):
    x = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="clip_x0 cannot be used"):
        dl.run_chain(Wild(), x, dl.ddim_inversion_table(schedule, schedule.timesteps(5)), clip_x0=1.0)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_clip_x0_is_named(schedule, bad):
    with pytest.raises((ValueError, TypeError), match="clip_x0"):
        dl.ddim_sample(Wild(), schedule, torch.zeros(1, 2), 5, clip_x0=bad)


# ----------------------------------------------------------------------------- per-sample η, t_start, tables, seeds
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


def test_ddim_refuses_an_eta_whose_noise_exceeds_what_the_step_allows(schedule):
    """DDIM eq. 12 needs σ² ≤ 1 − ᾱ_prev; η ≤ 1 always satisfies it, a large η does not (no silent clamp)."""
    ts = schedule.timesteps(10)
    t1 = dl.ddim_table(schedule, ts, eta=1.0)
    ab_prev = schedule.respace(ts).alpha_bar_prev_64.flip(0)
    assert all(s ** 2 <= 1 - float(a) + 1e-12 for s, a in zip(t1.sigma, ab_prev))
    dl.ddim_table(schedule, ts, eta=1.05)  # still within the bound at these steps
    with pytest.raises(ValueError, match=r"eta is too large.*σ² .* exceeds 1 − ᾱ_prev"):
        dl.ddim_table(schedule, ts, eta=1.5)
    with pytest.raises(ValueError, match="eta is too large"):
        dl.ddim_table(schedule, ts, eta=[0.0, 3.0])


def test_loop_preparations_are_cached_per_batch_but_bounded(schedule):
    """A table keeps what the loop prepared for a (device, batch), so repeated calls skip it; the
    cache holds at most a few batch sizes and never a large timestep array (memory stays flat)."""
    from ddpm_lessons import samplers

    table = dl.ddim_table(schedule, schedule.timesteps(10))
    f = lambda x, t: 0.1 * x  # noqa: E731
    for b in range(1, 12):
        dl.run_chain(f, torch.zeros(b, 2), table)
    kept = table.__dict__["_prepared"]
    assert len(kept) == samplers._PREPARED_PER_TABLE and {k[2] for k in kept} == set(range(4, 12))
    first = kept[next(iter(kept))]
    dl.run_chain(f, torch.zeros(4, 2), table)
    assert kept[next(iter(kept))] is first  # reused, not rebuilt
    big = samplers._CACHED_TIMESTEP_VALUES // len(table) + 1
    dl.run_chain(f, torch.zeros(big, 1), table)
    assert all(k[2] != big for k in table.__dict__["_prepared"])
