"""The networks: the sampler contract, configurations, parameter counts (small and fast)."""
import pytest
import torch

from ddpm_lessons.models import (DigitClassifier, MLPEps, UNet, count_parameters,
                                 ddpm_cifar10_unet, timestep_embedding)

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
