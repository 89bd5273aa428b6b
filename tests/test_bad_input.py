"""Bad input must fail early with an error that names the parameter — never deep inside torch."""
import math

import numpy as np
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

S = NoiseSchedule.linear()
X = torch.randn(4, 2)


class Recorder:
    """A model that records whether it was ever called (checks must come before any call)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x, t):
        self.calls += 1
        return torch.zeros_like(x)


def only_2_per_batch(x, t):
    if x.shape[0] != 2:
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x2 and 3x128)")
    return torch.zeros_like(x)


CASES = [
    # (id, call(model) -> None, exception type, words the message must contain)
    ("steps=0", lambda m: respaced_ancestral_sample(m, S, X, 0), ValueError, ["steps", "[1, 1000]"]),
    ("steps>T", lambda m: ddim_sample(m, S, X, 1001), ValueError, ["steps", "[1, 1000]"]),
    ("steps float", lambda m: ddim_sample(m, S, X, 12.5), TypeError, ["steps", "integer"]),
    ("steps and timesteps", lambda m: ddim_sample(m, S, X, 10, timesteps=[5, 1]), ValueError, ["exactly one", "steps"]),
    ("neither steps nor timesteps", lambda m: ddim_sample(m, S, X), ValueError, ["exactly one", "timesteps"]),
    ("stride=0", lambda m: naive_strided_sample(m, S, X, 0), ValueError, ["stride", "[1, 999]"]),
    ("stride=T", lambda m: naive_strided_sample(m, S, X, 1000), ValueError, ["stride", "[1, 999]"]),
    ("eta<0", lambda m: ddim_sample(m, S, X, 10, eta=-0.1), ValueError, ["eta", ">= 0"]),
    ("eta nan", lambda m: ddim_sample(m, S, X, 10, eta=math.nan), ValueError, ["eta"]),
    ("timesteps ascending", lambda m: ddim_sample(m, S, X, timesteps=[1, 5, 9]), ValueError, ["timesteps", "descending"]),
    ("timesteps out of range", lambda m: ddim_sample(m, S, X, timesteps=[1000, 5]), ValueError, ["timesteps", "[0, 999]"]),
    ("timesteps negative", lambda m: ddim_invert(m, S, X, timesteps=[5, -1]), ValueError, ["timesteps", "[0, 999]"]),
    ("timesteps duplicated", lambda m: ddim_sample(m, S, X, timesteps=[9, 5, 5]), ValueError, ["timesteps", "duplicates"]),
    ("timesteps float", lambda m: ddim_sample(m, S, X, timesteps=[9.0, 5.0]), TypeError, ["timesteps", "integers"]),
    ("variance", lambda m: ancestral_sample(m, S, X, variance="sigma"), ValueError, ["variance", "beta_tilde"]),
    ("x_T int", lambda m: ancestral_sample(m, S, torch.ones(4, 2, dtype=torch.long)), TypeError, ["x_T", "floating"]),
    ("x_T numpy", lambda m: ancestral_sample(m, S, np.zeros((4, 2))), TypeError, ["x_T", "torch.Tensor"]),
    ("x_T nan", lambda m: ddim_sample(m, S, torch.tensor([[0.0, math.nan]]), 5), ValueError, ["x_T", "NaN"]),
    ("x_T inf", lambda m: ddim_sample(m, S, torch.tensor([[0.0, math.inf]]), 5), ValueError, ["x_T", "inf"]),
    ("x_T no batch dim", lambda m: ddim_sample(m, S, torch.zeros(2), 5), ValueError, ["x_T", "batch"]),
    ("x_0 for inversion", lambda m: ddim_invert(m, S, torch.zeros(2, dtype=torch.int32), 5), TypeError, ["x_0"]),
    ("spacing", lambda m: ddim_sample(m, S, X, 10, spacing="log"), ValueError, ["spacing", "quadratic"]),
    ("schedule type", lambda m: ancestral_sample(m, "linear", X), TypeError, ["schedule", "NoiseSchedule"]),
    ("generator type", lambda m: ddim_sample(m, S, X, 5, eta=1.0, generator=0), TypeError, ["generator"]),
    ("preset", lambda m: GaussianMixture.preset("spiral"), ValueError, ["name", "swiss_roll"]),
    ("betas >= 1", lambda m: NoiseSchedule([0.5, 1.0]), ValueError, ["betas", "(0, 1)"]),
    ("betas <= 0", lambda m: NoiseSchedule([0.0, 0.1]), ValueError, ["betas", "(0, 1)"]),
    ("beta_end", lambda m: NoiseSchedule.linear(beta_end=1.5), ValueError, ["beta_end", "(0, 1)"]),
    ("T", lambda m: NoiseSchedule.linear(T=0), ValueError, ["T"]),
    ("weights negative", lambda m: GaussianMixture([1.2, -0.2], [[0, 0], [1, 1]], [np.eye(2)] * 2), ValueError, ["weights", ">= 0"]),
    ("weights sum", lambda m: GaussianMixture([0.5, 0.4], [[0, 0], [1, 1]], [np.eye(2)] * 2), ValueError, ["weights", "sum to 1"]),
    ("covs not PD", lambda m: GaussianMixture([1.0], [[0, 0]], [[[1, 0], [0, -1]]]), ValueError, ["covs", "positive definite"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named_before_any_network_call(case):
    _, call, exc, words = case
    model = Recorder()
    with pytest.raises(exc) as info:
        call(model)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert model.calls == 0


def test_model_rejecting_the_batch_gets_a_contract_message():
    with pytest.raises(ValueError) as info:
        ddim_sample(only_2_per_batch, S, X, 5)
    msg = str(info.value)
    assert "model(x_t, t) -> eps" in msg and "(4, 2)" in msg and "mat1 and mat2" in msg


def test_model_returning_wrong_shape_is_named():
    with pytest.raises(ValueError, match="shape of x_t"):
        ddim_sample(lambda x, t: x[:, :1], S, X, 5)
