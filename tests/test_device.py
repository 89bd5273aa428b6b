"""device: experiment sizes by mode and device (pick), the device choice, reproducible generators.

The environment and CUDA's presence are set per test (monkeypatch), so the results do not depend on
the machine the tests run on.
"""
import numpy as np
import pytest
import torch

from ddpm_lessons import device


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_pick_gives_the_fast_size_in_test_mode_even_on_a_gpu(monkeypatch, gpu, value):
    monkeypatch.setenv("DDPM_LESSONS_FAST", value)
    assert device.pick(reader=1000, fast=10, cuda=5000) == 10
    assert device.pick(reader=1000, fast=10) == 10


@pytest.mark.parametrize("value", ["0", "", "no", "false", "2"])
def test_pick_gives_the_reader_size_outside_test_mode_on_a_cpu(monkeypatch, no_gpu, value):
    monkeypatch.setenv("DDPM_LESSONS_FAST", value)
    assert device.pick(reader=1000, fast=10, cuda=5000) == 1000


def test_pick_gives_the_cuda_size_on_a_gpu_and_the_reader_size_when_none_is_given(monkeypatch, gpu):
    monkeypatch.delenv("DDPM_LESSONS_FAST", raising=False)
    assert device.pick(reader=1000, fast=10, cuda=5000) == 5000
    assert device.pick(reader=1000, fast=10) == 1000


def test_pick_returns_the_given_objects_unchanged(monkeypatch, no_gpu):
    monkeypatch.delenv("DDPM_LESSONS_FAST", raising=False)
    grid = [5, 10, 20]
    assert device.pick(grid, [5]) is grid


def test_default_device_prefers_cuda_then_the_cpu(gpu):
    assert device.default_device() == torch.device("cuda")


def test_default_device_is_the_cpu_without_an_accelerator(no_gpu):
    assert device.default_device() == torch.device("cpu")
    assert device.device_name("cpu").startswith("cpu (")


def test_seed_gives_the_same_numbers_for_the_same_seed_whatever_the_global_state():
    torch.manual_seed(123)
    first = torch.randn(5, generator=device.seed(7))
    torch.manual_seed(456)
    torch.randn(100)  # use the global generator in between
    again = torch.randn(5, generator=device.seed(7))
    other = torch.randn(5, generator=device.seed(8))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert device.seed(7).device == torch.device("cpu")


def test_seed_draws_match_a_generator_seeded_by_hand():
    """The generator is torch's own, seeded with k: the numbers are torch.Generator().manual_seed(k)'s."""
    expected = torch.rand(3, generator=torch.Generator().manual_seed(2024))
    assert torch.equal(torch.rand(3, generator=device.seed(2024)), expected)
    assert torch.equal(torch.rand(3, generator=device.seed(np.int64(2024))), expected)  # numpy integers too


@pytest.mark.parametrize("bad", [True, 1.5, "3", None])
def test_seed_refuses_what_is_not_an_integer(bad):
    with pytest.raises(TypeError, match="seed must be an integer"):
        device.seed(bad)
