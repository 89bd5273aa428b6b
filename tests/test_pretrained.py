"""load_pretrained: the shipped checkpoints, integrity checks and refusal of code-running pickles."""
import json
import pathlib
import pickle
import shutil

import pytest
import torch

from ddpm_lessons.models import MLPEps
from ddpm_lessons.pretrained import (AVAILABLE, DATA_DIR, CheckpointError, load_pretrained, read_manifest,
                                     sha256)
from ddpm_lessons.sampling import respaced_ancestral_sample
from ddpm_lessons.schedule import NoiseSchedule


# ----------------------------------------------------------------------------- shipped models
def test_manifest_lists_every_model_with_matching_hashes_and_small_total_size():
    manifest = read_manifest()
    assert set(manifest) == set(AVAILABLE)
    total = 0
    for name, entry in manifest.items():
        path = DATA_DIR / entry["file"]
        assert sha256(path) == entry["sha256"], name
        assert entry["command"] == f"python -m ddpm_lessons.train {name}"
        total += path.stat().st_size
    assert total <= 20e6


@pytest.mark.parametrize("name, shape", [("toy2d", (2,)), ("mnist", (1, 16, 16))])
def test_diffusion_models_load_and_sample(name, shape):
    bundle = load_pretrained(name, device="cpu")
    assert bundle.sample_shape == shape and not bundle.model.training
    assert isinstance(bundle.schedule, NoiseSchedule) and bundle.schedule.T == 1000
    assert bundle.metadata["dataset"] and "config" in bundle.metadata
    g = torch.Generator().manual_seed(0)
    x = respaced_ancestral_sample(bundle.model, bundle.schedule, torch.randn(4, *shape, generator=g), 5, generator=g)
    assert x.shape == (4, *shape) and torch.isfinite(x).all()


def test_toy2d_predicts_noise_better_than_zero():
    bundle = load_pretrained("toy2d", device="cpu")
    from ddpm_lessons.mixture import GaussianMixture
    g = torch.Generator().manual_seed(0)
    x0 = GaussianMixture.preset("swiss_roll").sample(2000, g)
    t, noise = torch.randint(0, 1000, (2000,), generator=g), torch.randn(2000, 2, generator=g)
    with torch.no_grad():
        mse = (bundle.model(bundle.schedule.q_sample(x0, t, noise), t) - noise).pow(2).mean()
    assert mse < 0.5  # predicting 0 gives 1.0


def test_classifier_loads_and_is_accurate_on_heldout_digits():
    from ddpm_lessons.data import load_mnist
    bundle = load_pretrained("mnist-features", device="cpu")
    assert bundle.schedule is None and bundle.sample_shape == (1, 16, 16)
    x, y = load_mnist("heldout")
    with torch.no_grad():
        acc = (bundle.model(x[:200]).argmax(1) == y[:200]).float().mean()
    assert acc >= 0.95


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="toy2d.*mnist.*mnist-features"):
        load_pretrained("cifar10")


# ----------------------------------------------------------------------------- integrity (tiny fake)
@pytest.fixture
def fake_data(tmp_path):
    """A data dir with a tiny, valid toy2d checkpoint and its manifest."""
    config = dict(dim=2, hidden=8, num_layers=1, temb_dim=4)
    torch.manual_seed(0)
    state = {"model": MLPEps(**config).state_dict(), "betas": NoiseSchedule.linear(1000).betas_64}
    path = tmp_path / "toy2d.pt"
    torch.save(state, path)
    entry = dict(file="toy2d.pt", sha256=sha256(path), architecture="MLPEps", config=config, sample_shape=[2],
                 dataset="test", command="python -m ddpm_lessons.train toy2d")
    (tmp_path / "manifest.json").write_text(json.dumps({"toy2d": entry}))
    return tmp_path


def test_fake_checkpoint_loads(fake_data):
    bundle = load_pretrained("toy2d", device="cpu", data_dir=fake_data)
    assert bundle.model.config["hidden"] == 8 and bundle.schedule.T == 1000


def _expect_rebuild_error(data_dir, what):
    with pytest.raises(CheckpointError, match=what) as info:
        load_pretrained("toy2d", device="cpu", data_dir=data_dir)
    assert "toy2d.pt" in str(info.value)
    assert "python -m ddpm_lessons.train toy2d" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_missing_checkpoint(fake_data):
    (fake_data / "toy2d.pt").unlink()
    _expect_rebuild_error(fake_data, "missing")


def test_truncated_checkpoint(fake_data):
    path = fake_data / "toy2d.pt"
    path.write_bytes(path.read_bytes()[:-100])
    _expect_rebuild_error(fake_data, "truncated or altered")


def test_altered_checkpoint(fake_data):
    path = fake_data / "toy2d.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    _expect_rebuild_error(fake_data, "truncated or altered")


def test_missing_manifest_entry_names_the_command(fake_data):
    (fake_data / "manifest.json").write_text("{}")
    with pytest.raises(CheckpointError, match="python -m ddpm_lessons.train toy2d"):
        load_pretrained("toy2d", device="cpu", data_dir=fake_data)


# ----------------------------------------------------------------------------- malicious pickles
class _Payload:
    """Unpickling this calls pathlib.Path.touch(marker): arbitrary code execution in miniature."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def _install_malicious(data_dir, payload_bytes_writer):
    path = data_dir / "toy2d.pt"
    payload_bytes_writer(path)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    manifest["toy2d"]["sha256"] = sha256(path)  # an attacker who controls the file controls the hash too
    (data_dir / "manifest.json").write_text(json.dumps(manifest))
    return path


@pytest.mark.parametrize("fmt", ["torch_zip", "raw_pickle"])
def test_code_running_pickle_is_refused_without_running(fake_data, tmp_path, fmt):
    marker = tmp_path / f"pwned_{fmt}"
    if fmt == "torch_zip":
        writer = lambda p: torch.save({"model": {}, "x": _Payload(marker)}, p)  # noqa: E731
    else:
        writer = lambda p: p.write_bytes(pickle.dumps({"model": {}, "x": _Payload(marker)}))  # noqa: E731
    path = _install_malicious(fake_data, writer)
    # the payload is real: an unsafe load of a copy does run it
    if fmt == "torch_zip":
        probe = tmp_path / "probe.pt"
        shutil.copy(path, probe)
        torch.load(probe, weights_only=False)
    else:
        pickle.loads(path.read_bytes())
    assert marker.exists()
    marker.unlink()
    # the library refuses it and the payload does not run
    _expect_rebuild_error(fake_data, "refused without running it")
    assert not marker.exists()


def test_image_bundle_states_its_data_range():
    bundle = load_pretrained("mnist", device="cpu")
    assert bundle.data_range == (-1.0, 1.0) and bundle.clip_x0 == 1.0
    assert load_pretrained("toy2d", device="cpu").clip_x0 is None


def test_bundle_sample_hands_over_its_own_clip_x0():
    bundle = load_pretrained("mnist", device="cpu")
    x_T = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    from ddpm_lessons import sample
    via_bundle = bundle.sample("ddim", x_T, steps=3)
    by_hand = sample("ddim", bundle.model, bundle.schedule, x_T, steps=3, clip_x0=1.0)
    unclipped = sample("ddim", bundle.model, bundle.schedule, x_T, steps=3)
    assert torch.equal(via_bundle, by_hand) and not torch.equal(via_bundle, unclipped)
    with pytest.raises(ValueError, match="not a diffusion model"):
        load_pretrained("mnist-features", device="cpu").sample("ddim", x_T, steps=3)
