"""The sampler registry and its front door dl.sample: every named sampler runs the table its
named function runs, options are checked, tables are built once."""
import pytest
import torch

import ddpm_lessons as dl


@pytest.fixture(scope="module")
def setup():
    schedule = dl.NoiseSchedule.linear()
    mixture = dl.GaussianMixture.preset("swiss_roll")
    return schedule, mixture.eps_model(schedule), torch.randn(64, 2, generator=dl.seed(0))


@pytest.mark.parametrize("name, named_call", [
    ("ancestral", lambda m, s, x, g: dl.respaced_ancestral_sample(m, s, x, 20, spacing="leading", generator=g)),
    ("ancestral_beta_tilde", lambda m, s, x, g: dl.ddim_sample(m, s, x, 20, spacing="leading", eta=1.0, generator=g)),
    ("ddim", lambda m, s, x, g: dl.run_chain(m, x, dl.ddim_table(s, s.timesteps(20, "leading")), generator=g)),
    ("naive", lambda m, s, x, g: dl.naive_strided_sample(m, s, x, 50, generator=g)),
])
def test_sample_runs_the_same_chain_as_the_independent_route(setup, name, named_call):
    schedule, model, x_T = setup
    spacing = "trailing" if name == "naive" else "leading"  # naive stride 50 = trailing 20 steps
    ours = dl.sample(name, model, schedule, x_T, steps=20, spacing=spacing, generator=dl.seed(3))
    other = named_call(model, schedule, x_T, dl.seed(3))
    tol = 1e-4 if name == "ancestral_beta_tilde" else 0  # η = 1 DDIM vs the β̃ chain: same maths, other coefficients
    assert torch.allclose(ours, other, atol=tol, rtol=0) if tol else torch.equal(ours, other)


def test_every_registered_sampler_has_a_label_colour_and_a_builder_of_the_common_shape(setup):
    schedule, _, _ = setup
    ts = schedule.timesteps(7)
    colours = [spec.color for spec in dl.SAMPLERS.values()]
    assert len(set(colours)) == len(colours)
    for name, spec in dl.SAMPLERS.items():
        assert spec.name == name and spec.label and spec.about
        assert len(spec.build(schedule, ts, **spec.options)) == 7


def test_sample_checks_its_options(setup):
    schedule, model, x_T = setup
    with pytest.raises(ValueError, match="sampler"):
        dl.sample("euler", model, schedule, x_T, steps=5)
    with pytest.raises(ValueError, match="eta applies to DDIM only"):
        dl.sample("ancestral", model, schedule, x_T, steps=5, eta=0.5)
    with pytest.raises(ValueError, match="exactly one of steps"):
        dl.sample("ddim", model, schedule, x_T)
    with pytest.raises(ValueError, match="spacing"):
        dl.sample("ddim", model, schedule, x_T, steps=5, spacing="uniform")


def test_tables_are_built_once_per_schedule_and_options(setup, monkeypatch):
    from ddpm_lessons import sampling

    schedule = dl.NoiseSchedule.linear()
    calls = []
    spec = dl.SAMPLERS["ddim"]
    counting = lambda *a, **k: (calls.append(k), spec.build(*a, **k))[1]  # noqa: E731
    monkeypatch.setitem(sampling.SAMPLERS, "ddim", sampling.SamplerSpec("ddim", spec.label, spec.color, counting,
                                                                         takes_eta=True, about=spec.about))
    x = torch.zeros(2, 2)
    model = lambda x, t: torch.zeros_like(x)  # noqa: E731
    for _ in range(3):
        dl.sample("ddim", model, schedule, x, steps=10)
    dl.sample("ddim", model, schedule, x, steps=10, eta=0.5)
    dl.sample("ddim", model, schedule, x, steps=10, eta=[0.0, 1.0])  # per-sample η: built each time
    dl.sample("ddim", model, schedule, x, steps=10, eta=[0.0, 1.0])
    assert len(calls) == 4


def test_colour_and_label_follow_eta():
    from ddpm_lessons import sampling

    assert sampling.label("ddim") == "DDIM η=0" and sampling.label("ddim", 0.5) == "DDIM η=0.5"
    assert sampling.color("ddim", 0.5) == dl.SAMPLERS["ddim_eta_half"].color
    assert sampling.color("ddim", 1.0) == dl.SAMPLERS["ancestral_beta_tilde"].color
