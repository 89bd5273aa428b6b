"""The training helpers: learning-rate schedule, EMA, augmentation, loss, exact resumption."""
import pytest
import torch

from ddpm_lessons.models import MLPEps
from ddpm_lessons.schedule import NoiseSchedule
from ddpm_lessons.train import diffusion_loss, ema_update, lr_at, shift_augment

SMALL = dict(image_size=16, in_channels=1, base_channels=8, channel_mults=(1, 2), num_res_blocks=1,
             attn_resolutions=(8,), norm_groups=4)


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
