"""The analyzer measures real behaviour: on the exact 2D model (no network error), small sizes."""
import math

import pytest
import torch

from ddpm_lessons import GaussianMixture, NoiseSchedule
from ddpm_lessons import clearly_different
from ddpm_lessons.analysis import AncestralSamplingAnalyzer, analyze_ancestral_limitations


@pytest.fixture(scope="module")
def setup():
    schedule = NoiseSchedule.linear(T=50, beta_start=1e-3, beta_end=0.35)  # short chain, ᾱ_T ≈ 0
    mixture = GaussianMixture.preset("swiss_roll")
    return schedule, mixture, mixture.eps_model(schedule)


@pytest.fixture(scope="module")
def analyzer(setup):
    schedule, mixture, model = setup
    return AncestralSamplingAnalyzer(model, schedule, (2,), mixture=mixture)


@pytest.fixture(scope="module")
def degradation(analyzer):
    return analyzer.measure_step_degradation(num_samples=1000, step_counts=(50, 25, 10, 5, 2),
                                             samplers=("naive", "ancestral", "ddim"), spacings=("trailing", "leading"),
                                             seed=3)


def test_ancestral_runs_from_one_x_T_differ(analyzer):
    x = torch.randn(2, generator=torch.Generator().manual_seed(0))
    r = analyzer.measure_reproducibility(x, num_runs=6)
    assert r.variance > 1e-4 and r.pairwise_mse.value > 1e-4
    assert r.samples.shape == (6, 2) and "ancestral" in r.label
    # the variance across runs is the sample variance of the runs, averaged over the 2 dimensions
    assert r.variance == pytest.approx(float(r.samples.double().var(0).mean()))
    # identity: the mean over pairs of ‖xᵢ − xⱼ‖²/d is exactly twice the unbiased variance per dimension
    assert r.pairwise_mse.value == pytest.approx(2 * r.variance, rel=1e-9)
    assert r.pairwise_mse.kind == "sd" and r.pairwise_mse.n == 15


def test_ddim_eta0_runs_are_identical(analyzer):
    x = torch.randn(1, 2, generator=torch.Generator().manual_seed(0))
    r = analyzer.measure_reproducibility(x, num_runs=6, sampler="ddim", steps=20)
    assert r.variance == 0.0 and r.pairwise_mse.value == 0.0 and r.steps == 20


def test_reproducibility_rejects_a_batch(analyzer):
    with pytest.raises(ValueError, match="ONE starting noise"):
        analyzer.measure_reproducibility(torch.randn(3, 2), num_runs=4)


def test_noise_floor_is_reported_and_rows_are_typed(degradation):
    assert degradation.floor["mse"] > 0
    fl = degradation.floor["energy_distance"]
    assert fl.kind == "sd" and fl.se > 0 and fl.n >= 5  # mean ± sd over >= 5 draws
    assert abs(fl.value) < 3 * fl.mean_of_draws().se  # unbiased: a perfect sampler scores ≈ 0
    # the full-length ancestral row IS the reference chain: MSE 0
    assert degradation.row("ancestral", 50).mse_vs_reference == 0.0
    r = degradation.row("ddim", 10, "leading")
    assert r.sampler == "ddim" and r.spacing == "leading" and r.label == "DDIM η=0" and r.nfe == 10
    assert set(r.quality) == {"energy_distance", "log_likelihood"}
    with pytest.raises(KeyError, match="name the spacing"):
        degradation.row("ddim", 10)


def test_naive_runs_once_per_step_count_on_its_own_stride(degradation):
    naive = [r for r in degradation.rows if r.sampler == "naive"]
    assert sorted(r.steps for r in naive) == [2, 5, 10, 25, 50] and {r.spacing for r in naive} == {"trailing"}


