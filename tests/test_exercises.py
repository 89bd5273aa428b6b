"""Every checker accepts a correct answer written independently of it, and rejects each typical
mistake it knows with that mistake's hint (one test case per hint)."""
import math

import pytest
import torch

import ddpm_lessons as dl
from ddpm_lessons.exercises import nb01, nb02, nb03, nb04, nb05, nb06, your_turn, Verdict


def run(capsys, checker, *args, **kwargs):
    verdict = checker(*args, **kwargs)
    return bool(verdict), capsys.readouterr().out


def accepted(capsys, checker, *args, **kwargs):
    ok, out = run(capsys, checker, *args, **kwargs)
    assert ok, out
    assert "✅" in out and "❌" not in out
    return out


def rejected(capsys, checker, *args, hint, **kwargs):
    ok, out = run(capsys, checker, *args, **kwargs)
    assert not ok, out
    assert hint in out, out
    assert "❌" in out
    return out


# --------------------------------------------------------------------------- stubs, errors, verdicts
def _stub(*args):
    your_turn("stub")


@pytest.mark.parametrize("checker", [nb01.check_two_step_variance, nb01.check_ancestral_step, nb02.check_jump_step,
                                     nb04.check_slerp, nb05.check_respaced_betas, nb05.check_leading_timesteps,
                                     nb06.check_ddim_inversion_step, nb03.check_fork_experiment,
                                     nb06.check_marginal_variance])
def test_a_stub_is_not_attempted_and_never_raises(capsys, checker):
    with pytest.raises(NotImplementedError):
        _stub()
    ok, out = run(capsys, checker, _stub)
    assert not ok and "not attempted yet: fill in the cell above" in out


@pytest.mark.parametrize("checker, args", [
    (nb01.check_call_count, (None, None, 1000, 64000)), (nb02.check_time_prediction, (None, 1.0, 0.01, 100)),
    (nb02.check_flops_claim, (None, 1.0, 1e10, 1000)), (nb03.check_first_step_gap, (None,)),
    (nb03.check_eta_prediction, (None, {})), (nb04.check_lerp_midpoint, (None,)),
    (nb04.check_shell_prediction, (None, {})), (nb05.check_exponent, (None, [1, 2], [1, 4])),
    (nb06.check_eta_one_prediction, (None, {})), (nb06.check_inversion_prediction, (None, {})),
])
def test_unset_predictions_are_not_attempted(capsys, checker, args):
    ok, out = run(capsys, checker, *args)
    assert not ok and "not attempted yet: set `" in out


def test_a_crashing_answer_is_reported_not_raised(capsys):
    ok, out = run(capsys, nb01.check_ancestral_step, lambda *a: 1 / 0)
    assert not ok and "ZeroDivisionError" in out and "traceback" in out


def test_a_verdict_is_a_boolean_that_ipython_displays_as_nothing():
    """In a notebook the printed feedback is the output: IPython must not add 'True' below it."""
    IPython = pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    fmt = InteractiveShell.instance().display_formatter
    assert fmt.format(True)[0] == {"text/plain": "True"}  # what a plain bool would show
    assert fmt.format(Verdict(True)) == ({}, {})
    assert Verdict(True) and not Verdict(False) and Verdict(True) == True  # noqa: E712
    assert IPython is not None


def test_messages_name_the_value_and_the_expected_one(capsys):
    """Issue 18 §7: 'your X is A, expected B' with enough digits to tell A from B."""
    s = dl.NoiseSchedule.linear()
    # c_x off by a factor 1.0001: 4 significant digits would print the same number twice
    out = rejected(capsys, nb01.check_ancestral_step, lambda *a: _ancestral(*a) * 1.0 + a[0] * 1e-4 / s.alphas_64[a[2]].sqrt(),
                   hint="your coefficient of x_t is ")
    line = next(ln for ln in out.splitlines() if "coefficient of x_t is" in ln)
    got, want = line.split("coefficient of x_t is ")[1].split(", expected ")
    assert got != want.rstrip(".")
    assert "is not (" not in out


# --------------------------------------------------------------------------- 01
def _two_step(b1, b2):  # by hand: x₂ = √(α₂α₁)x₀ + √(α₂β₁)ε₁ + √β₂ε₂
    return (1 - b2) * b1 + b2


