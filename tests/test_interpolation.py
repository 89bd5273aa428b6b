"""interpolation: lerp and slerp against their identities and an independent numpy formula."""
import math

import numpy as np
import pytest
import torch

from ddpm_lessons.interpolation import lerp, slerp


def gen(seed):
    return torch.Generator().manual_seed(seed)


def slerp_numpy(a, b, w):
    """Shoemake's slerp over the flattened arrays, written from the formula (float64 numpy)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    theta = math.acos(float(np.clip(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1)))
    return (math.sin((1 - w) * theta) * a + math.sin(w * theta) * b) / math.sin(theta)


@pytest.fixture
def noises():
    """Two independent Gaussian noises shaped like a batch of images."""
    return (torch.randn(2, 1, 8, 8, generator=gen(0), dtype=torch.float64),
            torch.randn(2, 1, 8, 8, generator=gen(1), dtype=torch.float64))


@pytest.mark.parametrize("fn", [lerp, slerp])
def test_endpoints_are_exact(fn, noises):
    a, b = noises
    assert torch.allclose(fn(a, b, 0.0), a, rtol=0, atol=1e-15)
    assert torch.allclose(fn(a, b, 1.0), b, rtol=0, atol=1e-15)
    a32, b32 = a.float(), b.float()  # in float32 (the chapter's dtype) the endpoints come back bit for bit
    assert torch.equal(fn(a32, b32, 0.0), a32) and torch.equal(fn(a32, b32, 1.0), b32)


def test_lerp_midpoint_is_the_mean_and_lerp_is_affine(noises):
    a, b = noises
    torch.testing.assert_close(lerp(a, b, 0.5), (a + b) / 2, rtol=0, atol=1e-15)
    torch.testing.assert_close(lerp(a, b, 0.25), 0.75 * a + 0.25 * b, rtol=0, atol=1e-15)


def test_lerp_midpoint_of_independent_noises_leaves_the_gaussian_shell():
    """The reason for slerp (DDIM App. D.5): ‖(a + b)/2‖ ≈ ‖a‖/√2 for independent a, b."""
    a, b = (torch.randn(10_000, generator=gen(k), dtype=torch.float64) for k in (2, 3))
    assert float(lerp(a, b, 0.5).norm() / a.norm()) == pytest.approx(1 / math.sqrt(2), rel=0.03)
    assert float(slerp(a, b, 0.5).norm() / a.norm()) == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("w", [0.1, 0.3, 0.5, 0.9])
def test_slerp_matches_the_numpy_formula(noises, w):
    a, b = noises
    np.testing.assert_allclose(slerp(a, b, w).numpy(), slerp_numpy(a.numpy(), b.numpy(), w), rtol=1e-12, atol=1e-12)


def test_slerp_keeps_the_norm_of_equal_norm_orthogonal_vectors_and_moves_at_constant_angle():
    a = torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64)
    b = torch.tensor([0.0, 3.0, 0.0], dtype=torch.float64)
    ws = torch.linspace(0, 1, 11, dtype=torch.float64)
    path = slerp(a, b, ws)
    torch.testing.assert_close(path.norm(dim=1), torch.full((11,), 3.0, dtype=torch.float64))
    angles = torch.atan2(path[:, 1], path[:, 0])  # the angle from a, in the plane of a and b
    torch.testing.assert_close(angles, ws * math.pi / 2)


def test_a_vector_of_weights_stacks_the_single_results(noises):
    a, b = noises
    ws = [0.0, 0.2, 0.7, 1.0]
    for fn in (lerp, slerp):
        out = fn(a, b, ws)
        assert out.shape == (4, *a.shape)
        for k, w in enumerate(ws):
            torch.testing.assert_close(out[k], fn(a, b, w))


def test_slerp_of_parallel_vectors_falls_back_to_lerp():
    a = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)
    for b in (2 * a, -a):  # parallel and antiparallel: the angle's sine is 0, the formula 0/0
        out = slerp(a, b, 0.25)
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out, 0.75 * a + 0.25 * b)
    # nearly parallel: no blow-up, and the result is close to the straight line
    b = 2 * a + 1e-5 * torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(slerp(a, b, 0.5), (a + b) / 2, rtol=1e-6, atol=1e-6)


def test_dtype_is_kept():
    a, b = torch.randn(4, generator=gen(4)), torch.randn(4, generator=gen(5))
    assert slerp(a, b, 0.5).dtype == torch.float32 and lerp(a, b, 0.5).dtype == torch.float32


@pytest.mark.parametrize("fn", [lerp, slerp])
def test_bad_input_is_refused(fn):
    a = torch.zeros(3)
    with pytest.raises(ValueError, match=r"w must lie in \[0, 1\]"):
        fn(a, a + 1, 1.5)
    with pytest.raises(ValueError, match=r"w must lie in \[0, 1\]"):
        fn(a, a + 1, float("nan"))
    with pytest.raises(ValueError, match="same shape"):
        fn(a, torch.zeros(4), 0.5)
    with pytest.raises(ValueError, match="1-D sequence"):
        fn(a, a + 1, [[0.5]])
    with pytest.raises(TypeError, match="tensors"):
        fn([0.0, 1.0], a, 0.5)
