"""plots: each kind of figure draws what it is given, and the palette keeps one colour per sampler.

The figures are read back through matplotlib's own artists (lines, error bars, images, labels) on
the Agg backend; expected values are computed here from the inputs.
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from ddpm_lessons import SAMPLERS, plots  # noqa: E402
from ddpm_lessons.stats import Estimate  # noqa: E402

LABEL = {name: spec.label for name, spec in SAMPLERS.items()}


def _series(ax):
    """{legend label: (x, y, colour, error-bar segments or None)} of the error-bar series of an axes."""
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    out = {}
    for c in ax.containers:
        assert c.get_label() in legend  # every series is in the legend
        line = c.lines[0]
        segs = [s for coll in c.lines[2] for s in coll.get_segments()] if c.has_yerr else None
        out[c.get_label()] = (line.get_xdata(), line.get_ydata(), to_hex(line.get_color()), segs)
    return out


def test_curves_draws_one_line_per_series_with_its_data_and_2se_error_bars():
    x = [10, 20, 50]
    est = [Estimate(1.0, 0.1), Estimate(0.5, 0.05), Estimate(0.2, 0.02)]
    fig = plots.curves(x, {"ancestral": est, "plain numbers": [3.0, 2.0, 1.0], "own x": ([1, 2], [7.0, 8.0])},
                       xlabel="steps", ylabel="FD", title="FD falls with steps", logx=True)
    ax = fig.axes[0]
    series = _series(ax)
    assert list(series) == [LABEL["ancestral"], "plain numbers", "own x"]  # a sampler name shows its label
    xs, ys, _, segs = series[LABEL["ancestral"]]
    np.testing.assert_allclose(xs, x)
    np.testing.assert_allclose(ys, [1.0, 0.5, 0.2])
    # one vertical bar per point, from value − 2 se to value + 2 se
    np.testing.assert_allclose(np.array(segs), [[[10, 0.8], [10, 1.2]], [[20, 0.4], [20, 0.6]],
                                                [[50, 0.16], [50, 0.24]]])
    xs, ys, _, segs = series["plain numbers"]
    np.testing.assert_allclose(ys, [3.0, 2.0, 1.0])
    assert segs is None  # plain numbers carry no error bar
    xs, ys, _, _ = series["own x"]
    np.testing.assert_allclose(xs, [1, 2])
    np.testing.assert_allclose(ys, [7.0, 8.0])
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_xscale(), ax.get_yscale()) == ("steps", "FD", "log", "linear")
    assert fig._suptitle.get_text() == "FD falls with steps"


def test_curves_accepts_tensors_and_draws_reference_levels_with_their_band():
    fig = plots.curves(torch.tensor([1.0, 2.0]), {"ddim": torch.tensor([4.0, 3.0])}, "x", "y",
                       hlines={"floor": Estimate(2.0, 0.25), "zero": 0.0})
    ax = fig.axes[0]
    np.testing.assert_allclose(_series(ax)[LABEL["ddim"]][1], [4.0, 3.0])
    levels = {ln.get_label(): ln.get_ydata()[0] for ln in ax.lines if ln.get_label() in ("floor", "zero")}
    assert levels == {"floor": 2.0, "zero": 0.0}
    (band,) = ax.patches  # only the Estimate gets a ±2 se band
    ys = band.get_patch_transform().transform(band.get_path().vertices)[:, 1]  # in data units along y
    assert (ys.min(), ys.max()) == pytest.approx((1.5, 2.5))


def test_image_grid_shows_n_images_as_given_mapped_from_minus_one_one_to_zero_one():
    imgs = torch.linspace(-1.5, 1.5, 5 * 4 * 4).reshape(5, 1, 4, 4)  # values beyond [−1, 1] as well
    fig = plots.image_grid(imgs, title="five", ncol=3, labels=list("abcde"))
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 6 and len(shown) == 5  # 2 rows × 3 columns, the last cell empty
    assert not fig.axes[5].axison
    for k, ax in enumerate(shown):
        expected = np.clip((imgs[k, 0].numpy() + 1) / 2, 0, 1)
        np.testing.assert_allclose(ax.images[0].get_array(), expected, atol=1e-7)
        assert ax.images[0].get_clim() == (0, 1) and ax.get_xlabel() == "abcde"[k]


def test_image_grid_shows_rgb_images_channel_last():
    img = torch.zeros(1, 3, 2, 2)
    img[0, 0] = 1.0  # red channel full
    fig = plots.image_grid(img)
    arr = np.asarray(fig.axes[0].images[0].get_array())
    assert arr.shape == (2, 2, 3)
    np.testing.assert_allclose(arr[..., 0], 1.0)
    np.testing.assert_allclose(arr[..., 1:], 0.5)


def test_image_rows_one_row_per_entry_labelled_with_its_label():
    rows = {"DDIM": torch.zeros(3, 1, 4, 4), "ancestral": torch.zeros(2, 1, 4, 4)}
    fig = plots.image_rows(rows, col_labels=["α=0", "α=0.5", "α=1"])
    assert len(fig.axes) == 6
    assert sum(bool(ax.images) for ax in fig.axes) == 5  # the short row leaves one cell empty
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["DDIM", "ancestral"]
    assert [ax.get_xlabel() for ax in fig.axes[3:5]] == ["α=0", "α=0.5"]


def test_scatter_2d_one_panel_per_entry_with_its_points_over_the_data():
    pts = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    data = torch.zeros(7, 2)
    fig = plots.scatter_2d({"ddim": pts, ("naive", "naive, 10 visits"): pts + 1}, data=data, title="2D")
    assert [ax.get_title() for ax in fig.axes] == [LABEL["ddim"], "naive, 10 visits"]
    assert to_hex(fig.axes[1].collections[1].get_facecolor()[0]) == to_hex(SAMPLERS["naive"].color)
    for ax, offset in zip(fig.axes, (0, 1)):
        grey, mine = ax.collections
        assert len(grey.get_offsets()) == 7
        np.testing.assert_allclose(mine.get_offsets(), pts.numpy() + offset)


# ----------------------------------------------------------------------------------- the palette
def test_palette_colours_are_distinct_and_each_sampler_keeps_its_registry_colour_across_figures():
    assert len({to_hex(c) for c in plots.PALETTE.values()}) == len(plots.PALETTE)
    one = _series(plots.curves([1, 2], {"ddim": [1, 2], "ancestral": [2, 3]}, "x", "y").axes[0])
    two = _series(plots.curves([1, 2], {"something else": [0, 1], "ancestral": [2, 3], ("ddim", "DDIM, 50 steps"): [1, 2]},
                               "x", "y").axes[0])
    assert one[LABEL["ddim"]][2] == two["DDIM, 50 steps"][2] == to_hex(SAMPLERS["ddim"].color)
    assert one[LABEL["ancestral"]][2] == two[LABEL["ancestral"]][2] == to_hex(SAMPLERS["ancestral"].color)


def test_colours_come_from_the_registry_never_from_parsing_a_label():
    """A plain label that mentions a sampler is just a label: it gets a spare colour, not the sampler's."""
    series = _series(plots.curves([1], {"DDIM η=0, 50 steps": [1], "naive stride 10": [2]}, "x", "y").axes[0])
    assert not {series["DDIM η=0, 50 steps"][2], series["naive stride 10"][2]} & {to_hex(c) for c in plots.PALETTE.values()}
    with pytest.raises(ValueError, match="sampler"):
        plots.curves([1], {("euler", "Euler"): [1]}, "x", "y")


def test_series_that_name_no_sampler_get_distinct_colours_never_a_samplers():
    series = _series(plots.curves([1], {f"curve {k}": [k] for k in range(8)} | {"ddim": [9]}, "x", "y").axes[0])
    others = [series[f"curve {k}"][2] for k in range(8)]
    assert len(set(others)) == 8  # more series than the default cycle has free colours, still all distinct
    assert not set(others) & {to_hex(c) for c in plots.PALETTE.values()}


def test_figures_are_detached_from_pyplot_so_jupyter_shows_them_once():
    import matplotlib.pyplot as plt

    plt.close("all")
    fig = plots.curves([1, 2], {"ddim": [1, 2]}, "x", "y")
    assert fig.number not in plt.get_fignums()