@pytest.mark.parametrize("mistake, hint", [
    (lambda b1, b2: b1 + b2, "added the two variances"),
    (lambda b1, b2: (1 - b1) * (1 - b2), "share of the *signal's*"),
    (lambda b1, b2: b1 * (1 - b1) + b2, "you scaled the wrong step"),
    (lambda b1, b2: (math.sqrt(b1 * (1 - b2)) + math.sqrt(b2)) ** 2, "you used standard deviations"),
    (lambda b1, b2: 0.5, "add the variances of the two noise terms"),
])
def test_two_step_variance(capsys, mistake, hint):
    accepted(capsys, nb01.check_two_step_variance, _two_step)
    out = rejected(capsys, nb01.check_two_step_variance, mistake, hint=hint)
    assert "your Var(x₂ | x₀) is " in out and ", expected 0.28" in out  # 1 − 0.9·0.8 for β = (0.1, 0.2)


def _ancestral(x, e, t, z, s, c_x=None, c_e=None, sig=None):
    """DDPM Algorithm 2, line 4, written out by hand (independent of the package's tables)."""
    a, b, ab = s.alphas_64[t], s.betas_64[t], s.alpha_bar_64[t]
    c_x = 1 / a.sqrt() if c_x is None else c_x(a, b, ab, t, s)
    c_e = -b / ((1 - ab).sqrt() * a.sqrt()) if c_e is None else c_e(a, b, ab, t, s)
    sig = b.sqrt() if sig is None else sig(a, b, ab, t, s)
    return c_x * x + c_e * e + sig * z


@pytest.mark.parametrize("part, wrong, hint", [
    ("c_x", lambda a, b, ab, t, s: 1 / ab.sqrt(), "formula for x̂₀"),
    ("c_x", lambda a, b, ab, t, s: a.sqrt(), "multiplied by √α_t instead of dividing"),
    ("c_x", lambda a, b, ab, t, s: torch.tensor(1.0, dtype=torch.float64), "x_t itself is divided by √α_t too"),
    ("c_e", lambda a, b, ab, t, s: -b / ((1 - a).sqrt() * a.sqrt()), "did you use ᾱ_t or α_t?"),
    ("c_e", lambda a, b, ab, t, s: -b / (1 - ab).sqrt(), "the ε term included"),
    ("c_e", lambda a, b, ab, t, s: -b / ((1 - ab) * a.sqrt()), "the square root is missing"),
    ("c_e", lambda a, b, ab, t, s: b / ((1 - ab).sqrt() * a.sqrt()), "check the sign"),
    ("c_e", lambda a, b, ab, t, s: -(1 - ab).sqrt() / ab.sqrt(), "x̂₀ coefficient"),
    ("sig", lambda a, b, ab, t, s: b, "you used the variance β_t"),
    ("sig", lambda a, b, ab, t, s: s.beta_tilde_64[t].sqrt(), "that is √β̃_t"),
    ("sig", lambda a, b, ab, t, s: (1 - ab).sqrt(), "cumulative 1 − ᾱ_t"),
    ("sig", lambda a, b, ab, t, s: (1 - s.alpha_bar_prev_64[t]).sqrt(), "a jump from x₀"),
])
def test_ancestral_step(capsys, part, wrong, hint):
    accepted(capsys, nb01.check_ancestral_step, _ancestral)
    out = rejected(capsys, nb01.check_ancestral_step, lambda *a: _ancestral(*a, **{part: wrong}), hint=hint)
    assert " right, your " in out  # names what is right before what is not


def test_ancestral_step_must_be_elementwise(capsys):
    rejected(capsys, nb01.check_ancestral_step, lambda x, e, t, z, s: _ancestral(x, e, t, z, s) + 0.1 * (x - x.mean()),
             hint="not on random ones")


@pytest.mark.parametrize("calls, rows, hint", [
    (64000, 64000, "number of *rows* evaluated"), (1, 64000, "one call per *step*, not one per sample"),
    (999, 64000, "including the last one"), (5, 64000, "the batch shares each call"),
    (1000, 1000, "calls × 64"), (1000, 5, "each of the calls evaluates the whole batch"),
])
def test_call_count(capsys, calls, rows, hint):
    out = accepted(capsys, nb01.check_call_count, 1000, 64000, 1000, 64000)
    assert "T calls one after another" in out
    rejected(capsys, nb01.check_call_count, calls, rows, 1000, 64000, hint=hint)


