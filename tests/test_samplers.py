"""Properties the samplers must have: each test fails if the math is wrong, not just if it crashes."""
import pytest
import torch

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
    # the respaced betas are much larger than the single-step ones they replace
    assert r.betas_64[-1] > 10 * schedule.betas_64[-1]


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


# ----------------------------------------------------------------------------- property 7
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


def test_timesteps_spacings(schedule):
    assert schedule.timesteps(10).tolist() == list(range(999, -1, -100))
    q = schedule.timesteps(10, "quadratic")
    assert q[0] == 999 and bool((q[1:] < q[:-1]).all())
    assert (q[:-1] - q[1:]).tolist() == sorted((q[:-1] - q[1:]).tolist(), reverse=True)
    for steps in (1, 7, 999, 1000):
        for spacing in ("trailing", "leading", "linspace", "quadratic"):
            ts = schedule.timesteps(steps, spacing)
            assert ts.numel() == steps and ts.unique().numel() == steps
            assert 0 <= ts.min() and ts.max() <= 999


def test_cosine_schedule_is_valid():
    s = NoiseSchedule.cosine(1000)
    assert bool((s.betas > 0).all() and (s.betas < 1).all())
    assert bool((s.alpha_bar[1:] < s.alpha_bar[:-1]).all())
    assert s.alpha_bar[0] > 0.999 and s.alpha_bar[-1] < 1e-3
