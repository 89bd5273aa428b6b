"""Every checker accepts the reference solution and rejects typical mistakes with the right hint."""
import math

import pytest
import torch

from ddpm_lessons import exercises as ex
from ddpm_lessons.exercises import your_turn


def run(capsys, checker, *args, **kwargs):
    verdict = checker(*args, **kwargs)
    return bool(verdict), capsys.readouterr().out


def accepted(capsys, checker, *args, **kwargs):
    ok, out = run(capsys, checker, *args, **kwargs)
    assert ok, out
    assert "✅" in out
    return out


def rejected(capsys, checker, *args, hint, **kwargs):
    ok, out = run(capsys, checker, *args, **kwargs)
    assert not ok, out
    assert hint in out, out
    assert "❌" in out
    return out


# --------------------------------------------------------------------------- stubs and errors
def test_a_stub_is_not_attempted_and_never_raises(capsys):
    def stub(*args):
        your_turn("stub")

    with pytest.raises(NotImplementedError):
        stub()
    for checker in (ex.check_two_step_variance, ex.check_ancestral_step, ex.check_jump_step, ex.check_slerp,
                    ex.check_respaced_betas, ex.check_leading_timesteps, ex.check_ddim_inversion_step, ex.check_fork_experiment):
        ok, out = run(capsys, checker, stub)
        assert not ok and "not attempted yet: fill in the cell above" in out


def test_unset_predictions_are_not_attempted(capsys):
    ok, out = run(capsys, ex.check_call_count, None, None, 1000, 64000)
    assert not ok and "not attempted yet" in out
    ok, out = run(capsys, ex.check_exponent, None, [1, 2], [1, 4])
    assert not ok and "not attempted yet" in out


def test_a_crashing_answer_is_reported_not_raised(capsys):
    ok, out = run(capsys, ex.check_ancestral_step, lambda *a: 1 / 0)
    assert not ok and "ZeroDivisionError" in out


def test_verdict_is_boolean_and_silent_in_a_notebook():
    assert ex.Verdict(True) and not ex.Verdict(False)
    assert ex.Verdict(True) == True  # noqa: E712
    assert ex.Verdict(True)._ipython_display_() is None


# --------------------------------------------------------------------------- 01
def test_two_step_variance(capsys):
    accepted(capsys, ex.check_two_step_variance, lambda b1, b2: 1 - (1 - b1) * (1 - b2))
    rejected(capsys, ex.check_two_step_variance, lambda b1, b2: b1 + b2, hint="added the two variances")
    rejected(capsys, ex.check_two_step_variance, lambda b1, b2: (1 - b1) * (1 - b2), hint="share of the *signal's*")


def _ancestral(x, e, t, z, s, c_x=None, c_e=None, sig=None):
    a, b, ab = s.alphas_64[t], s.betas_64[t], s.alpha_bar_64[t]
    c_x = 1 / a.sqrt() if c_x is None else c_x(a, b, ab)
    c_e = -b / ((1 - ab).sqrt() * a.sqrt()) if c_e is None else c_e(a, b, ab)
    sig = b.sqrt() if sig is None else sig(a, b, ab)
    return c_x * x + c_e * e + sig * z


def test_ancestral_step(capsys):
    accepted(capsys, ex.check_ancestral_step, _ancestral)
    out = rejected(capsys, ex.check_ancestral_step,
                   lambda *a: _ancestral(*a, c_e=lambda a, b, ab: -b / ((1 - a).sqrt() * a.sqrt())),
                   hint="did you use ᾱ_t or α_t?")
    assert "σ_t (coefficient of z) are right" in out or "are right" in out
    rejected(capsys, ex.check_ancestral_step, lambda *a: _ancestral(*a, sig=lambda a, b, ab: b),
             hint="you used the variance β_t")
    rejected(capsys, ex.check_ancestral_step, lambda *a: _ancestral(*a, c_x=lambda a, b, ab: 1 / ab.sqrt()),
             hint="formula for x̂₀")
    rejected(capsys, ex.check_ancestral_step, lambda *a: _ancestral(*a, c_e=lambda a, b, ab: -b / (1 - ab).sqrt()),
             hint="the ε term included")


def test_call_count(capsys):
    accepted(capsys, ex.check_call_count, 1000, 64000, 1000, 64000)
    rejected(capsys, ex.check_call_count, 64000, 64000, 1000, 64000, hint="number of *rows* evaluated")
    rejected(capsys, ex.check_call_count, 1000, 1000, 1000, 64000, hint="calls × 64")


