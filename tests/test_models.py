"""The networks, the NFE counter, the data pipeline and the training helpers (small and fast)."""
import pytest
import torch

from ddpm_lessons.data import load_mnist, make_grid, preprocess, to_image
from ddpm_lessons.costs import CountingModel
from ddpm_lessons.models import (DigitClassifier, MLPEps, UNet, count_parameters,
                                 ddpm_cifar10_unet, timestep_embedding)
from ddpm_lessons.sampling import ancestral_sample, ddim_sample, respaced_ancestral_sample
from ddpm_lessons.schedule import NoiseSchedule
from ddpm_lessons.train import diffusion_loss, ema_update, lr_at, shift_augment

SMALL = dict(image_size=16, in_channels=1, base_channels=8, channel_mults=(1, 2), num_res_blocks=1,
             attn_resolutions=(8,), norm_groups=4)


def test_ddpm_cifar10_configuration_has_35_7M_parameters():
    n = count_parameters(ddpm_cifar10_unet())
    assert abs(n - 35.7e6) / 35.7e6 < 0.02, n


@pytest.mark.parametrize("cfg", [
    SMALL,
    dict(SMALL, channel_mults=(1, 2, 2), num_res_blocks=2, attn_resolutions=(16, 4)),
    dict(SMALL, image_size=8, in_channels=3, attn_resolutions=()),
])
def test_unet_honours_the_sampler_contract(cfg):
    torch.manual_seed(0)
    model = UNet(**cfg).eval()
    x = torch.randn(3, cfg["in_channels"], cfg["image_size"], cfg["image_size"])
    eps = model(x, torch.tensor([0, 500, 999]))
    assert eps.shape == x.shape and torch.isfinite(eps).all()


def test_unet_output_depends_on_the_timestep():
    torch.manual_seed(0)
    model = UNet(**SMALL).eval()
    x = torch.randn(1, 1, 16, 16).repeat(2, 1, 1, 1)
    eps = model(x, torch.tensor([10, 900]))
    assert (eps[0] - eps[1]).abs().max() > 1e-4


def test_unet_config_is_recorded_and_more_blocks_mean_more_parameters():
    a, b = UNet(**SMALL), UNet(**dict(SMALL, num_res_blocks=2))
    assert a.config["base_channels"] == 8 and a.config["channel_mults"] == [1, 2]
    assert count_parameters(b) > count_parameters(a)


@pytest.mark.parametrize("bad, match", [
    (dict(image_size=18, channel_mults=(1, 2, 2)), "divisible"),
    (dict(channel_mults=()), "channel_mults"),
    (dict(dropout=1.0), "dropout"),
    (dict(base_channels=0), "base_channels"),
])
def test_unet_rejects_bad_configurations(bad, match):
    with pytest.raises(ValueError, match=match):
        UNet(**dict(SMALL, **bad))


def test_timestep_embedding_shape_and_distinctness():
    e = timestep_embedding(torch.tensor([0, 1, 999]), 16)
    assert e.shape == (3, 16)
    assert not torch.allclose(e[0], e[1]) and e.abs().max() <= 1.0


def test_mlp_shape_and_input_check():
    model = MLPEps(hidden=32, num_layers=2)
    assert model(torch.randn(5, 2), torch.randint(0, 1000, (5,))).shape == (5, 2)
    with pytest.raises(ValueError, match="x_t must have shape"):
        model(torch.randn(5, 3), torch.zeros(5, dtype=torch.long))


def test_classifier_logits_and_features():
    model = DigitClassifier(channels=4, feature_dim=16).eval()
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    assert model(x).shape == (2, 10) and model.features(x).shape == (2, 16)
    with pytest.raises(ValueError, match="16, 16"):
        model.features(torch.zeros(2, 1, 28, 28))


def test_counting_model_counts_network_calls_per_sampler():
    schedule = NoiseSchedule.linear(1000)
    counted = CountingModel(MLPEps(hidden=16, num_layers=1).eval())
    x = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    respaced_ancestral_sample(counted, schedule, x, 10, generator=torch.Generator().manual_seed(1))
    assert (counted.calls, counted.samples) == (10, 40)
    counted.reset()
    ddim_sample(counted, schedule, x, 25)
    assert counted.calls == 25
    short = NoiseSchedule.linear(7)
    ancestral_sample(counted.reset(), short, x, generator=torch.Generator().manual_seed(2))
    assert counted.calls == 7
    with pytest.raises(TypeError, match="callable"):
        CountingModel(3)


