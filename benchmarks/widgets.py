"""Latency of the live apps, driven from Python without a browser.

Each app is built live (``static=False``; ipywidgets needs no frontend for this) on the models the
notebooks use: the interpolation app of notebook 04 on the shipped 16×16 MNIST UNet, the DDIM
explorer of notebook 06 on the exact swiss-roll model. A "hand" then sets one control at a time
(``app.controls[name].value = v``) and the clock stops when the app shows the frame for the new
values (``app.state.last_key``; the observers are synchronous, so this is when the setter returns).
That is the kernel's share of a slider move: the frontend only swaps the PNG it receives.

Reported per control: how many changes, what they cost the app (recomputes / PNG renders / cache
lookups), median and worst latency. α and η moves walk the slider like a hand (mostly one notch,
sometimes a jump), reported separately for first visits of a frame (a PNG render) and revisits (a
lookup); seed, path and steps changes each go to values not seen before (a recompute) except
where stated. Bars: α/η moves ≤ 150 ms median, seed/path/steps
changes ≤ 1.5 s median (on 2 CPU cores).
"""
from __future__ import annotations

import os
import random
import statistics
import time

import torch

from ddpm_lessons import GaussianMixture, NoiseSchedule, widgets

BARS = {"move_ms": 150.0, "recompute_ms": 1500.0}
MOVES = 30


def _set(app, name, value, timeout=600.0):
    """(wall seconds, CPU seconds of this process) from setting ``name`` to the app showing the
    frame for the new control values."""
    before = (app.state.recomputes, app.state.renders, app.state.lookups)
    start, cpu = time.perf_counter(), time.process_time()
    app.controls[name].value = value
    while (app.state.recomputes, app.state.renders, app.state.lookups) == before:  # not yet updated
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{name} = {value!r}: the app did not update within {timeout} s")
        time.sleep(0.001)
    return time.perf_counter() - start, time.process_time() - cpu


def _walk(n_points, moves, seed=0):
    """Grid indices a hand visits from the middle: mostly ±1 notch, every fifth move a jump; every
    move changes the value (a slider set to its own value sends no event)."""
    rng, k, out = random.Random(seed), n_points // 2, []
    for m in range(moves):
        if m % 5 == 4:
            k = rng.choice([j for j in range(n_points) if j != k])
        else:
            step = rng.choice((-1, 1))
            k = k + step if 0 <= k + step < n_points else k - step
        out.append(k)
    return out


def _row(app_name, control, times, counts, bar_ms):
    """(app, control, changes, recomputes / renders / lookups, median ms, worst ms, median CPU ms, bar, ok);
    ``times`` holds (wall, CPU) seconds per change; the bar is on the median wall time."""
    wall = [w * 1e3 for w, _ in times]
    cpu = statistics.median(c * 1e3 for _, c in times)
    med = statistics.median(wall)
    ok = True if bar_ms is None else med <= bar_ms  # None: reported, not barred (the app's one-off build)
    row = (app_name, control, len(wall), "{} / {} / {}".format(*counts), med, max(wall), cpu,
           "—" if bar_ms is None else bar_ms, ok)
    print(f"  widgets {app_name:13s} {control:22s} n={row[2]:3d} (recomputes/renders/lookups {row[3]:>10s}): "
          f"median {med:7.1f} ms, worst {row[5]:7.1f} ms, median CPU {cpu:7.1f} ms", flush=True)
    return row


def _counts(app):
    return (app.state.recomputes, app.state.renders, app.state.lookups)


def _drive(app, app_name, name, values, bar_ms, label=None):
    c0 = _counts(app)
    times = [_set(app, name, v) for v in values]
    return _row(app_name, label or name, times, [b - a for a, b in zip(c0, _counts(app))], bar_ms)


def _drive_moves(app, app_name, name, values, label=None):
    """Slider moves, reported twice: first visits of a frame (a PNG render from cached samples) and
    revisits (a cache lookup), so the lookups cannot hide the cost of a render in the median."""
    label = label or name
    groups = {"render": ([], [0, 0, 0]), "lookup": ([], [0, 0, 0])}
    for v in values:
        c0 = _counts(app)
        t = _set(app, name, v)
        d = [b - a for a, b in zip(c0, _counts(app))]
        times, counts = groups["render" if d[1] else "lookup"]
        times.append(t)
        counts[:] = [x + y for x, y in zip(counts, d)]
    return [_row(app_name, f"{label}: {kind}", times, counts, BARS["move_ms"])
            for kind, (times, counts) in groups.items() if times]