def test_naive_striding_is_worse_than_the_floor_and_than_respacing(degradation):
    fl = degradation.floor
    for steps in (10, 5):
        ed_naive = degradation.value("naive", steps, "energy_distance")
        assert ed_naive.se > 0 and clearly_different(ed_naive, fl["energy_distance"].mean_of_draws())
        assert degradation.clearly_better(("ancestral", steps, "trailing"), ("naive", steps))
        assert degradation.clearly_better(("ancestral", steps, "trailing"), ("naive", steps), key="log_likelihood")
        assert not degradation.clearly_better(("naive", steps), ("ancestral", steps, "trailing"))


def test_paired_difference_is_tighter_than_the_unpaired_one(degradation):
    """Rows from one x_T share most of their variation: the paired se is below the combined se."""
    a, b = ("ancestral", 10, "trailing"), ("ancestral", 10, "leading")
    d = degradation.difference(a, b, "log_likelihood")
    va, vb = degradation.value(*a[:2], "log_likelihood", a[2]), degradation.value(*b[:2], "log_likelihood", b[2])
    assert d.value == pytest.approx(va.value - vb.value)
    assert d.se < math.hypot(va.se, vb.se)


def test_table_and_exponent(degradation):
    t = degradation.table()
    assert len(t.rows) == len(degradation.rows) + 1 and "energy distance" in t.headers and "spacing" in t.headers
    assert "±" in t._repr_markdown_() and "MSE vs ref" not in t.headers
    fit = degradation.exponent("naive")
    assert fit.measurable and fit.points >= 3 and math.isfinite(fit.exponent) and fit.ci[0] < fit.exponent < fit.ci[1]
    # DDIM on the exact model sits at the floor down to few steps: too few points above noise
    assert "not measurable" in str(degradation.exponent("ddim", k=1e6, spacing="trailing"))
    series = degradation.series("energy_distance", "leading")
    assert set(series) == {"ancestral", "ddim"} and series["ddim"][0] == [50, 25, 10, 5, 2]


def test_interpolation_ancestral_varies_ddim_does_not(analyzer):
    g = torch.Generator().manual_seed(5)
    z1, z2 = torch.randn(2, generator=g), torch.randn(2, generator=g)
    r = analyzer.measure_interpolation_smoothness(z1, z2, num_points=5, num_runs=3, steps=20)
    anc, ddim = r["ancestral"], r["ddim"]
    assert anc.frames.shape == (3, 5, 2) and r.num_points == 5 and r.path == "slerp"
    assert anc.mean_run_variance > 1e-4 and clearly_different(anc.spread, 0.0)
    assert ddim.mean_run_variance == 0.0 and ddim.spread.value == 0.0
    assert len(ddim.frame_differences) == 4
    # the jump estimate pools every run's gaps: its mean equals the mean of the per-run-averaged curve
    assert anc.jump.value == pytest.approx(anc.mean_frame_diff) and anc.jump.n == 3 * 4
    # run variance at each α, by hand from the frames
    assert torch.allclose(anc.run_variance, anc.frames.double().var(0).mean(-1))
    with pytest.raises(KeyError, match="was not measured"):
        r["naive"]
    # paired over (run, gap): by hand from the frames, and antisymmetric
    d = r.jump_difference("ancestral", "ddim")
    by_hand = ((anc.frames[:, 1:] - anc.frames[:, :-1]).double().pow(2).mean(-1)
               - (ddim.frames[:, 1:] - ddim.frames[:, :-1]).double().pow(2).mean(-1))
    assert d.value == pytest.approx(float(by_hand.mean())) and d.n == 12
    assert d.se == pytest.approx(float(by_hand.std() / 12 ** 0.5))
    assert r.jump_difference("ddim", "ancestral").value == pytest.approx(-d.value)


def test_report_prints_all_three_sections(setup, capsys):
    schedule, mixture, model = setup
    out = analyze_ancestral_limitations(model, schedule, (2,), mixture=mixture, num_runs=4, num_samples=60,
                                        step_counts=(50, 10), interp_steps=10)
    text = capsys.readouterr().out
    for word in ("REPRODUCIBILITY", "STEP DEGRADATION", "INTERPOLATION", "naive striding scores best"):
        assert word in text
    assert out.reproducibility["ancestral"].variance > 0
    assert out.reproducibility["ddim"].variance == 0
    assert out.interpolation["ddim"].mean_run_variance == 0 < out.interpolation["ancestral"].mean_run_variance


