"""The digits: loading, preprocessing, display conversion."""
import pytest
import torch

from ddpm_lessons.data import load_mnist, make_grid, preprocess, to_image

SMALL = dict(image_size=16, in_channels=1, base_channels=8, channel_mults=(1, 2), num_res_blocks=1,
             attn_resolutions=(8,), norm_groups=4)


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