def _build(app_name, make):
    start, cpu = time.perf_counter(), time.process_time()
    app = make()
    times = [(time.perf_counter() - start, time.process_time() - cpu)]
    # building the app (first network calls, allocator warm-up) is a one-off, not a control change
    return app, _row(app_name, "build (first batch)", times, _counts(app), None)


def interpolation(bundle, clip_x0=None) -> list:
    app, build = _build("interpolation", lambda: widgets.interpolation_app(
        bundle.model, bundle.schedule, bundle.sample_shape, seed=3, static=False, clip_x0=clip_x0))
    n = widgets.ALPHA_POINTS
    rows = [build,
            *_drive_moves(app, "interpolation", "alpha", [k / (n - 1) for k in _walk(n, MOVES)]),
            _drive(app, "interpolation", "seed", [11, 12, 13], BARS["recompute_ms"])]
    # slerp → lerp on fresh seeds (each toggle a recompute); the seed changes in between are not timed
    times, c = [], [0, 0, 0]
    for s in (21, 22):
        app.controls["path"].value = "slerp"
        app.controls["seed"].value = s
        before = _counts(app)
        times.append(_set(app, "path", "lerp"))
        c = [x + b - a for x, a, b in zip(c, before, _counts(app))]
    rows.append(_row("interpolation", "path (new batch)", times, c, BARS["recompute_ms"]))
    rows.append(_drive(app, "interpolation", "path", ["slerp", "lerp", "slerp"], BARS["move_ms"],
                       label="path (cached batch)"))
    return rows


def explorer() -> list:
    schedule = NoiseSchedule.linear()
    mixture = GaussianMixture.preset("swiss_roll")
    model = mixture.eps_model(schedule)
    data = mixture.sample(3000, torch.Generator().manual_seed(0))
    # the call of notebook 06 (4 paths per panel)
    app, build = _build("explorer", lambda: widgets.ddim_explorer(model, schedule, data=data, steps=50, seed=1,
                                                                  n_paths=4, lim=3.0, static=False))
    n = widgets.ETA_POINTS
    rows = [build,
            *_drive_moves(app, "explorer", "eta", [k / (n - 1) for k in _walk(n, MOVES)]),
            _drive(app, "explorer", "seed", [11, 12, 13], BARS["recompute_ms"])]
    small = [s for s in widgets.EXPLORER_STEPS if s != 50 and s <= 250]
    rows.append(_drive(app, "explorer", "steps", small, BARS["recompute_ms"],
                       label=f"steps → {', '.join(map(str, small))}"))
    for big in (s for s in widgets.EXPLORER_STEPS if s > 250):
        rows.append(_drive(app, "explorer", "steps", [big], BARS["recompute_ms"], label=f"steps → {big}"))
    rows += _drive_moves(app, "explorer", "eta", [k / (n - 1) for k in _walk(n, 10, seed=1)],
                         label=f"eta at {app.controls['steps'].value} steps")
    return rows


def run(bundles: dict) -> list:
    """Rows (app, control, changes, recomputes / renders / lookups, median ms, worst ms, median CPU ms,
    bar ms, ok)."""
    mnist = bundles["mnist"]
    clip = getattr(mnist, "clip_x0", None)
    if clip is None:
        clip = (getattr(mnist, "metadata", None) or {}).get("clip_x0", 1.0)  # MNIST data lie in [-1, 1]
    load = os.getloadavg()[0]
    print(f"  widgets: load average before {load:.2f} on {os.cpu_count()} CPUs", flush=True)
    rows = interpolation(mnist, clip_x0=clip) + explorer()
    print(f"  widgets: load average after {os.getloadavg()[0]:.2f}", flush=True)
    return rows


def load_note() -> str:
    load = os.getloadavg()[0]
    return f"load average {load:.1f} on {os.cpu_count()} CPUs at the end of the run"