# --------------------------------------------------------------------------- 02
@pytest.mark.parametrize("predicted, hint", [
    (0.01, "multiply by 100"), (10.0, "did you use a different number of steps?"), (0.6, "check your units"),
])
def test_time_prediction(capsys, predicted, hint):
    accepted(capsys, nb02.check_time_prediction, 1.0, 1.1, 0.01, 100)
    rejected(capsys, nb02.check_time_prediction, predicted, 1.1, 0.01, 100, hint=hint)


F = 1.2e10


@pytest.mark.parametrize("per_image, ratio, hint", [
    (F, 1e15 / F, "the sampler makes 1000 calls per image"), (500 * F, 1, "do not halve them"),
    (2000 * F, 1, "do not double"), (7 * F, 1, "It is 1000 calls × 1.2e+10 FLOPs per call"),
    (1000 * F, 1000 * F / 1e15, "divided the other way round"), (1000 * F, 3.0, "Compute claim / measured"),
])
def test_flops_claim(capsys, per_image, ratio, hint):
    accepted(capsys, nb02.check_flops_claim, 1.2e13, 1e15 / 1.2e13, F, 1000)
    rejected(capsys, nb02.check_flops_claim, per_image, ratio, F, 1000, hint=hint)


def _jump(x, e, t, tp, z, s, single=False, root_new=False, c_x=None, sig=None, whole=False):
    """The respaced step from t to t_prev by hand (α = ᾱ_t/ᾱ_(t_prev)), with switchable mistakes."""
    ab, abp = s.alpha_bar_64[t], s.alpha_bar_64[tp]
    a = s.alphas_64[t] if single else ab / abp
    b = 1 - a
    noise = (1 - a).sqrt() if root_new else (1 - ab).sqrt()
    cx = 1 / a.sqrt() if c_x is None else c_x(a, ab)
    ce = -b / noise if whole else -b / (noise * a.sqrt())
    return cx * x + ce * e + (b.sqrt() if sig is None else sig(b)) * z


@pytest.mark.parametrize("kwargs, hint", [
    ({"single": True}, "you used the single-step α_t, β_t: that is the naive stride of notebook 02/05"),
    ({"root_new": True}, "noise level at t is √(1 − ᾱ_t)"),
    ({"whole": True}, "the whole bracket is divided by √α_jump"),
    ({"c_x": lambda a, ab: 1 / ab.sqrt()}, "you divided by √ᾱ_t, the jump to t = 0"),
    ({"c_x": lambda a, ab: a.sqrt()}, "the ratio is upside down"),
    ({"sig": lambda b: b}, "σ is the standard deviation √β_jump"),
])
def test_jump_step(capsys, kwargs, hint):
    accepted(capsys, nb02.check_jump_step, _jump)
    rejected(capsys, nb02.check_jump_step, lambda *a: _jump(*a, **kwargs), hint=hint)
    rejected(capsys, nb02.check_jump_step, lambda *a: _jump(*a) + 1e-3 * a[0] * (a[0] - 1), hint="not on random ones")


# --------------------------------------------------------------------------- 03
BETA_T = 0.02  # DDPM's linear schedule ends at β_T = 0.02 (DDPM §4)


def _ab(t):
    """ᾱ_t of DDPM's linear schedule (β from 1e-4 to 0.02 over T = 1000, DDPM §4), multiplied out by hand."""
    return math.prod(1 - (1e-4 + (0.02 - 1e-4) * i / 999) for i in range(t + 1))


@pytest.mark.parametrize("value, hint", [
    (BETA_T, "*sum* of their variances"), (2 * math.sqrt(BETA_T), "σ_T = √β_T is a standard deviation"),
    (2 * BETA_T + 1, "the network terms are identical"), (math.sqrt(2 * BETA_T), "the standard deviation of the gap"),
    (0.5, "Write both x_(T−1) and subtract"),
])
def test_first_step_gap(capsys, value, hint):
    accepted(capsys, nb03.check_first_step_gap, 2 * BETA_T)
    out = rejected(capsys, nb03.check_first_step_gap, value, hint=hint)
    assert "expected 0.04" in out


def _by_hand(model, x, table, generator):
    """The chain x ← c_x·x + c_ε·ε + σ·z written out (not run_chain), noise from ``generator``."""
    for i in range(len(table)):
        eps = model(x, table.t_model[i].repeat(len(x)))
        x = table.c_x[i] * x + table.c_eps[i] * eps
        if table.sigma[i] > 0:
            x = x + table.sigma[i] * torch.randn(x.shape, generator=generator)
    return x


