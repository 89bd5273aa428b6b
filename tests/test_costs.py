"""ddpm_lessons.costs: FLOP counts are exact for known layers; timing helpers behave (no thresholds)."""
import pytest
import torch
from torch import nn

from ddpm_lessons import costs
from ddpm_lessons.costs import CountingModel
from ddpm_lessons.models import MLPEps
from ddpm_lessons.sampling import ancestral_sample, ddim_sample, respaced_ancestral_sample
from ddpm_lessons.schedule import NoiseSchedule


class LinearEps(nn.Module):
    """A one-layer 'network' honouring model(x_t, t) -> eps, with known FLOPs."""

    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.lin = nn.Linear(dim_in, dim_out)

    def forward(self, x, t):
        return self.lin(x)


class CountCalls(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x, t):
        self.calls += 1
        return x


def test_flops_of_a_linear_layer_are_2_in_out_batch():
    model = LinearEps(7, 5)
    x, t = torch.randn(3, 7), torch.zeros(3, dtype=torch.long)
    assert costs.flops_per_call(model, x, t) == 2 * 7 * 5 * 3


def test_flops_of_a_conv_layer_are_2_cin_k2_cout_hw_batch():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    model = lambda x, t: conv(x)  # noqa: E731
    x, t = torch.randn(2, 3, 8, 8), torch.zeros(2, dtype=torch.long)
    assert costs.flops_per_call(model, x, t) == 2 * 3 * 9 * 4 * 8 * 8 * 2


def test_flops_scale_linearly_with_batch():
    model = LinearEps(16, 16)
    t1, t4 = torch.zeros(1, dtype=torch.long), torch.zeros(4, dtype=torch.long)
    assert costs.flops_per_call(model, torch.randn(4, 16), t4) == 4 * costs.flops_per_call(model, torch.randn(1, 16), t1)


def test_time_per_call_warms_up_and_repeats():
    model = CountCalls()
    x, t = torch.randn(2, 3), torch.zeros(2, dtype=torch.long)
    s = costs.time_per_call(model, x, t, repeats=4, warmup=2)
    assert model.calls == 6
    assert s >= 0.0


def test_time_call_rejects_bad_arguments():
    with pytest.raises(TypeError):
        costs.time_call(3)
    with pytest.raises(ValueError):
        costs.time_call(lambda: None, repeats=0)


def test_cost_row_and_table():
    many = costs.cost_row("DDPM", 1000, 0.01, 1e9)
    one = costs.cost_row("one pass", 1, 0.01, 1e9)
    assert many["s_per_image"] == pytest.approx(10.0)
    assert many["s_total"] == pytest.approx(10.0 * costs.N_BENCHMARK)
    assert many["flops_per_image"] == pytest.approx(1e12)
    batched = costs.cost_row("DDPM", 1000, 0.08, 8e9, batch=8)
    assert batched["s_per_image"] == pytest.approx(10.0)
    table = costs.cost_table([many, one], ratio_pairs=[(0, 1)])
    assert len(table.rows) == 3 and table.rows[2][1] == "1000×"
    assert "FLOPs / image" in table._repr_markdown_()


@pytest.mark.parametrize("s, text", [(0.0123, "12.3 ms"), (4.56, "4.56 s"), (600, "10 min"),
                                     (7200 * 2, "4 h"), (86400 * 3, "3 days")])
def test_format_seconds(s, text):
    assert costs.format_seconds(s) == text


def test_time_interleaved_runs_every_fn_in_rounds():
    order = []
    fns = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    out = costs.time_interleaved(fns, repeats=3, warmup=1)
    assert set(out) == {"a", "b"} and all(v >= 0 for v in out.values())
    assert order == ["a", "b"] * 4
    with pytest.raises(TypeError):
        costs.time_interleaved({})


def test_meta_flops_equal_a_real_count_without_running():
    import torch

    from ddpm_lessons import costs
    from ddpm_lessons.models import UNet

    build = lambda: UNet(image_size=8, in_channels=1, base_channels=8, channel_mults=(1, 2))  # noqa: E731
    params, flops = costs.meta_flops(build, (1, 8, 8), t=3)
    torch.manual_seed(0)
    real = build().eval()
    assert params == sum(p.numel() for p in real.parameters())
    assert flops == costs.flops_per_call(real, torch.randn(1, 1, 8, 8), torch.tensor([3])) > 0


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
