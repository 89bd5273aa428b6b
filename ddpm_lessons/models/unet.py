"""The DDPM noise-prediction UNet (Ho et al. 2020, App. B), small enough to configure down to 16×16 digits.

Architecture as in the DDPM reference code: a sinusoidal timestep embedding followed by a
two-layer MLP (Transformer-style, Vaswani et al. 2017); a 3×3 input conv; at every resolution
``num_res_blocks`` residual blocks (GroupNorm → SiLU → conv, plus the time embedding added
after the first conv; Wide-ResNet style) with self-attention blocks at the resolutions listed in
``attn_resolutions``; strided-conv downsampling between levels; a middle of res–attn–res; an
upsampling path that concatenates the skip activations; GroupNorm → SiLU → 3×3 output conv.

``ddpm_cifar10_unet()`` is DDPM's CIFAR-10 model (35.7M parameters).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_int


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps, shape (batch, dim) (Vaswani et al. 2017, §3.5)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / max(half - 1, 1))
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb


def _norm(channels: int, groups: int) -> nn.GroupNorm:
    g = math.gcd(channels, groups)  # the largest group count <= groups that divides channels
    return nn.GroupNorm(g, channels, eps=1e-6)


class ResBlock(nn.Module):
    """GN–SiLU–conv, + Linear(temb), GN–SiLU–dropout–conv, + (1×1-projected) input."""

    def __init__(self, c_in, c_out, temb_dim, dropout, groups):
        super().__init__()
        self.norm1, self.conv1 = _norm(c_in, groups), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.temb = nn.Linear(temb_dim, c_out)
        self.norm2, self.drop = _norm(c_out, groups), nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.drop(F.silu(self.norm2(h))))
        return self.skip(x) + h


class AttnBlock(nn.Module):
    """Single-head self-attention over all pixels (DDPM's attention at 16×16), residual."""

    def __init__(self, channels, groups):
        super().__init__()
        self.norm = _norm(channels, groups)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.proj(a.transpose(1, 2).reshape(b, c, h, w))


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """ε_θ(x_t, t) for images (N, in_channels, image_size, image_size); honours ``model(x_t, t) -> eps``.

    ``channel_mults[i]`` scales ``base_channels`` at level i (resolution image_size / 2**i);
    ``attn_resolutions`` lists the resolutions (in pixels) that get self-attention.
    """

    def __init__(self, image_size=16, in_channels=1, base_channels=32, channel_mults=(1, 2, 2),
                 num_res_blocks=1, attn_resolutions=(8,), dropout=0.0, norm_groups=32):
        super().__init__()
        check_int("image_size", image_size, 4, 4096)
        check_int("in_channels", in_channels, 1, 64)
        check_int("base_channels", base_channels, 1, 4096)
        check_int("num_res_blocks", num_res_blocks, 1, 16)
        if not channel_mults or any(not isinstance(m, int) or m < 1 for m in channel_mults):
            raise ValueError(f"channel_mults must be a non-empty sequence of positive integers, got {channel_mults!r}")
        if image_size % 2 ** (len(channel_mults) - 1):
            raise ValueError(f"image_size ({image_size}) must be divisible by 2**(len(channel_mults)-1)")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.config = dict(image_size=image_size, in_channels=in_channels, base_channels=base_channels,
                           channel_mults=list(channel_mults), num_res_blocks=num_res_blocks,
                           attn_resolutions=list(attn_resolutions), dropout=dropout, norm_groups=norm_groups)
        ch, g, tdim = base_channels, norm_groups, 4 * base_channels
        self.temb = nn.Sequential(nn.Linear(ch, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.conv_in = nn.Conv2d(in_channels, ch, 3, padding=1)
        self.down, skips, res, c = nn.ModuleList(), [ch], image_size, ch
        for i, mult in enumerate(channel_mults):
            for _ in range(num_res_blocks):
                block = nn.ModuleList([ResBlock(c, ch * mult, tdim, dropout, g)])
                c = ch * mult
                if res in attn_resolutions:
                    block.append(AttnBlock(c, g))
                self.down.append(block)
                skips.append(c)
            if i != len(channel_mults) - 1:
                self.down.append(nn.ModuleList([Downsample(c)]))
                skips.append(c)
                res //= 2
        self.mid = nn.ModuleList([ResBlock(c, c, tdim, dropout, g), AttnBlock(c, g), ResBlock(c, c, tdim, dropout, g)])
        self.up = nn.ModuleList()
        for i, mult in reversed(list(enumerate(channel_mults))):
            for _ in range(num_res_blocks + 1):
                block = nn.ModuleList([ResBlock(c + skips.pop(), ch * mult, tdim, dropout, g)])
                c = ch * mult
                if res in attn_resolutions:
                    block.append(AttnBlock(c, g))
                self.up.append(block)
            if i != 0:
                self.up.append(nn.ModuleList([Upsample(c)]))
                res *= 2
        self.out = nn.Sequential(_norm(c, g), nn.SiLU(), nn.Conv2d(c, in_channels, 3, padding=1))

    @staticmethod
    def _run(block, h, temb):
        for layer in block:
            h = layer(h, temb) if isinstance(layer, ResBlock) else layer(h)
        return h

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.temb(timestep_embedding(t, self.config["base_channels"]))
        hs = [self.conv_in(x)]
        for block in self.down:
            hs.append(self._run(block, hs[-1], temb))
        h = self._run(self.mid, hs[-1], temb)
        for block in self.up:
            if isinstance(block[0], ResBlock):
                h = torch.cat([h, hs.pop()], dim=1)
            h = self._run(block, h, temb)
        return self.out(h)


def ddpm_cifar10_unet(dropout: float = 0.1) -> UNet:
    """DDPM's CIFAR-10 configuration (Ho et al. 2020, App. B): 35.7M parameters at 32×32 RGB."""
    return UNet(image_size=32, in_channels=3, base_channels=128, channel_mults=(1, 2, 2, 2),
                num_res_blocks=2, attn_resolutions=(16,), dropout=dropout)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