def _fork(model, table, x_T, k, M, generator):
    """A correct fork, independent of the package's run_chain."""
    trunk = _by_hand(model, x_T, table[:k], generator)
    return _by_hand(model, trunk.repeat(M, 1), table[k:], generator)


def _fork_no_shared_trunk(model, table, x_T, k, M, generator):
    """Repeats x_T first: every row draws its own noise from the start."""
    return _by_hand(model, x_T.repeat(M, 1), table, generator)


def _fork_restart(model, table, x_T, k, M, generator):
    """Runs only the remaining rows, from x_T instead of from the trunk's state."""
    return _by_hand(model, x_T.repeat(M, 1), table[k:], generator)


def _fork_trunk_per_fork(model, table, x_T, k, M, generator):
    """Runs a separate trunk for every fork (nothing is shared)."""
    return torch.cat([_fork(model, table, x_T, k, 1, generator) for _ in range(M)])


def _fork_skips_a_row(model, table, x_T, k, M, generator):
    """Off by one: the forks start at row k + 1."""
    trunk = _by_hand(model, x_T, table[:k], generator)
    return _by_hand(model, trunk.repeat(M, 1), table[k + 1:], generator)


def _fork_same_noise(model, table, x_T, k, M, generator):
    """Shares the trunk but re-seeds the generator for every fork: all forks identical."""
    trunk = _by_hand(model, x_T, table[:k], generator)
    return torch.cat([_by_hand(model, trunk, table[k:], torch.Generator().manual_seed(0)) for _ in range(M)])


def _fork_noise_at_the_end(model, table, x_T, k, M, generator):
    """A correct fork with a large extra noise added to the finals: no longer samples of the roll."""
    return _fork(model, table, x_T, k, M, generator) + 0.5 * torch.randn(M, 2, generator=generator)


