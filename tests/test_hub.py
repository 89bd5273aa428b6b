"""The hub loader (ddpm_lessons/hub.py) against diffusers itself, with random weights of the real
architecture: no machine of this project reaches the model hub, so the oracle is diffusers' own
schedulers run on the same network and the same x_T.

* DDIM η = 0 with x̂₀ clipping vs diffusers' DDIMScheduler loop (clip_sample, use_clipped_model_output);
* one ancestral step (σ² = β) vs DDPMScheduler.step with variance_type "fixed_large": mean, σ, the step;
* parameters and FLOPs of the diffusers UNet vs the chapter's own DDPM CIFAR-10 UNet;
* both folder layouts, safe weights, and the errors without network or without diffusers.
"""
import dataclasses
import os
import shutil
import socket
import sys
import time

import pytest
import torch

import ddpm_lessons as dl
from ddpm_lessons import hub

NAME = "ddpm-cifar10-32"


def _diffusers():
    return pytest.importorskip("diffusers", reason="the [hub] extra is not installed (pip install \"ddpm-lessons[hub]\")")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A seeded random UNet of the hub architecture, saved by DDPMPipeline.save_pretrained."""
    diffusers = _diffusers()
    torch.manual_seed(0)
    unet = diffusers.UNet2DModel(**hub.UNET_CONFIG).eval()
    folder = tmp_path_factory.mktemp("pipeline")
    diffusers.DDPMPipeline(unet=unet, scheduler=diffusers.DDPMScheduler(**hub.SCHEDULER_CONFIG)).save_pretrained(folder)
    return unet, folder


@pytest.fixture(scope="module")
def bundle(saved):
    return dl.load_pretrained(NAME, "cpu", path=saved[1])


def _x(n, seed):
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def test_bundle_is_the_chapters_kind(saved, bundle):
    unet, _ = saved
    assert bundle.sample_shape == (3, 32, 32) and bundle.clip_x0 == 1.0
    assert not bundle.model.training and dl.model_device(bundle.model).type == "cpu"
    ref = dl.NoiseSchedule.linear()
    assert bundle.schedule.T == 1000 and torch.equal(bundle.schedule.betas_64, ref.betas_64)
    assert bundle.metadata["licence"] == "Apache-2.0" and bundle.metadata["variance_type"] == "fixed_large"
    assert bundle.metadata["weights"] == "safetensors" and bundle.metadata["name"] == NAME
    loaded, saved_sd = bundle.model.unet.state_dict(), unet.state_dict()
    assert loaded.keys() == saved_sd.keys() and all(torch.equal(loaded[k], saved_sd[k]) for k in saved_sd), \
        "the loaded weights are the saved weights"
    x, t = _x(1, 1), torch.tensor([637])
    with torch.inference_mode():
        assert torch.allclose(bundle.model(x, t), unet(x, t).sample, rtol=1e-5, atol=1e-5), "model(x_t, t) -> eps"


def test_ddim_matches_diffusers_ddim_scheduler_with_clipping(saved, bundle):
    diffusers = _diffusers()
    unet, _ = saved
    sched = diffusers.DDIMScheduler(**{k: v for k, v in hub.SCHEDULER_CONFIG.items() if k != "variance_type"},
                                    set_alpha_to_one=True, timestep_spacing="trailing")
    sched.set_timesteps(5)
    assert sched.timesteps.tolist() == bundle.schedule.timesteps(5, "trailing").tolist()  # 999, 799, ..., 199
    x_T = _x(1, 2)
    x, clipped = x_T.clone(), 0
    with torch.inference_mode():
        for t in sched.timesteps:
            eps = unet(x, t).sample
            ab = sched.alphas_cumprod[t]
            clipped += int(((x - (1 - ab).sqrt() * eps) / ab.sqrt()).abs().max() > 1)
            x = sched.step(eps, t, x, eta=0.0, use_clipped_model_output=True).prev_sample
    ours = dl.ddim_sample(bundle.model, bundle.schedule, x_T, timesteps=sched.timesteps, clip_x0=bundle.clip_x0,
                          progress=False)
    assert clipped >= 1, "the comparison must exercise the clipping"
    rel = float((ours - x).norm() / x.norm())
    assert rel < 1e-4, f"DDIM differs from diffusers' DDIMScheduler by {rel:.1e} (diffusers builds ᾱ in float32)"


@pytest.mark.parametrize("t", [999, 500, 0])
def test_one_ancestral_step_matches_ddpm_scheduler_fixed_large(saved, bundle, t):
    diffusers = _diffusers()
    unet, _ = saved
    sched = diffusers.DDPMScheduler(**hub.SCHEDULER_CONFIG)
    sched.set_timesteps(1000)
    x = _x(1, 3)
    with torch.inference_mode():
        eps = unet(x, torch.tensor([t])).sample
        out = [sched.step(eps, t, x, generator=torch.Generator().manual_seed(s)).prev_sample for s in (5, 6)]
    z = [torch.randn(x.shape, generator=torch.Generator().manual_seed(s)) for s in (5, 6)]
    row = dl.ancestral_table(bundle.schedule)[999 - t: 1000 - t]
    assert row.t_model.tolist() == [t]
    ours = dl.run_chain(bundle.model, x, row, generator=torch.Generator().manual_seed(5), clip_x0=1.0)
    ours_mean = dl.run_chain(bundle.model, x, dataclasses.replace(row, sigma=(0.0,)), clip_x0=1.0)
    if t == 0:  # the last step lands on x_0: neither adds noise
        assert torch.equal(out[0], out[1]) and row.sigma[0] == 0.0
        assert torch.allclose(ours, out[0], rtol=1e-4, atol=1e-5)
        return
    sigma_diffusers = float(((out[0] - out[1]) / (z[0] - z[1])).median())
    assert sigma_diffusers == pytest.approx(row.sigma[0], rel=1e-4)
    assert row.sigma[0] == pytest.approx(float(bundle.schedule.betas_64[t].sqrt()), rel=1e-12), "σ² = β (fixed_large)"
    mean_diffusers = out[0] - sigma_diffusers * z[0]
    assert torch.allclose(ours_mean, mean_diffusers, rtol=1e-4, atol=1e-5)
    assert torch.allclose(ours, out[0], rtol=1e-4, atol=1e-5), "the whole step, same seed, same noise"


def test_parameters_and_flops_equal_the_chapters_ddpm_cifar10_unet():
    _diffusers()
    n_hub, f_hub = dl.costs.meta_flops(lambda: hub.EpsUNet(hub.build_unet()), (3, 32, 32))
    n_own, f_own = dl.costs.meta_flops(dl.ddpm_cifar10_unet, (3, 32, 32))
    assert n_hub == n_own, (n_hub, n_own)  # measured: 35,746,307 both
    assert abs(n_hub / 35.7e6 - 1) < 0.002, "DDPM App. B: 35.7M parameters"
    # measured: 12,443,713,536 both (diffusers does q, k, v as Linear layers, the chapter as 1×1
    # convolutions, and its attention products differently: the totals are the same)
    assert abs(f_hub / f_own - 1) < 1e-3, (f_hub, f_own)


def test_the_hub_repositorys_own_layout_and_bin_weights_load(saved, bundle, tmp_path):
    diffusers = _diffusers()
    unet, folder = saved
    flat = tmp_path / "flat"
    flat.mkdir()
    for src, dst in (("unet/config.json", "config.json"), ("scheduler/scheduler_config.json", "scheduler_config.json"),
                     ("unet/diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors")):
        os.symlink(folder / src, flat / dst)
    x, t = _x(1, 4), torch.tensor([250])
    with torch.inference_mode():
        assert torch.allclose(dl.load_pretrained(NAME, "cpu", path=flat).model(x, t), bundle.model(x, t), rtol=1e-5, atol=1e-5)
    binary = tmp_path / "bin"
    diffusers.DDPMPipeline(unet=unet, scheduler=diffusers.DDPMScheduler(**hub.SCHEDULER_CONFIG)).save_pretrained(
        binary, safe_serialization=False)
    loaded = dl.load_pretrained(NAME, "cpu", path=binary)
    assert loaded.metadata["weights"].startswith("bin")
    with torch.inference_mode():
        assert torch.allclose(loaded.model(x, t), bundle.model(x, t), rtol=1e-5, atol=1e-5)


# The hub repository's files as published in 2022: its scheduler_config.json (diffusers 0.1.0) and the
# UNet config keys of that era (copies of google/ddpm-cifar10-32 snapshots on the hub), and attention
# weights under their pre-2023 names (query/key/value/proj_attn), which diffusers renames on loading.
HUB_SCHEDULER_JSON = {"_class_name": "DDPMScheduler", "_diffusers_version": "0.1.0", "beta_end": 0.02,
                      "beta_schedule": "linear", "beta_start": 0.0001, "clip_sample": True,
                      "num_train_timesteps": 1000, "trained_betas": None, "variance_type": "fixed_large"}
HUB_UNET_JSON = {"_class_name": "UNet2DModel", "_diffusers_version": "0.5.0.dev0", "act_fn": "silu",
                 "attention_head_dim": None, "block_out_channels": [128, 256, 256, 256], "center_input_sample": False,
                 "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
                 "downsample_padding": 0, "flip_sin_to_cos": False, "freq_shift": 1, "in_channels": 3,
                 "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-06, "norm_num_groups": 32,
                 "out_channels": 3, "sample_size": 32, "time_embedding_type": "positional",
                 "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"]}
OLD_NAMES = {".to_q.": ".query.", ".to_k.": ".key.", ".to_v.": ".value.", ".to_out.0.": ".proj_attn."}


def test_the_hub_repository_as_published_loads(saved, bundle, tmp_path):
    _diffusers()
    import json

    from safetensors.torch import save_file

    unet, _ = saved
    (tmp_path / "config.json").write_text(json.dumps(HUB_UNET_JSON))
    (tmp_path / "scheduler_config.json").write_text(json.dumps(HUB_SCHEDULER_JSON))
    state = {}
    for k, v in unet.state_dict().items():
        for new, old in OLD_NAMES.items():
            k = k.replace(new, old) if "attentions." in k else k
        state[k] = v.contiguous()
    assert any(".query." in k for k in state)
    save_file(state, str(tmp_path / "diffusion_pytorch_model.safetensors"))
    loaded = dl.load_pretrained(NAME, "cpu", path=tmp_path)
    assert loaded.clip_x0 == 1.0 and loaded.metadata["variance_type"] == "fixed_large"
    x, t = _x(1, 7), torch.tensor([421])
    with torch.inference_mode():
        assert torch.allclose(loaded.model(x, t), bundle.model(x, t), rtol=1e-5, atol=1e-5)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling would create the marker file
        return (open, (self.marker, "w"))


def test_a_bin_file_that_runs_code_is_refused_without_running_it(saved, tmp_path):
    _diffusers()
    _, folder = saved
    evil, marker = tmp_path / "evil", tmp_path / "payload_ran"
    evil.mkdir()
    shutil.copy(folder / "unet" / "config.json", evil / "config.json")
    shutil.copy(folder / "scheduler" / "scheduler_config.json", evil / "scheduler_config.json")
    torch.save({"conv_in.weight": _Payload(str(marker))}, evil / "diffusion_pytorch_model.bin")
    with pytest.raises(hub.HubError, match="'ddpm-cifar10-32'.*could not read the UNet") as err:
        dl.load_pretrained(NAME, "cpu", path=evil)
    assert "Unable to load weights" in str(err.value)  # diffusers' torch.load(weights_only=True) refused it
    assert not marker.exists(), "the pickle's payload ran"


def test_a_folder_without_either_layout_names_both(tmp_path):
    _diffusers()
    with pytest.raises(hub.HubError, match=r"save_pretrained.*hub repository.*Fix: open the notebook in Colab"):
        dl.load_pretrained(NAME, "cpu", path=tmp_path)
    with pytest.raises(ValueError, match="path= is for hub models"):
        dl.load_pretrained("mnist", "cpu", path=tmp_path)


def test_without_network_the_error_comes_within_seconds_and_names_the_fix(monkeypatch, tmp_path):
    _diffusers()
    from huggingface_hub import constants

    calls = []

    def blocked(address, *args, **kwargs):
        calls.append(address)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket, "create_connection", blocked)
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: blocked(address))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))  # an empty cache: nothing to fall back on
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    start = time.perf_counter()
    with pytest.raises(hub.HubError) as err:
        dl.load_pretrained(NAME, "cpu")
    assert time.perf_counter() - start < 5.0
    message = str(err.value)
    assert len(calls) == 1, "one connection attempt, no retry loop"
    for part in ("'ddpm-cifar10-32'", "network blocked by the test", "Colab", 'pip install "ddpm-lessons[hub]"',
                 "path=<folder>"):
        assert part in message, (part, message)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(hub.HubError, match="HF_HUB_OFFLINE"):
        dl.load_pretrained(NAME, "cpu")


def test_without_diffusers_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # `import diffusers` now raises ImportError
    with pytest.raises(hub.HubError) as err:
        dl.load_pretrained(NAME, "cpu")
    message = str(err.value)
    for part in ("'ddpm-cifar10-32'", "diffusers is not installed", 'pip install "ddpm-lessons[hub]"', "Colab"):
        assert part in message, (part, message)
    attempt = hub.try_load(NAME, "cpu")
    assert attempt.bundle is None and "diffusers is not installed" in attempt.reason
    model, what = hub.cost_network(attempt, "cpu")
    assert isinstance(model, dl.UNet) and "chapter" in what, "without diffusers the cost is the chapter's own UNet"


def test_plan_fits_its_budget_and_shrinks_with_cost():
    fast_gpu, cpu = hub.plan(0.002), hub.plan(0.25)
    assert fast_gpu.n_images == 8 and fast_gpu.ancestral_1000
    assert fast_gpu.image_calls() * 0.002 <= 240
    assert cpu.n_images == 1 and not cpu.ancestral_1000, "a CPU cannot afford 1000 steps within the budget"
    assert hub.plan(0.002, fast=True).image_calls() < cpu.image_calls()