# --------------------------------------------------------------------------- 02
def test_time_prediction(capsys):
    accepted(capsys, ex.check_time_prediction, 1.0, 1.1, 0.01, 100)
    rejected(capsys, ex.check_time_prediction, 0.01, 1.1, 0.01, 100, hint="multiply by 100")
    rejected(capsys, ex.check_time_prediction, 10.0, 1.1, 0.01, 100, hint="Expected about 100")


def test_flops_claim(capsys):
    f = 1.2e10
    accepted(capsys, ex.check_flops_claim, 1000 * f, 1e15 / (1000 * f), f, 1000)
    rejected(capsys, ex.check_flops_claim, f, 1e15 / f, f, 1000, hint="the sampler makes 1000 calls per image")
    rejected(capsys, ex.check_flops_claim, 500 * f, 1e15 / (500 * f), f, 1000, hint="do not halve them")
    rejected(capsys, ex.check_flops_claim, 1000 * f, 1000 * f / 1e15, f, 1000, hint="divided the other way round")


def _jump(x, e, t, tp, z, s, single=False, root_new=False):
    ab, abp = s.alpha_bar_64[t], s.alpha_bar_64[tp]
    a = s.alphas_64[t] if single else ab / abp
    b = 1 - a
    noise = (1 - a).sqrt() if root_new else (1 - ab).sqrt()
    return (x - b / noise * e) / a.sqrt() + b.sqrt() * z


def test_jump_step(capsys):
    accepted(capsys, ex.check_jump_step, _jump)
    rejected(capsys, ex.check_jump_step, lambda *a: _jump(*a, single=True),
             hint="you used the single-step α_t, β_t: that is the naive stride of notebook 02/05")
    rejected(capsys, ex.check_jump_step, lambda *a: _jump(*a, root_new=True), hint="noise level at t is √(1 − ᾱ_t)")


# --------------------------------------------------------------------------- 03
def test_first_step_gap(capsys):
    accepted(capsys, ex.check_first_step_gap, 0.04)
    rejected(capsys, ex.check_first_step_gap, 0.02, hint="*sum* of their variances")
    rejected(capsys, ex.check_first_step_gap, 2 * math.sqrt(0.02), hint="standard deviation")


def _fork_ref(model, table, x_T, k, M, generator):
    return ex.reference_fork_finals(model, table, x_T, k, M, generator)


def _fork_no_shared_trunk(model, table, x_T, k, M, generator):
    """Repeats x_T first: every row draws its own noise from the start."""
    from ddpm_lessons import run_chain
    x = x_T.repeat(M, 1)
    return run_chain(model, x, table, generator=generator, progress=False)


def _fork_same_noise(model, table, x_T, k, M, generator):
    """Shares the trunk but re-seeds the generator for every fork: all forks identical."""
    from ddpm_lessons import run_chain
    trunk = run_chain(model, x_T, table[:k], generator=generator, progress=False) if k else x_T
    if k == len(table):
        return trunk.repeat(M, 1)
    return torch.cat([run_chain(model, trunk, table[k:], generator=torch.Generator().manual_seed(0), progress=False)
                      for _ in range(M)])


def _fork_trunk_per_fork(model, table, x_T, k, M, generator):
    """Runs a separate trunk for every fork (nothing is shared)."""
    return torch.cat([ex.reference_fork_finals(model, table, x_T, k, 1, generator) for _ in range(M)])


def _fork_restart(model, table, x_T, k, M, generator):
    """Runs the remaining rows from x_T instead of from the trunk's state."""
    from ddpm_lessons import run_chain
    if k == len(table):
        return x_T.repeat(M, 1)
    return run_chain(model, x_T.repeat(M, 1), table[k:], generator=generator, progress=False)


def test_fork_experiment(capsys):
    out = accepted(capsys, ex.check_fork_experiment, _fork_ref)
    assert "k =   0" in out
    rejected(capsys, ex.check_fork_experiment, _fork_no_shared_trunk, hint="must be shared — run them on ONE copy")
    rejected(capsys, ex.check_fork_experiment, _fork_same_noise, hint="must draw its own fresh noise")
    rejected(capsys, ex.check_fork_experiment, _fork_trunk_per_fork, hint="run once")
    rejected(capsys, ex.check_fork_experiment, _fork_restart, hint="do not continue from a shared trunk")