# ----------------------------------------------------------------------------- data
def test_load_mnist_shapes_range_and_split():
    x, y = load_mnist("train")
    h, yh = load_mnist("heldout")
    assert x.shape == (4500, 1, 16, 16) and h.shape == (500, 1, 16, 16)
    assert x.dtype == torch.float32 and x.min() == -1.0 and x.max() <= 1.0 and x.max() > 0.9
    assert set(y.tolist()) == set(range(10)) and set(yh.tolist()) == set(range(10))
    assert load_mnist("heldout", size=28)[0].shape == (500, 1, 28, 28)
    with pytest.raises(ValueError, match="split"):
        load_mnist("test")
    with pytest.raises(ValueError, match="size"):
        load_mnist("train", size=20)


def test_preprocess_pads_and_average_pools():
    img = torch.zeros(1, 1, 28, 28)
    img[0, 0, 0:2, 0:2] = 1.0  # raw pixels (0..1, 0..1) land in padded (2..3, 2..3) → pooled pixel (1, 1)
    out = preprocess(img, 16)
    assert out.shape == (1, 1, 16, 16)
    assert out[0, 0, 1, 1] == 1.0 and out[0, 0, 0, 0] == -1.0


def test_to_image_and_grid_are_in_unit_range():
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 3.0]).view(1, 1, 1, 5)
    assert to_image(x).flatten().tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    grid = make_grid(torch.zeros(5, 1, 16, 16), nrow=4)
    assert grid.shape == (2 * 17 + 1, 4 * 17 + 1) and grid.min() >= 0 and grid.max() <= 1


# ----------------------------------------------------------------------------- training helpers
def test_lr_warmup_and_decay():
    assert lr_at(0, 1.0, 10, 100) == pytest.approx(0.1)
    assert lr_at(9, 1.0, 10, 100) == pytest.approx(1.0)
    assert lr_at(100, 1.0, 10, 100) == pytest.approx(0.1)


def test_constant_lr_holds_after_warmup_so_a_checkpoint_is_a_shorter_run():
    assert lr_at(0, 1.0, 10, 100, "constant") == pytest.approx(0.1)
    assert [lr_at(s, 1.0, 10, n, "constant") for s, n in ((10, 100), (99, 100), (99, 10_000))] == [1.0] * 3
    with pytest.raises(ValueError, match="schedule"):
        lr_at(5, 1.0, 10, 100, "linear")


def test_ema_update_moves_towards_the_model():
    a, b = MLPEps(hidden=8, num_layers=1), MLPEps(hidden=8, num_layers=1)
    before = a.out.bias.detach().clone()
    ema_update(a, b, 0.9)
    assert torch.allclose(a.out.bias, 0.9 * before + 0.1 * b.out.bias)


def test_shift_augment_keeps_shape_and_pixels():
    x = -torch.ones(3, 1, 16, 16)
    x[:, :, 8, 8] = 1.0
    out = shift_augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and (out == 1.0).sum() == 3


def test_diffusion_loss_decreases_on_a_fixed_batch():
    torch.manual_seed(0)
    model, schedule = MLPEps(hidden=64, num_layers=2), NoiseSchedule.linear(100)
    x0 = torch.randn(256, 2, generator=torch.Generator().manual_seed(0)) * 0.1 + 1.0
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = diffusion_loss(model, schedule, x0, torch.Generator().manual_seed(1)).item()
    for _ in range(150):
        loss = diffusion_loss(model, schedule, x0, torch.Generator().manual_seed(2))
        opt.zero_grad(); loss.backward(); opt.step()
    assert diffusion_loss(model, schedule, x0, torch.Generator().manual_seed(1)).item() < 0.7 * first


def test_interrupted_training_resumes_exactly(tmp_path):
    """fit() with checkpoints: 6 steps straight == 3 steps, stop, resume to 6 (same batches, same weights)."""
    from ddpm_lessons.schedule import NoiseSchedule
    from ddpm_lessons.train import diffusion_loss, fit

    schedule = NoiseSchedule.linear(100)
    spec = dict(steps=6, batch=16, lr=1e-3, warmup=2, ema=0.9, seed=0, grad_clip=1.0)

    def train(ckpt, resume, crash_at=None):
        torch.manual_seed(0)
        model = MLPEps(dim=2, hidden=16, num_layers=2, temb_dim=8)
        gen = torch.Generator().manual_seed(0)
        calls = []

        def batch():
            calls.append(1)
            if len(calls) == crash_at:
                raise KeyboardInterrupt("simulated interruption")
            return torch.randn(16, 2, generator=gen)

        return fit(model, batch, lambda m, x0: diffusion_loss(m, schedule, x0, gen), spec,
                   "t", gen, ckpt=ckpt, resume=resume, every=3, log=tmp_path / "log")

    straight, _, losses = train(None, False)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "a.ckpt", False, crash_at=5)  # dies in step 5; the checkpoint holds step 3
    resumed, _, losses2 = train(tmp_path / "a.ckpt", True)
    assert losses2 == losses
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert "resumed" in (tmp_path / "log").read_text()