def test_exponent_is_fitted_once_per_seed_for_the_energy_distance(degradation):
    """The exponent is the mean of per-group slopes: refit by hand from the stored groups."""
    from ddpm_lessons.stats import fit_power_law
    import numpy as np

    fit = degradation.exponent("naive")
    assert fit.measurable and "seeds" in fit.reason
    skips, excess = degradation.excess("naive")
    rows = [r for r in degradation.rows if r.sampler == "naive"]
    floor = degradation.floor["energy_distance"].mean_of_draws().value
    kept = [i for i, (s, e) in enumerate(zip(skips, excess)) if s > 1 and e.value > 3 * e.se]
    slopes = [fit_power_law([skips[i] for i in kept], [rows[i].paired["ed_groups"][g] - floor for i in kept]).exponent
              for g in range(5)]
    assert fit.exponent == pytest.approx(np.nanmean(slopes))


def test_path_norms_lerp_dips_to_one_over_root_two_and_slerp_stays_on_the_shell():
    from ddpm_lessons.analysis import path_norms

    n = path_norms(256, torch.linspace(0, 1, 5), num_pairs=50, seed=1)
    mid = n.at("lerp", 2)
    assert mid.n == 50 and abs(mid.value - 2 ** -0.5) < 4 * mid.se + 0.01
    assert (n.slerp - 1).abs().max() < 0.03 and n.at("slerp", 2).value > mid.value + 0.2
    lo, hi = n.band("lerp")
    assert torch.allclose((lo + hi) / 2, n.lerp) and bool((hi > lo)[1:-1].all())
    with pytest.raises(ValueError, match="kind must be one of"):
        n.curve("spline")


def test_x0_predictions_follow_the_run_and_end_at_its_samples():
    from ddpm_lessons import load_pretrained
    from ddpm_lessons.analysis import x0_predictions

    bundle = load_pretrained("toy2d")
    x_T = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    tr = x0_predictions(bundle, "ddim", x_T, steps=10)
    assert len(tr.t) == 10 and tr.x0.shape == (10, 8, 2) and tr.t[0] > tr.t[-1]
    assert torch.equal(tr.final, bundle.sample("ddim", x_T, steps=10).cpu())
    # at the last DDIM step (η = 0, next ᾱ = 1) the sample IS the last x̂₀
    assert torch.allclose(tr.x0[-1], tr.final, atol=1e-5)
    assert tr.nearest([tr.t[3] + 1, 10_000]) == [3, 0]


def test_paired_quality_difference_of_two_sample_sets(analyzer):
    """Scored with one seed, two sets share their true sets: the energy-distance difference is the
    mean over the shared groups, the log-likelihood difference the mean over shared starts."""
    from ddpm_lessons.analysis import paired_quality_difference

    x = analyzer.mixture.sample(500, torch.Generator().manual_seed(1))
    (qa, _, pa), (qb, _, pb) = analyzer.quality(x, seed=7, floors=False), analyzer.quality(1.3 * x, seed=7, floors=False)
    ll = paired_quality_difference(pa, pb, "log_likelihood")
    by_hand = analyzer.mixture.log_prob(x).double() - analyzer.mixture.log_prob(1.3 * x).double()
    assert ll.value == pytest.approx(float(by_hand.mean())) and ll.n == 500
    assert ll.value == pytest.approx(qa["log_likelihood"].value - qb["log_likelihood"].value)
    ed = paired_quality_difference(pa, pb, "energy_distance")
    assert ed.n == 5 and ed.value == pytest.approx(qa["energy_distance"].value - qb["energy_distance"].value)
    assert clearly_different(ed, 0.0) and ed.value < 0  # the spread-out copy is clearly further from the data
    with pytest.raises(ValueError, match="key must be one of"):
        paired_quality_difference(pa, pb, "kid")