def _fork_few_distinct(model, table, x_T, k, M, generator):
    """Runs the M forks, then returns only two of them, each repeated M/2 times: the wrong spread at k = 0."""
    return _fork(model, table, x_T, k, M, generator)[:2].repeat_interleave(M // 2, 0)


def _fork_jittered_copies(model, table, x_T, k, M, generator):
    """Perturbs the M copies of the trunk's state 'to make the forks differ'."""
    trunk = _by_hand(model, x_T, table[:k], generator)
    forks = trunk.repeat(M, 1) + 0.01 * torch.randn(M, 2, generator=generator)
    return _by_hand(model, forks, table[k:], generator)


def _fork_ignores_the_trunk(model, table, x_T, k, M, generator):
    """Computes the trunk and the forks, then returns independent runs from x_T when 0 < k < n."""
    trunk = _by_hand(model, x_T, table[:k], generator)
    forks = _by_hand(model, trunk.repeat(M, 1), table[k:], generator)
    return _by_hand(model, x_T.repeat(M, 1), table, generator) if 0 < k < len(table) else forks


def test_fork_experiment_accepts_a_fork_written_by_hand(capsys):
    out = accepted(capsys, nb03.check_fork_experiment, _fork)
    assert "k =   0 (forks start at x_T)" in out and "k =  25 (forks start at x_0)" in out
    spreads = [float(ln.split(": ")[1].split()[0]) for ln in out.splitlines() if "forks start at" in ln]
    assert spreads[-2] < nb03.LATE_SPREAD_SHARE * spreads[0] and spreads[-1] == 0.0


@pytest.mark.parametrize("mistake, hint", [
    (_fork_no_shared_trunk, "your function ran all 25 steps on the M = 128 rows"),
    (_fork_restart, "nothing ran on a single row"),
    (_fork_trunk_per_fork, "exactly the first k = 12 rows of the table (table[:k]), run once"),
    (_fork_skips_a_row, "the forks should run the remaining 13 rows (table[k:])"),
    (_fork_same_noise, "every fork must draw its own fresh noise"),
    (_fork_noise_at_the_end, "your finals are not samples of the swiss roll (median log-likelihood"),
    (_fork_few_distinct, "independent runs from one x_T spread"),
    (_fork_jittered_copies, "forked after the last step (k = 25), your 128 finals still differ"),
    (_fork_ignores_the_trunk, "the spread should shrink as the fork moves later"),
])
def test_fork_experiment_names_each_mistake(capsys, mistake, hint):
    rejected(capsys, nb03.check_fork_experiment, mistake, hint=hint)


@pytest.mark.parametrize("offset", [1, 2, 3])
def test_fork_thresholds_hold_for_correct_answers_with_other_noise(capsys, offset):
    """A correct answer drawing its noise differently (another generator stream) still passes."""
    def other_stream(model, table, x_T, k, M, generator):
        seed = int(torch.randint(10**6, (1,), generator=generator)) + offset
        return _fork(model, table, x_T, k, M, torch.Generator().manual_seed(seed))

    accepted(capsys, nb03.check_fork_experiment, other_stream)


def _variances(share):  # {η: variance} with the given share of η = 1's at each η of the sweep
    return {e: 0.8 * share(e) for e in nb03.ETA_SWEEP}


def test_eta_prediction_answer_comes_from_the_measurement(capsys):
    like_measured = _variances(lambda e: {0: 0, 0.05: 0.04, 0.1: 0.11, 0.2: 0.32, 0.5: 0.91, 1: 1}[e])
    out = accepted(capsys, nb03.check_eta_prediction, "C", {"swiss roll": like_measured})
    assert "η = 0.1 → 11%" in out and "16× what η² gives" in out  # 0.04 / 0.05²
    rejected(capsys, nb03.check_eta_prediction, "A", {"swiss roll": like_measured}, hint="A means 1% at η = 0.1")
    rejected(capsys, nb03.check_eta_prediction, "B", {"swiss roll": like_measured}, hint="measured 11% and 91%")
    rejected(capsys, nb03.check_eta_prediction, "D", {"swiss roll": like_measured}, hint="answer A, B or C")
    quadratic = _variances(lambda e: e**2)  # if runs added up the injected variances, A would be right
    accepted(capsys, nb03.check_eta_prediction, "A", {"swiss roll": quadratic})
    out = accepted(capsys, nb03.check_eta_prediction, "C", {"swiss roll": like_measured, "digits": quadratic})
    assert "disagree" in out


# --------------------------------------------------------------------------- 04
@pytest.mark.parametrize("value, hint", [
    (1 / math.sqrt(2), "*orthogonal* endpoints"), (0.75, "*squared* norm ratio"),
    (0.5, "that is cos θ"),  # at 60° cos θ = sin(θ/2) = 0.5: the half-angle slip is tested at 80° below
    (0.9, "Expand ‖(a + b)/2‖²"),
])
def test_lerp_midpoint(capsys, value, hint):
    accepted(capsys, nb04.check_lerp_midpoint, math.sqrt(3) / 2, 60)  # cos 30° by hand
    rejected(capsys, nb04.check_lerp_midpoint, value, 60, hint=hint)


def test_lerp_midpoint_half_angle(capsys):
    rejected(capsys, nb04.check_lerp_midpoint, math.sin(math.radians(40)), 80,
             hint="cos(θ/2), not sin(θ/2)")


def _slerp(a, b, w):
    cos = (a * b).sum() / (a.norm() * b.norm())
    th = torch.arccos(cos.clamp(-1, 1))
    if torch.sin(th) < 1e-6:
        return (1 - w) * a + w * b
    return (torch.sin((1 - w) * th) * a + torch.sin(w * th) * b) / torch.sin(th)


def _no_division(a, b, w):
    th = torch.arccos(((a * b).sum() / (a.norm() * b.norm())).clamp(-1, 1))
    return torch.sin((1 - w) * th) * a + torch.sin(w * th) * b


def _no_fallback(a, b, w):
    th = torch.arccos(((a * b).sum() / (a.norm() * b.norm())).clamp(-1, 1))
    return (torch.sin((1 - w) * th) * a + torch.sin(w * th) * b) / torch.sin(th)


@pytest.mark.parametrize("mistake, hint", [
    (lambda a, b, w: (1 - w) * a + w * b, "your result is lerp"),
    (_no_division, "divide both weights by sin θ"),
    (lambda a, b, w: _slerp(a / a.norm(), b / b.norm(), w), "did not scale back"),
    (lambda a, b, w: _slerp(a, b, w) * 1.1, "differs from slerp by"),
    (lambda a, b, w: _slerp(a, b, w).reshape(16, 16), "you return shape (16, 16)"),
    (lambda a, b, w: _slerp(a, b, w) * float("nan"), "clamp cos θ"),
    (_no_fallback, "θ = 0"),
    (lambda a, b, w: _slerp(a, b, w) if not torch.allclose(b, 2 * a) else a, "should give 1.5·a"),
])
def test_slerp(capsys, mistake, hint):
    accepted(capsys, nb04.check_slerp, _slerp)
    rejected(capsys, nb04.check_slerp, mistake, hint=hint)


def test_shell_prediction(capsys):
    accepted(capsys, nb04.check_shell_prediction, "2", {2: 0.38, 256: 0.02})
    accepted(capsys, nb04.check_shell_prediction, "d = 2", {2: 0.38, 256: 0.02})
    rejected(capsys, nb04.check_shell_prediction, "256", {2: 0.38, 256: 0.02}, hint="concentrate on the shell")


# --------------------------------------------------------------------------- 05
def _betas(ab, ts):
    kept = torch.as_tensor(ts).flip(0)
    a = ab[kept]
    return 1 - a / torch.cat([torch.ones(1, dtype=a.dtype), a[:-1]])


def _first_over_ab0(ab, ts):
    out = _betas(ab, ts)
    out[0] = 1 - ab[torch.as_tensor(ts)[-1]] / ab[0]
    return out


def _ascending(ab, ts):
    kept = torch.as_tensor(ts).flip(0)
    return ab[kept], torch.cat([torch.ones(1, dtype=ab.dtype), ab[kept][:-1]])


@pytest.mark.parametrize("mistake, hint", [
    (lambda ab, ts: dl.NoiseSchedule.linear().betas_64[torch.as_tensor(ts).flip(0)], "single-step β_t"),
    (lambda ab, ts: 1 - ab[torch.as_tensor(ts).flip(0)] / ab[torch.as_tensor(ts).flip(0) - 1], "the *timestep* before"),
    (lambda ab, ts: _betas(ab, ts).flip(0), "reversed order"),
    (lambda ab, ts: _betas(ab, ts)[1:], "the first one is missing"),
    (_first_over_ab0, "all but the first are right: your β_1 is "),
    (lambda ab, ts: 1 - _ascending(ab, ts)[1] / _ascending(ab, ts)[0], "the ratio is upside down"),
    (lambda ab, ts: _ascending(ab, ts)[1] - _ascending(ab, ts)[0], "you subtracted ᾱ's"),
    (lambda ab, ts: _betas(ab, ts) * 1.5, "your first three betas are"),
])
def test_respaced_betas(capsys, mistake, hint):
    accepted(capsys, nb05.check_respaced_betas, _betas)
    rejected(capsys, nb05.check_respaced_betas, mistake, hint=hint)


def test_respaced_betas_first_value_by_hand(capsys):
    """β_1 of the chain that keeps 99, 199, …: 1 − ᾱ_99, against the slip 1 − ᾱ_99/ᾱ_0 (ᾱ by hand)."""
    out = rejected(capsys, nb05.check_respaced_betas, _first_over_ab0, hint="all but the first")
    assert f"your β_1 is {1 - _ab(99) / _ab(0):.4g}, expected {1 - _ab(99):.4g} " in out


def _leading(T, S):  # k·⌊T/S⌋ for k = S−1 … 0, by hand
    return torch.tensor([k * (T // S) for k in range(S - 1, -1, -1)])


@pytest.mark.parametrize("mistake, hint", [
    (lambda T, S: torch.tensor([T - 1 - (k * T) // S for k in range(S)]), "*trailing* spacing"),
    (lambda T, S: _leading(T, S).flip(0), "wrong order"),
    (lambda T, S: _leading(T, S) + 1, "off by one"),
    (lambda T, S: torch.tensor([int(k * T / S) for k in range(S - 1, -1, -1)]) if T % S else _leading(T, S),
     "fractional stride"),
    (lambda T, S: torch.linspace(T - 1, 0, S).round().long(), "*linspace* spacing"),
    (lambda T, S: _leading(T, S)[:-1], "9 timesteps for 10 steps"),
    (lambda T, S: _leading(T, S) * 2, "your timesteps start [1800"),
])
def test_leading_timesteps(capsys, mistake, hint):
    accepted(capsys, nb05.check_leading_timesteps, _leading)
    rejected(capsys, nb05.check_leading_timesteps, mistake, hint=hint)


def test_leading_timesteps_at_ten_steps_by_hand(capsys):
    """The ten leading timesteps of DDIM's code for T = 1000, written out: 900, 800, …, 0."""
    table = {(1000, 10): [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]}
    out = rejected(capsys, nb05.check_leading_timesteps, lambda T, S: torch.tensor(table.get((T, S), [0])),
                   hint="for T = 1000, steps = 30")  # the first case passes; the second one is missing
    assert "for T = 1000, steps = 10" not in out


SKIPS = [10, 20, 50, 100]
ERR = [1e-4 * (s / 10) ** 2 for s in SKIPS]  # exactly ∝ h²: the slope is 2


@pytest.mark.parametrize("value, hint", [
    (-2.0, "fitted against the number of steps"), (0.5, "swap the axes"), (1.3, "Fit log(error) against log(skip)"),
])
def test_exponent(capsys, value, hint):
    out = accepted(capsys, nb05.check_exponent, 2.0, SKIPS, ERR)
    assert "energy distance" not in out and "*squared* error grows like h²" in out
    rejected(capsys, nb05.check_exponent, value, SKIPS, ERR, hint=hint)


def test_exponent_raw_values(capsys):
    n, mx, my = len(SKIPS), sum(SKIPS) / 4, sum(ERR) / 4
    raw = sum((x - mx) * (y - my) for x, y in zip(SKIPS, ERR)) / sum((x - mx) ** 2 for x in SKIPS)
    assert n == 4
    rejected(capsys, nb05.check_exponent, raw, SKIPS, ERR, hint="you fitted the raw values")


# --------------------------------------------------------------------------- 06
def _invert(x, e, t, tn, s, alpha=False, no_x0_eps=False, python_minus_one=False, swapped=False, no_div=False):
    """DDIM eq. 12 at η = 0 run upwards, by hand, with switchable mistakes."""
    table = s.alphas_64 if alpha else s.alpha_bar_64
    one = torch.tensor(1.0, dtype=torch.float64)
    ab = table[t] if (t >= 0 or python_minus_one) else one
    abn = table[tn]
    if swapped:
        ab, abn = abn, ab
    x0 = x / ab.sqrt() if no_x0_eps else (x - (1 - ab).sqrt() * e) / (one if no_div else ab.sqrt())
    return abn.sqrt() * x0 + (1 - abn).sqrt() * e


@pytest.mark.parametrize("mistake, hint", [
    (lambda *a: _invert(*a, alpha=True), "did you use α_t or ᾱ_t?"),
    (lambda *a: _invert(*a, python_minus_one=True), "alpha_bar_64[-1] is ᾱ_999"),
    (lambda x, e, t, tn, s: _invert(x, e, max(t, 0), tn, s, swapped=True), "upside down"),
    (lambda x, e, t, tn, s: _invert(x, e, t, tn, s, no_div=True) if t >= 0 else _invert(x, e, t, tn, s),
     "you did not divide by √ᾱ_t"),
    (lambda *a: _invert(*a, no_x0_eps=True), "the x̂₀ term also contributes to ε"),
    (lambda x, e, t, tn, s: _invert(x, e, t, tn, s) + 0.01 * x * (x - 1), "not on random ones"),
])
def test_ddim_inversion_step(capsys, mistake, hint):
    accepted(capsys, nb06.check_ddim_inversion_step, _invert)
    rejected(capsys, nb06.check_ddim_inversion_step, mistake, hint=hint)


def test_ddim_inversion_step_names_what_is_right(capsys):
    out = rejected(capsys, nb06.check_ddim_inversion_step, lambda *a: _invert(*a, no_x0_eps=True),
                   hint="your coefficient of x is right")
    a39, a79 = _ab(39), _ab(79)  # at 39 → 79 (from x₀ only c_ε can be wrong, and it is the same as the reference)
    want = math.sqrt(1 - a79) - math.sqrt(a79 * (1 - a39) / a39)
    assert f"your coefficient of ε is {math.sqrt(1 - a79):.4g}, expected {want:.4g}" in out


def test_ddim_inversion_swapped_levels(capsys):
    def swapped_eps(x, e, t, tn, s):  # c_x right, but the ε term uses the levels the other way round
        ab = s.alpha_bar_64[t] if t >= 0 else torch.tensor(1.0, dtype=torch.float64)
        abn = s.alpha_bar_64[tn]
        return (abn / ab).sqrt() * x + ((1 - ab).sqrt() - (ab * (1 - abn) / abn).sqrt()) * e

    rejected(capsys, nb06.check_ddim_inversion_step, swapped_eps, hint="t and t_next swapped roles")


def test_eta_one_prediction(capsys):
    d = {"beta_tilde": 0.0, "beta": 0.7}
    accepted(capsys, nb06.check_eta_one_prediction, "beta_tilde", d)
    accepted(capsys, nb06.check_eta_one_prediction, "β̃", d)
    rejected(capsys, nb06.check_eta_one_prediction, "beta", d, hint="not β")
    # the verdict follows the measurement: were the β chain the closer one, "beta" would be accepted
    accepted(capsys, nb06.check_eta_one_prediction, "beta", {"beta_tilde": 0.7, "beta": 0.0})


def test_inversion_prediction_explains_the_ratio_from_the_errors(capsys):
    # 200 points; at 10 steps every error is 4e-3; at 50 steps the typical one is 16× smaller (2.5e-4)
    # but one point has 0.05, so the mean ratio is far below the median ratio
    e10 = torch.full((200,), 4e-3)
    e50 = torch.full((200,), 2.5e-4)
    e50[0] = 0.05
    e100, e500 = torch.full((200,), 1e-4), torch.full((200,), 1e-4 / 24)
    errors = {10: e10, 50: e50, 100: e100, 500: e500}
    out = accepted(capsys, nb06.check_inversion_prediction, "50", errors)
    mean50 = (0.05 + 199 * 2.5e-4) / 200
    assert f"({4e-3 / mean50:.1f}× larger at 10)" in out
    assert "median 0.004 → 0.00025 (16.0×)" in out
    assert f"carries {0.05 / (200 * mean50):.0%} of the sum" in out
    assert "from 100 to 500 steps the median falls 24.0×" in out
    rejected(capsys, nb06.check_inversion_prediction, "10", errors, hint="predicts 25×")


def _noise_variance(ab, ap, sigma):  # Var(c·ε + σz) = c² + σ² with c² = 1 − ᾱ_prev − σ²
    return (1 - ap - sigma**2) + sigma**2


@pytest.mark.parametrize("mistake, hint", [
    (lambda ab, ap, s: 1 - ap - s**2, "you left out σz"),
    (lambda ab, ap, s: 1 - ab, "that is 1 − ᾱ_t"),
    (lambda ab, ap, s: 1 - ab - s**2, "two slips"),
    (lambda ab, ap, s: 1 - ap - s**2 + s, "σz has variance σ², not σ"),
    (lambda ab, ap, s: ((1 - ap - s**2).sqrt() + s) ** 2, "you added standard deviations"),
    (lambda ab, ap, s: (1 - ap - s**2) ** 2 + s**2, "you squared it once more"),
    (lambda ab, ap, s: ap + (1 - ap), "adds no variance"),
    (lambda ab, ap, s: (1 - ap).sqrt(), "not its standard deviation"),
    (lambda ab, ap, s: 1 - ap + s**2, "add c_ε² and σ²"),
])
def test_marginal_variance(capsys, mistake, hint):
    out = accepted(capsys, nb06.check_marginal_variance, _noise_variance)
    assert "whatever η" in out
    rejected(capsys, nb06.check_marginal_variance, mistake, hint=hint)


def test_marginal_variance_reference_is_the_forward_marginal():
    """Independent route: sample x_(t−1) from q_σ(· | x_t, x₀) (DDIM eq. 7) and compare its variance with
    the schedule's q_sample noise level at t − 1, for a σ above η = 1's."""
    s = dl.NoiseSchedule.linear()
    t, tp, n = 500, 480, 400_000
    g = dl.seed(0)
    ab, ap = s.alpha_bar_64[t], s.alpha_bar_64[tp]
    sigma = 0.9 * (1 - ap).sqrt()
    x0 = torch.zeros(n, dtype=torch.float64)
    x_t = s.q_sample(x0[:, None], torch.full((n,), t), torch.randn(n, 1, generator=g, dtype=torch.float64))[:, 0]
    eps_t = (x_t - ab.sqrt() * x0) / (1 - ab).sqrt()
    x_prev = ap.sqrt() * x0 + (1 - ap - sigma**2).sqrt() * eps_t + sigma * torch.randn(n, generator=g, dtype=torch.float64)
    marginal = s.q_sample(x0[:, None], torch.full((n,), tp), torch.randn(n, 1, generator=g, dtype=torch.float64))[:, 0]
    se = math.sqrt(2 / n) * float(1 - ap)
    assert abs(float(x_prev.var()) - float(marginal.var())) < 4 * math.sqrt(2) * se
    assert abs(float(x_prev.var()) - _noise_variance(ab, ap, sigma).item()) < 4 * se