def test_eta_prediction(capsys):
    v = {0.0: 0.0, 0.5: 0.68, 1.0: 0.76}
    accepted(capsys, ex.check_eta_prediction, "C", v)
    rejected(capsys, ex.check_eta_prediction, "A", v, hint="only η = 0 is deterministic")
    rejected(capsys, ex.check_eta_prediction, "B", v, hint="sum of the injected variances")


# --------------------------------------------------------------------------- 04
def _slerp_ref(a, b, w):
    cos = (a * b).sum() / (a.norm() * b.norm())
    th = torch.arccos(cos.clamp(-1, 1))
    if torch.sin(th) < 1e-6:
        return (1 - w) * a + w * b
    return (torch.sin((1 - w) * th) * a + torch.sin(w * th) * b) / torch.sin(th)


def test_lerp_midpoint(capsys):
    accepted(capsys, ex.check_lerp_midpoint, math.cos(math.radians(30)), 60)
    rejected(capsys, ex.check_lerp_midpoint, 1 / math.sqrt(2), 60, hint="*orthogonal* endpoints")
    rejected(capsys, ex.check_lerp_midpoint, 0.75, 60, hint="*squared* norm ratio")


def test_slerp(capsys):
    accepted(capsys, ex.check_slerp, _slerp_ref)
    rejected(capsys, ex.check_slerp, lambda a, b, w: (1 - w) * a + w * b, hint="your result is lerp")

    def no_division(a, b, w):
        th = torch.arccos(((a * b).sum() / (a.norm() * b.norm())).clamp(-1, 1))
        return torch.sin((1 - w) * th) * a + torch.sin(w * th) * b

    rejected(capsys, ex.check_slerp, no_division, hint="divide both weights by sin θ")

    def unit(a, b, w):
        return _slerp_ref(a / a.norm(), b / b.norm(), w)

    rejected(capsys, ex.check_slerp, unit, hint="did not scale back")

    def no_fallback(a, b, w):
        th = torch.arccos(((a * b).sum() / (a.norm() * b.norm())).clamp(-1, 1))
        return (torch.sin((1 - w) * th) * a + torch.sin(w * th) * b) / torch.sin(th)

    rejected(capsys, ex.check_slerp, no_fallback, hint="θ = 0")


def test_shell_prediction(capsys):
    accepted(capsys, ex.check_shell_prediction, "2", {2: 0.38, 256: 0.02})
    rejected(capsys, ex.check_shell_prediction, "256", {2: 0.38, 256: 0.02}, hint="concentrate on the shell")
    accepted(capsys, ex.check_shell_prediction, "d = 2", {2: 0.38, 256: 0.02})


# --------------------------------------------------------------------------- 05
def _betas_ref(ab, ts):
    kept = torch.as_tensor(ts).flip(0)
    a = ab[kept]
    return 1 - a / torch.cat([torch.ones(1, dtype=a.dtype), a[:-1]])


def test_respaced_betas(capsys):
    from ddpm_lessons import NoiseSchedule

    betas = NoiseSchedule.linear().betas_64
    accepted(capsys, ex.check_respaced_betas, _betas_ref)
    rejected(capsys, ex.check_respaced_betas, lambda ab, ts: betas[torch.as_tensor(ts).flip(0)],
             hint="single-step β_t: that is the naive stride of notebook 02/05")
    rejected(capsys, ex.check_respaced_betas,
             lambda ab, ts: 1 - ab[torch.as_tensor(ts).flip(0)] / ab[torch.as_tensor(ts).flip(0) - 1],
             hint="single-step β_t")  # the off-by-one ᾱ_(τ−1) is the single-step β again
    rejected(capsys, ex.check_respaced_betas, lambda ab, ts: _betas_ref(ab, ts).flip(0), hint="reversed order")
    rejected(capsys, ex.check_respaced_betas, lambda ab, ts: _betas_ref(ab, ts)[1:], hint="the first one is missing")

    def first_over_ab0(ab, ts):
        out = _betas_ref(ab, ts)
        out[0] = 1 - ab[torch.as_tensor(ts)[-1]] / ab[0]
        return out

    rejected(capsys, ex.check_respaced_betas, first_over_ab0, hint="all but the first are right")


def test_leading_timesteps(capsys):
    accepted(capsys, ex.check_leading_timesteps, lambda T, S: torch.arange(S - 1, -1, -1) * (T // S))
    rejected(capsys, ex.check_leading_timesteps, lambda T, S: torch.tensor([T - 1 - (k * T) // S for k in range(S)]),
             hint="*trailing* spacing")
    rejected(capsys, ex.check_leading_timesteps, lambda T, S: torch.arange(S) * (T // S), hint="wrong order")
    rejected(capsys, ex.check_leading_timesteps, lambda T, S: torch.arange(S - 1, -1, -1) * (T // S) + 1,
             hint="off by one")
    rejected(capsys, ex.check_leading_timesteps, lambda T, S: torch.tensor([int(k * T / S) for k in range(S - 1, -1, -1)]),
             hint="fractional stride")


def test_leading_reference_matches_the_package():
    from ddpm_lessons import NoiseSchedule

    s = NoiseSchedule.linear()
    for steps in (10, 30, 50, 7):
        assert torch.equal(ex.reference_leading_timesteps(1000, steps), s.timesteps(steps, "leading"))


def test_exponent(capsys):
    skips, err = [10, 20, 50, 100], [1e-4 * (s / 10) ** 2 for s in (10, 20, 50, 100)]
    accepted(capsys, ex.check_exponent, 2.0, skips, err)
    rejected(capsys, ex.check_exponent, -2.0, skips, err, hint="fitted against the number of steps")
    rejected(capsys, ex.check_exponent, 0.5, skips, err, hint="swap the axes")


# --------------------------------------------------------------------------- 06
def _invert(x, e, t, tn, s, alpha=False, no_x0_eps=False, python_minus_one=False, swapped=False):
    table = s.alphas_64 if alpha else s.alpha_bar_64
    one = torch.tensor(1.0, dtype=torch.float64)
    ab = table[t] if (t >= 0 or python_minus_one) else one
    abn = table[tn]
    if swapped:
        ab, abn = abn, ab
    x0 = x / ab.sqrt() if no_x0_eps else (x - (1 - ab).sqrt() * e) / ab.sqrt()
    return abn.sqrt() * x0 + (1 - abn).sqrt() * e


def test_ddim_inversion_step(capsys):
    accepted(capsys, ex.check_ddim_inversion_step, _invert)
    rejected(capsys, ex.check_ddim_inversion_step, lambda *a: _invert(*a, alpha=True), hint="did you use α_t or ᾱ_t?")
    rejected(capsys, ex.check_ddim_inversion_step, lambda *a: _invert(*a, python_minus_one=True),
             hint="alpha_bar_64[-1] is ᾱ_999")
    rejected(capsys, ex.check_ddim_inversion_step, lambda x, e, t, tn, s: _invert(x, e, max(t, 0), tn, s, swapped=True),
             hint="upside down")
    # x̂₀'s ε part forgotten (x̂₀ replaced by x/√ᾱ_t): only c_ε is wrong
    out = rejected(capsys, ex.check_ddim_inversion_step, lambda *a: _invert(*a, no_x0_eps=True),
                   hint="the x̂₀ term also contributes to ε")
    assert "your coefficient of x is right" in out
    noisy = rejected(capsys, ex.check_ddim_inversion_step, lambda x, e, t, tn, s: _invert(x, e, t, tn, s) + 0.01 * x * (x - 1),
                     hint="must be linear")
    assert "no noise" in noisy


def test_ddim_inversion_reference_is_the_package_table():
    """The checker's reference is samplers.ddim_inversion_table; it agrees with eq. 12 run upwards."""
    from ddpm_lessons import NoiseSchedule
    from ddpm_lessons.samplers import ddim_inversion_table

    s = NoiseSchedule.linear()
    tab = ddim_inversion_table(s, torch.tensor([600, 500]))
    for i, (x, e) in enumerate(((1.0, 0.0), (0.0, 1.0))):
        xe = (torch.tensor([x], dtype=torch.float64), torch.tensor([e], dtype=torch.float64))
        want = (tab.c_x, tab.c_eps)[i][-1]
        assert math.isclose(want, float(_invert(*xe, 500, 600, s)), rel_tol=1e-12)


def test_eta_one_and_inversion_predictions(capsys):
    d = {"beta_tilde": 0.0, "beta": 0.7}
    accepted(capsys, ex.check_eta_one_prediction, "beta_tilde", d)
    rejected(capsys, ex.check_eta_one_prediction, "beta", d, hint="not β")
    e = {10: 4e-3, 50: 1e-3}
    accepted(capsys, ex.check_inversion_prediction, "50", e)
    rejected(capsys, ex.check_inversion_prediction, "10", e, hint="finer steps invert better")
