# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Quality versus speed, measured
#
# Ancestral sampling calls the network once per step, so the obvious way to speed it up is to take fewer steps. This notebook measures what that costs, first with figures and then with the numbers behind them (full tables sit in collapsible boxes and in the appendix). Three models: a 2D swiss roll with the **exact** noise predictor (only the sampler can be wrong), a small network trained on the same swiss roll, and the chapter's 16×16 MNIST model. Three ways of taking fewer steps: naive striding, correctly respaced ancestral sampling, and DDIM.
#
# **Learning objectives**
# - Tell apart the ways of "taking fewer steps": wrong coefficients (naive), correct coefficients (respacing, with variance σ² = β or β̃), and a different update (DDIM η = 0).
# - Read a quality number with its error bar and beside its noise floor; know what the energy distance measures and what log-likelihood cannot.
# - See that *which* timesteps a short chain keeps (leading or trailing spacing) can matter as much as how many.
# - Relate measured growth rates to theory: DDIM is first order, so squared distances should grow like the square of the skip.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/05_tradeoff.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/05_tradeoff.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F05_tradeoff.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebooks 01–02 (ancestral step, naive striding); logarithms and log–log plots · **Time to read** ~25 min · **Time to run** ~1.5 min (laptop CPU) · **Exercises** 3, ~18 min
# <!-- /prereq -->

# %% slideshow={"slide_type": "skip"}
# --- colab/kaggle setup (written by make badges) ---
# On Colab or Kaggle: fetch the chapter's package and data once, install only what the platform
# lacks (never its torch, ipywidgets or Jupyter), and make the package importable without a restart.
# Safe to re-run. On Kaggle, first switch on "Internet" in the notebook's settings (the clone needs it).
import os
import sys

REPO_URL = "https://github.com/ddpm-lessons/ddpm-lessons"
HOSTED_DIRS = {"colab": "/content/ddpm-lessons", "kaggle": "/kaggle/working/ddpm-lessons"}
HOST = "colab" if "google.colab" in sys.modules else "kaggle" if "KAGGLE_KERNEL_RUN_TYPE" in os.environ else None
if HOST:
    import importlib.metadata, importlib.util, subprocess

    def _hosted_run(*command):  # show the command's own message in the notebook if it fails
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            hint = "\nOn Kaggle, switch on Internet in the notebook's settings." if HOST == "kaggle" else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{hint}")

    REPO_DIR = HOSTED_DIRS[HOST]
    if not os.path.isdir(REPO_DIR):
        _hosted_run("git", "clone", "-q", "--depth", "1", REPO_URL, REPO_DIR)
    try:
        importlib.metadata.version("ddpm-lessons")
    except importlib.metadata.PackageNotFoundError:
        _hosted_run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", REPO_DIR)
        missing = [m for m in ("torch", "numpy", "matplotlib", "tqdm", "ipywidgets")
                   if importlib.util.find_spec(m) is None]
        if missing:  # Colab ships all five; elsewhere, install what is absent
            _hosted_run(sys.executable, "-m", "pip", "install", "-q", *missing)
    if REPO_DIR not in sys.path:
        sys.path.insert(0, REPO_DIR)
    if HOST == "colab":
        import ipywidgets
        if int(ipywidgets.__version__.split(".")[0]) >= 8:
            from google.colab import output
            output.enable_custom_widget_manager()
# --- end colab/kaggle setup ---

import torch
import ddpm_lessons as dl

device = dl.default_device()
print(f"device: {dl.device_name(device)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims you may read, and what the literature says
#
# > You may read a table of FID against the number of steps for "skipping steps" — 1000: 3.17, 500: 4.85, 250: 8.42, 100: 18.73, 50: 45.62, 25: 89.31 — and that the error "grows quadratically with the skip size".
#
# Only 3.17 traces to a paper: DDPM's CIFAR-10 FID at 1000 steps (Ho et al. 2020). The rest is unsourced and does not match the published measurements. Table 1 of the DDIM paper (Song et al. 2021, CIFAR-10, FID; S = number of steps):
#
# | sampler (DDIM Table 1 row) | S = 10 | 20 | 50 | 100 | 1000 |
# |---|---|---|---|---|---|
# | DDIM, η = 0 | 13.36 | 6.84 | 4.67 | 4.16 | 4.04 |
# | η = 1 (respaced DDPM, σ² = β̃) | 41.07 | 18.36 | 8.01 | 5.78 | 4.73 |
# | σ̂ (respaced DDPM, σ² = β) | 367.43 | 133.37 | 32.72 | 9.99 | 3.17 |
#
# The σ̂ row is the respaced version of the sampler of notebooks 01–04 (σ² = β); its 1000-step entry is DDPM's 3.17. That table was measured with **leading** timesteps (900, 800, …, 0 for 10 steps, DDIM's code). No paper shows a "quadratic" law. DDIM is a *first-order* method (Lu et al. 2022, DPM-Solver): its error in the samples is $O(h)$ in the skip $h = T/S$, so a *squared* distance between distributions (energy distance below, FID) should grow like $h^2$ while $h$ is small. We measure both things.
#
# ### Three ways to take fewer steps
#
# | sampler | what it does with a kept sub-sequence $\tau$ of timesteps |
# |---|---|
# | **naive stride** | visits $\tau$ but keeps DDPM's *single-step* $\alpha_t, \beta_t$: each visit removes one step's worth of noise |
# | **respaced ancestral** | DDPM's update on the *respaced* schedule $\beta^{new}_k = 1 - \bar\alpha_{\tau_k}/\bar\alpha_{\tau_{k-1}}$ (Nichol & Dhariwal 2021), with $\sigma^2 = \beta^{new}$ (Table 1's σ̂) or $\tilde\beta^{new}$ (exactly DDIM η = 1) |
# | **DDIM η = 0** | a deterministic update over the same $\tau$ (DDIM eq. 12; notebook 06) |
#
# The first step of a 10-step chain shows the difference. Every update has the form $x \leftarrow c_x x + c_\varepsilon \hat\varepsilon + \sigma z$:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
schedule = dl.NoiseSchedule.linear()
ts = schedule.timesteps(10, "trailing")  # 999, 899, ..., 99: the naive stride's timesteps
tables = {"naive stride": dl.naive_strided_table(schedule, ts),
          "respaced, σ²=β": dl.ancestral_table(schedule, ts, variance="beta"),
          "DDIM η=0": dl.ddim_table(schedule, ts, eta=0.0)}
first = dl.Table(["sampler", "t seen by the network", "c_x", "c_eps", "σ"],
                 [[name, int(tab.t_model[0]), tab.c_x[0], tab.c_eps[0], tab.sigma[0]] for name, tab in tables.items()],
                 floatfmt=".4f", caption="First reverse step (t = 999 → 899) of a 10-step chain; linear schedule, T = 1000.")
naive_t, resp_t = tables["naive stride"], tables["respaced, σ²=β"]
assert abs(naive_t.c_eps[0]) < abs(resp_t.c_eps[0]) / 5, "naive removes far less predicted noise per visit"
assert int(naive_t.t_model[0]) == int(resp_t.t_model[0]) == 999, "both call the network at the same timestep"
first

# %% [markdown] slideshow={"slide_type": "-"}
# Both chains call the network at $t = 999$, but naive striding removes only a small fraction of the predicted noise: it reuses the single-step $\beta_{999}$ where the respaced chain uses $1 - \bar\alpha_{999}/\bar\alpha_{899}$. Over ten visits most of $x_T$'s noise is never taken out. That is a bug in the coefficients, not a limit on how few steps a diffusion model can take.
#
# ## Energy distance: a two-sided distance between point clouds
#
# To score 2D samples we compare them with fresh samples of the true data using the **energy distance** (Székely & Rizzo):
#
# $$\mathcal E(X, Y) = 2\,\mathbb E\|X - Y\| - \mathbb E\|X - X'\| - \mathbb E\|Y - Y'\|,$$
#
# where $X, X'$ are independent draws from one distribution and $Y, Y'$ from the other. It is 0 exactly when the two distributions are equal and grows as they move apart, whether the samples are too spread out *or* too concentrated. Like FID it behaves as a **squared** distance: shift a cloud by a small $d$ and $\mathcal E$ grows like $d^2$. With finite samples even two sets from the *same* distribution score above 0: that **floor** is the smallest value any sampler can reach at that sample size.

# %% slideshow={"slide_type": "fragment"}
g = dl.seed(0)
n = 4000
cloud = torch.randn(n, 2, generator=g)
shifted = lambda d, m, gen: torch.randn(m, 2, generator=gen) + torch.tensor([d, 0.0])
same = dl.metrics.energy_distance(shifted(0.0, n, g), cloud)
shifts = [0.125, 0.25, 0.375, 0.5, 1.0]
energy = {d: dl.metrics.energy_distance(shifted(d, n, g), cloud) for d in shifts}
small = [d for d in shifts if d <= 0.5]
law = dl.fit_power_law(small, [energy[d] - same for d in small])
print(f"same distribution: E = {same:.4f} (the floor at n = {n})")
print("  ".join(f"shift {d}: E = {e:.4f}" for d, e in energy.items()))
print(f"E − floor grows like shift^p for shifts ≤ 0.5: p = {law}")
assert law.measurable and law.ci[0] < 2 < law.ci[1] and abs(law.exponent - 2) < 0.3, "energy distance acts as a squared distance"
energy[0.0] = same
dl.plots.scatter_2d({f"shift {d}: E = {energy[d]:.3f}": shifted(d, 400, dl.seed(1))
                     for d in (0.0, 0.5, 1.0)}, data=cloud[:400], lim=4, size=3.4,
                    title="Energy distance between a cloud (grey) and a shifted copy: it grows like the shift squared")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The exact-score swiss roll
#
# `GaussianMixture.preset("swiss_roll").eps_model(schedule)` returns the exact optimal $\varepsilon^*$ of a 48-component mixture, so any loss of quality comes from the sampler alone. Every sampler starts from the same `N` noises; for each run we report
#
# - the **energy distance** to fresh true samples (mean ± se over 5 groups of `N/5`), beside its floor (two fresh true sets, mean ± sd over 5 draws);
# - the **mean log-likelihood** under the true mixture (± se), beside that of real data. It is one-sided: samples that pile up on the mixture's centres score *higher* than real data.
#
# We first use DDIM Table 1's protocol, **leading** spacing (900, …, 0 for 10 steps), then the **trailing** spacing (999, …, 99) that naive striding uses.

# %% slideshow={"slide_type": "-"}
N_EXACT = dl.pick(reader=2000, fast=1000, cuda=10000)
GRID = dl.pick(reader=[100, 50, 20, 10, 8, 5, 4], fast=[100, 10, 5, 4])
CORRECT = ["ancestral", "ancestral_beta_tilde", "ddim"]
LABEL = {"naive": "naive stride", "ancestral": "respaced ancestral σ²=β (σ̂)",
         "ancestral_beta_tilde": "respaced ancestral σ²=β̃ (η=1)", "ddim": "DDIM η=0"}
mixture = dl.GaussianMixture.preset("swiss_roll")
exact_model = mixture.eps_model(schedule)

def run_2d(model, spacing, samplers, grid, n, keep=400, **kw):
    analyzer = dl.analysis.AncestralSamplingAnalyzer(model, schedule, (2,), mixture=mixture, spacing=spacing, progress=False)
    return analyzer.measure_step_degradation(n, grid, samplers, seed=0, keep=keep, mse_floor=False, **kw)

ex = {"leading": run_2d(exact_model, "leading", CORRECT, GRID, N_EXACT, reference_steps=max(GRID)),
      "trailing": run_2d(exact_model, "trailing", ["naive"] + CORRECT, GRID, N_EXACT, reference_steps=max(GRID))}
floor = ex["leading"].floor
print(f"N = {N_EXACT}; energy-distance floor {floor['energy_distance']:.3g}; real-data log-likelihood {floor['log_likelihood']:.3g}")


# %% slideshow={"slide_type": "-"}
def panel_title(spacing, samplers):
    protocol = " (DDIM Table 1's protocol)" if spacing == "leading" else ""
    return f"{spacing} spacing{protocol}" + ("; naive: its own stride" if spacing == "leading" and "naive" in samplers else "")

def panels(results, key, ylabel, title, hline_label, samplers=("naive", *CORRECT), logx=True, logy=False):
    """One panel per spacing; the naive stride (which has no spacing) is drawn from the trailing run."""
    src = lambda s, res: results.get("trailing", res) if s == "naive" else res  # noqa: E731
    ys = {panel_title(sp, samplers): {LABEL[s]: src(s, res).select(s, key) for s in samplers
                                      if any(r["sampler"] == s for r in src(s, res).rows)}
          for sp, res in results.items()}
    hl = {panel_title(sp, samplers): {hline_label: res.floor[key]} for sp, res in results.items()}
    return dl.plots.curves_panels(ys, "number of steps (network calls)", ylabel, title, hlines=hl, logx=logx, logy=logy)

panels(ex, "energy_distance", "energy distance to true data (±2 se)",
       "Energy distance: naive striding stays off the floor; the correct samplers reach it by 10–20 steps",
       "true vs true (floor ±2 sd)")

# %% slideshow={"slide_type": "-"}
panels(ex, "log_likelihood", "mean log-likelihood (nats, ±2 se)",
       "Log-likelihood: naive at 100 steps is worse than any correct sampler at 10; σ̂ needs trailing spacing",
       "real data")

# %% [markdown] slideshow={"slide_type": "-"}
# The grey band is the floor (true against true, ±2 sd) or the real-data level. Read the two figures together:
#
# - **Naive striding** is far below every correct sampler at the same number of network calls, and at 100 steps it is still worse than the correct samplers at 10: its coefficients are wrong, and more steps do not repair that. (In energy distance, at 4–5 steps DDIM and the β̃ chain are as far off as naive striding — so few steps miss the roll's shape — but from 10 steps on naive is the only sampler that stays off the floor.)
# - **Leading spacing** (left) hurts the σ̂ chain most: its last noisy step (100 → 0 for 10 steps) adds noise of variance $1 - \bar\alpha_{100}/\bar\alpha_0 \approx 0.1$ that the final, nearly noise-free step cannot remove. This is the mechanism behind Table 1's σ̂ = 367 at 10 steps. **Trailing spacing** (right) ends the chain with a large denoising step from $t = 99$ instead, and the σ̂ chain's log-likelihood deficit shrinks by more than half.
# - The **energy distance** hardly reacts to that blur at this `N`, while the log-likelihood does: the two measures see different defects. At 5 steps they even disagree about which spacing is better (table below): leading leaves a fine blur (bad log-likelihood), trailing's final jump from $t = 199$ pulls samples towards averages of nearby arms (bad energy distance).
#
# Each claim is asserted below with error bars (difference > 3 combined standard errors). The full numbers follow in a collapsible table.

# %% slideshow={"slide_type": "fragment"}
lead, trail = ex["leading"], ex["trailing"]
LL = "log_likelihood"
for steps in [s for s in GRID if s <= 20]:
    for s in CORRECT:
        for res in (lead, trail):
            assert dl.clearly_less(trail.value("naive", steps, LL), res.value(s, steps, LL)), f"{s} beats naive at {steps} steps"
naive_100 = trail.value("naive", 100, LL)
for s in CORRECT:
    for res in (lead, trail):
        assert dl.clearly_less(naive_100, res.value(s, 10, LL)), f"naive at 100 steps is worse than {s} at 10"
assert dl.clearly_less(lead.value("ancestral", 10, LL), trail.value("ancestral", 10, LL)), \
    "σ̂ at 10 steps: trailing spacing clearly beats leading in log-likelihood"
ED = "energy_distance"
assert dl.clearly_less(lead.value("ancestral", 5, ED), trail.value("ancestral", 5, ED)) and \
    dl.clearly_less(lead.value("ancestral", 5, LL), trail.value("ancestral", 5, LL)), \
    "σ̂ at 5 steps: the two measures disagree about which spacing is better"
print(f"log-likelihood at 10 steps: naive {trail.value('naive', 10, LL):.3g}; naive at 100 steps {naive_100:.3g}; "
      f"σ̂ leading {lead.value('ancestral', 10, LL):.3g}, σ̂ trailing {trail.value('ancestral', 10, LL):.3g}; "
      f"real data {floor[LL]:.3g}")


# %% slideshow={"slide_type": "-"}
def rows_2d(res, spacing):
    return [[LABEL[r["sampler"]], r["steps"], "own stride" if r["sampler"] == "naive" else spacing,
             r["energy_distance"], r[LL], 1e3 * r["seconds_per_sample"]] for r in res.rows]

HEAD_2D = ["sampler", "steps", "spacing", "energy distance", "log-likelihood", "ms / sample"]
rows = rows_2d(lead, "leading") + rows_2d(trail, "trailing")
rows.append(["true data (floor: mean ± sd; log-lik ± se)", "–", "–", floor["energy_distance"], floor[LL], "–"])
dl.Table(HEAD_2D, rows, caption=f"N = {N_EXACT} samples per row from the same x_T; energy distance mean ± se "
                                f"over 5 groups of {N_EXACT // 5}; time on {dl.device_name(device)}."
         ).folded("Full table: exact swiss roll, both spacings (click to open)")

# %% [markdown] slideshow={"slide_type": "-"}
# A picture of the 10-step samples (the first 400 of each run) makes the defects visible: naive striding leaves most of the noise in; σ̂ with leading spacing leaves a blur around the roll; the other chains land on it.

# %% slideshow={"slide_type": "-"}
dl.plots.scatter_2d({"naive stride": trail.samples[("naive", 10)], "ancestral σ̂, leading": lead.samples[("ancestral", 10)],
                     "ancestral σ̂, trailing": trail.samples[("ancestral", 10)], "ancestral β̃ (η=1), leading": lead.samples[("ancestral_beta_tilde", 10)],
                     "DDIM η=0, leading": lead.samples[("ddim", 10)]},
                    data=mixture.sample(2000, dl.seed(1)), size=3.0,
                    title="10 steps: naive leaves the noise in, leading σ̂ leaves a blur, the others land on the roll")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Too concentrated: what log-likelihood rewards and energy distance misses at this N
#
# Respaced ancestral sampling has a free choice of variance: $\beta_t$ (optimal if the data were $\mathcal N(0, I)$) or $\tilde\beta_t$ (optimal if the data were one point). With enough steps the $\tilde\beta$ chain (DDIM η = 1) scores a **higher** log-likelihood than real data, and so does **DDIM η = 0** with trailing spacing: their samples sit slightly too close to the centres of the mixture components. A one-sided measure counts that as a gain. The energy distance would count it as a loss, but at this `N` the effect is smaller than its error bar: it **cannot detect** the over-concentration, which is not the same as not penalising it.

# %% slideshow={"slide_type": "-"}
st = max(GRID)
real = floor[LL]
for s in ("ancestral_beta_tilde", "ddim"):
    ll, ed = trail.value(s, st, LL), trail.value(s, st, "energy_distance")
    print(f"{LABEL[s]}, {st} steps (trailing): log-likelihood {ll:.3g} vs real data {real:.3g}; "
          f"energy distance {ed:.3g} vs floor {floor['energy_distance']:.3g}")
    assert dl.clearly_less(real, ll), f"{s} scores clearly ABOVE real data in log-likelihood at {st} steps"
    assert not dl.clearly_different(ed, floor["energy_distance"]), f"{s}: the energy distance cannot tell at this N"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · How fast does the error grow with the skip?
#
# DDIM η = 0 is a first-order solver: each sample is off by $O(h)$, $h = T/S$. A squared distance between the sample distribution and the target — the energy distance here, FID for images — should therefore grow like $h^2$ once $h$ is small enough, and not at all like "quadratically in the broken sampler". We fit $\text{excess} \propto h^p$ with `DegradationResult.exponent`, which uses only step counts whose excess is clearly above the noise (> 3 se) and reports "not measurable" when fewer than 3 remain.
#
# What the excess is measured against matters. On the exact model the target is the true data, so the excess is the energy distance minus the floor (the floor's mean, whose se is sd/√5). On a **trained** network the sampler converges, as $h \to 0$, to the network's own distribution, not to the data: its deficit must be measured against that model's own 1000-step result, or the network's fixed error flattens the fit.

# %% slideshow={"slide_type": "-"}
N_TOY = dl.pick(reader=600, fast=200, cuda=5000)
GRID_TOY = dl.pick(reader=[1000, 20, 10, 8, 5, 4], fast=[1000, 10, 5, 4])
toy = dl.load_pretrained("toy2d", device)
tr = run_2d(toy.model, "leading", ["ddim"], GRID_TOY, N_TOY, reference_steps=min(GRID_TOY))
own = tr.value("ddim", 1000, "energy_distance")
fl_ed = floor["energy_distance"]
floor_mean = lambda f: dl.Estimate(f.value, f.se / f.n ** 0.5)  # the floor's mean over its draws
fits = {(s, "exact, leading"): lead.exponent(s, "energy_distance", baseline=floor_mean(lead.floor["energy_distance"])) for s in CORRECT}
fits.update({(s, "exact, trailing"): trail.exponent(s, "energy_distance", baseline=floor_mean(trail.floor["energy_distance"]))
             for s in ["naive"] + CORRECT})
fits[("ddim", "trained, vs its own 1000 steps")] = tr.exponent("ddim", "energy_distance", baseline=own)
fits[("ddim", "trained, vs real data")] = tr.exponent("ddim", "energy_distance", baseline=floor_mean(tr.floor["energy_distance"]))
print(f"trained 2D MLP, DDIM at 1000 steps: energy distance {own:.3g} (floor {tr.floor['energy_distance']:.3g}), "
      f"log-likelihood {tr.value('ddim', 1000, LL):.3g} (real data {tr.floor[LL]:.3g})")
dl.Table(["sampler", "model, excess measured against", "exponent p of energy-distance excess ∝ h^p [95 % CI]"],
         [[LABEL[s], where, str(f)] for (s, where), f in fits.items()],
         caption=f"Exact model N = {N_EXACT}, trained model N = {N_TOY}; theory for a first-order sampler: p → 2 as h → 0.")

# %% slideshow={"slide_type": "fragment"}
ll_fit = tr.exponent("ddim", LL, baseline=tr.value("ddim", 1000, LL))
print(f"trained model, DDIM log-likelihood deficit against its own 1000 steps: p = {ll_fit}")
measured = {k: f for k, f in fits.items() if f.measurable}
print(f"measurable fits: {len(measured)} of {len(fits)}")
assert fits[("naive", "exact, trailing")].measurable is False or fits[("naive", "exact, trailing")].exponent < 1, \
    "naive striding does not follow a squared law: it saturates"
for (s, where), f in measured.items():
    if s == "ddim" and "real data" not in where:
        assert f.ci[0] < 2 < f.ci[1], f"DDIM ({where}): the 95 % interval contains 2, as for a squared distance of an O(h) error"

# %% [markdown] slideshow={"slide_type": "-"}
# How to read the table (where a fit is "not measurable", fewer than 3 step counts stood clearly above the noise at this `N`):
#
# - **DDIM η = 0 on the exact model grows like $h^2$**: the fitted exponent is close to 2 and its 95 % interval contains 2 (asserted), as expected for a squared distance of an $O(h)$ error. The respaced chains come out near 2 as well, except **σ̂ with leading spacing**, whose error at these step counts is dominated by the blur of its last noisy step — a defect the energy distance barely sees (section 1), not the discretisation error the law describes.
# - The fits use only the short chains (4–20 steps, $h$ = 50–250), where the excess clears the noise; with the exact score every correct sampler sits at the floor from about 20 steps on. Treat the exponent as a local slope. More samples shrink the floor like $1/N$ and bring smaller skips into the fit.
# - **Naive striding does not follow a power law** in the skip: its error is already large at 100 steps and saturates once the output is mostly leftover noise (exponent far below 1). The circulating "quadratic growth" describes neither it nor the published FIDs (fitting DDIM Table 1 gives slopes between about 0.5 and 1.9 in $h$).
# - On the **trained** network, the 1000-step DDIM samples already score clearly below real data in log-likelihood (printed above): that is the network's own error, present at every step count. Against real data the excess would be that constant plus the sampler's error, which flattens the fit; against the model's own 1000-step result only the sampler's error remains. At this `N` the energy distance resolves too few step counts for a fit on the trained model, while the more sensitive log-likelihood deficit (not a squared distance, so no $h^2$ law is implied) does give a measurable slope (printed above).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · The MNIST model
#
# For images the distance is the **Fréchet distance (FD) in the features of a small MNIST classifier** — the same formula as FID, a squared distance, but in features that respond to digit shape (not Inception; see `dl.metrics`). The reference is the held-out digits; the **floor** is FD of random sets of real training digits of the same size against the same reference (mean ± sd over 5 draws). FD needs more samples than feature dimensions, so on a CPU we keep `N` small and project the classifier's 128 features onto their top `FEATURE_DIMS` principal directions (32 here, with `N` = 128); on a GPU all 128 features and 512 samples are used. Every sampler clips its predicted $\hat x_0$ to the data range $[-1, 1]$ (`clip_x0=bundle.clip_x0`), as DDPM's own sampler does. We also report the fraction of samples the classifier labels with ≥ 90 % confidence.

# %% slideshow={"slide_type": "-"}
mn = dl.load_pretrained("mnist", device)
clf = dl.load_pretrained("mnist-features", device).model
held, _ = dl.load_mnist("heldout")
train, _ = dl.load_mnist("train")
N_MNIST = dl.pick(reader=128, fast=32, cuda=512)
FEATURE_DIMS = dl.pick(reader=32, fast=16, cuda=None)
GRID_MNIST = dl.pick(reader=[20, 10], fast=[10], cuda=[100, 50, 20, 10])

def run_mnist(spacing, samplers):
    analyzer = dl.analysis.AncestralSamplingAnalyzer(
        mn.model, mn.schedule, mn.sample_shape, classifier=clf, reference_images=held, floor_images=train,
        feature_dims=FEATURE_DIMS, spacing=spacing, clip_x0=mn.clip_x0, progress=False)
    return analyzer.measure_step_degradation(N_MNIST, GRID_MNIST, samplers, seed=0, mse_floor=False,
                                             reference_steps=min(GRID_MNIST))

img = {"leading": run_mnist("leading", ["ancestral", "ddim"]), "trailing": run_mnist("trailing", ["naive", "ancestral", "ddim"])}
print(f"N = {N_MNIST}, FD in {FEATURE_DIMS or 128} feature dimensions; "
      f"floor {img['leading'].floor['fd']:.3g}")

# %% slideshow={"slide_type": "-"}
panels(img, "fd", f"FD in classifier features ({FEATURE_DIMS or 128} dims, ±2 se)",
       "MNIST: naive striding is far off at any step count; the correct samplers approach the floor",
       "real digits (floor ±2 sd)", samplers=("naive", "ancestral", "ddim"), logx=False, logy=True)

# %% slideshow={"slide_type": "-"}
lead_i, trail_i = img["leading"], img["trailing"]
for steps in GRID_MNIST:
    for s in ("ancestral", "ddim"):
        assert trail_i.clearly_better((s, steps), ("naive", steps)), f"{s} (trailing) beats naive in FD at {steps} steps"
        assert dl.clearly_less(lead_i.value(s, steps, "fd"), trail_i.value("naive", steps, "fd")), f"{s} (leading) beats naive"

def verdict(res_a, a, res_b, b, key="fd"):
    va, vb = res_a.value(*a, key), res_b.value(*b, key)
    if dl.clearly_different(va, vb):
        return "clearly lower FD: " + (f"{a[0]}" if va.value < vb.value else f"{b[0]}")
    return "not clearly different at this N"

lines = []
for steps in GRID_MNIST:
    for sp, res in img.items():
        a, d = res.value("ancestral", steps, "fd"), res.value("ddim", steps, "fd")
        lines.append([steps, sp, a, d, verdict(res, ("ancestral", steps), res, ("ddim", steps))])
    lines.append([steps, "σ̂: leading vs trailing", lead_i.value("ancestral", steps, "fd"), trail_i.value("ancestral", steps, "fd"),
                  "trailing clearly better" if dl.clearly_less(trail_i.value("ancestral", steps, "fd"), lead_i.value("ancestral", steps, "fd"))
                  else "not clearly different at this N"])
dl.Table(["steps", "spacing", "FD σ̂ (respaced, σ²=β)", "FD DDIM η=0", "verdict (> 3 combined se)"], lines,
         caption=f"N = {N_MNIST}; floor {lead_i.floor['fd']:.3g} (real digits, mean ± sd); x̂₀ clipped to [−1, 1].")

# %% slideshow={"slide_type": "-"}
S = min(GRID_MNIST)
dl.plots.image_rows({"naive stride": trail_i.samples[("naive", S)], "σ̂, leading": lead_i.samples[("ancestral", S)],
                     "σ̂, trailing": trail_i.samples[("ancestral", S)], "DDIM η=0, leading": lead_i.samples[("ddim", S)],
                     "DDIM η=0, trailing": trail_i.samples[("ddim", S)]},
                    title=f"{S} steps from the same noise: naive leaves noise, σ̂ leaves grain, DDIM gives clean digits")

# %% [markdown] slideshow={"slide_type": "-"}
# What the MNIST measurement shows (the verdicts above are computed, not written by hand):
#
# - **Naive striding fails by a wide margin** at every step count, in FD and in the share of confidently classified digits — the same lesson as on the swiss roll.
# - **Spacing matters for σ̂.** With leading spacing the σ̂ chain ends on a noisy step it cannot undo; that leftover grain is what drives DDIM Table 1's 367 at 10 steps on CIFAR-10. Trailing spacing reduces it (the "σ̂: leading vs trailing" rows say where clearly); some grain remains in both, because σ² = β adds the most noise of all the variances.
# - **DDIM η = 0 against respaced σ̂.** Once $\hat x_0$ is clipped, DDIM gives clean digits at 10–20 steps. Whether it beats the respaced chain *clearly* at this `N` is what the verdict column says; where it says "not clearly different", the FD cannot separate them with 128 samples, and the chapter makes no claim. On CIFAR-10 with 50 000 samples, Table 1 separates them clearly.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **Naive striding fails because its coefficients are wrong, not because fewer steps are worse.** At 100 network calls it is still worse than any correctly respaced sampler or DDIM at 10 (swiss roll), and it is the worst sampler on MNIST at every step count.
# - **Read every number with its error bar and beside its floor.** Energy distance and FD are squared distances with a positive floor at finite `N`; differences smaller than 3 combined standard errors are not findings.
# - **Which timesteps you keep matters at few steps.** DDIM Table 1's σ̂ row (respaced σ² = β) was measured with leading spacing, whose last step leaves noise in; trailing spacing repairs most of it.
# - **Log-likelihood alone misleads.** σ² = β̃ and DDIM η = 0 can score above real data (over-concentrated samples); the energy distance would penalise that, but cannot detect it at this `N`.
# - **Growth with the skip.** DDIM is first order, so squared distances should grow like $h^2$; at the sizes a CPU affords most exponents are "not measurable", and on a trained network the deficit must be measured against the model's own 1000-step result.
#
# Notebook 06 takes the deterministic sampler further: η as a dial between DDIM and DDPM, and inversion of real digits.
#
# ## Appendix · the analyzer's full report, and the full tables
#
# The chapter's `AncestralSamplingAnalyzer` runs three measurements — reproducibility, step degradation, interpolation — and prints one report with the controls beside every number: the run-to-run variance of a deterministic sampler (DDIM η = 0) beside the ancestral one, and the noise floor of the "MSE against a 1000-step reference" measure (two stochastic runs never agree, so that floor is far from 0). Here it runs on the exact swiss-roll model at small sizes.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
report = dl.analysis.analyze_ancestral_limitations(
    exact_model, schedule, (2,), mixture=mixture, num_runs=8, num_samples=dl.pick(reader=400, fast=150),
    step_counts=dl.pick(reader=(100, 10), fast=(50, 10)), interp_steps=dl.pick(reader=100, fast=50),
    repro_steps=dl.pick(reader=1000, fast=100))

# %% slideshow={"slide_type": "fragment"}
rep = report["reproducibility"]
assert rep["ancestral"]["variance"] > 1e-3 and rep["ddim"]["variance"] == 0.0, "ancestral runs differ, DDIM runs do not"
assert report["degradation"].floor["mse"] > 0.05, "the MSE-to-a-stochastic-reference measure has a large noise floor"
assert report["interpolation"]["ddim"]["mean_run_variance"] == 0.0 < report["interpolation"]["ancestral"]["mean_run_variance"]
print("report checks passed")

# %% slideshow={"slide_type": "-"}
rows_t = rows_2d(tr, "leading") + [["true data (floor: mean ± sd; log-lik ± se)", "–", "–", tr.floor["energy_distance"], tr.floor[LL], "–"]]
rows_i = [[LABEL[r["sampler"]], r["steps"], "own stride" if r["sampler"] == "naive" else sp, r["fd"], r["confident"],
           1e3 * r["seconds_per_sample"]] for sp, res in img.items() for r in res.rows]
rows_i.append(["real digits (floor: mean ± sd)", "–", "–", lead_i.floor["fd"], lead_i.floor["confident"], "–"])
dl.Table(HEAD_2D, rows_t, caption=f"Trained 2D MLP, N = {N_TOY}.").folded(
    "Full tables: trained 2D network, and MNIST (click to open)",
    dl.Table(["sampler", "steps", "spacing", "FD (features)", "confident ≥ 0.9", "ms / sample"], rows_i,
             caption=f"MNIST 16×16 UNet, x̂₀ clipped; N = {N_MNIST}, FD in {FEATURE_DIMS or 128} feature dimensions; "
                     f"time on {dl.device_name(device)}."))


# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **Naive striding fails because its coefficients are wrong,** not because fewer steps are worse: with 100 network calls it is still clearly worse than respaced ancestral sampling or DDIM with 10 (swiss-roll log-likelihood), and it is by far the worst on MNIST at every step count.
# > - **Read every number with its error bar and beside its floor.** Energy distance and FD are squared distances with a positive floor at finite $N$; a difference under 3 combined standard errors is not a finding.
# > - **Which timesteps you keep matters at few steps.** *Trailing* spacing clearly helps σ̂ (respaced σ² = β) at 10 steps, while DDIM η = 0 hardly depends on it; DDIM's tables used quadratic spacing for CIFAR-10 and linear (= leading) for the other data sets (App. D.2).
# > - **Log-likelihood alone misleads:** σ² = β̃ and DDIM η = 0 score *above* real data (too concentrated); energy distance at this $N$ cannot detect that.
# > - **DDIM is first order** (error $O(h)$), so squared distances grow like $h^2$: on the exact model its energy-distance exponent has 2 inside its 95 % interval; naive striding saturates instead.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Three exercises. Worked solutions: [`solutions/05_tradeoff_solutions.ipynb`](solutions/05_tradeoff_solutions.ipynb).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — the respaced β
#
# A sampler keeps the timesteps $\tau_1<\tau_2<\dots<\tau_S$. Derive the β of the step from $\tau_{k-1}$ to $\tau_k$ that gives the new chain exactly the original $\bar\alpha$ at every kept timestep (before $\tau_1$ the chain is at clean data, $\bar\alpha=1$). Then code it: `alpha_bar` is the full float64 $\bar\alpha$ of the 1000-step schedule, `timesteps` the kept timesteps in the samplers' **descending** order; return the new betas in **ascending** time order, as `NoiseSchedule` stores them.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def respaced_betas(alpha_bar, timesteps):
    """The betas of the chain that keeps only `timesteps` (descending), ascending in time."""
    dl.exercises.your_turn("respaced_betas")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb05.check_respaced_betas(respaced_betas)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · code it yourself — leading spacing, and what spacing does at 10 steps
#
# The package keeps, by default, **trailing** timesteps (starting at $T-1$: 999, 899, …, 99 for 10 steps). DDIM's code (with its default `skip_type="uniform"`) keeps **leading** timesteps $k\lfloor T/S\rfloor$ for $k=S-1,\dots,0$. Write `leading_timesteps(T, steps)` (descending). If it passes, the cell samples the exact swiss roll with 10-step DDIM (η = 0) under both spacings and prints their energy distance beside the real-vs-real floor. Before running: which do you expect to be better, and by a margin that matters next to the floor?

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def leading_timesteps(T, steps):
    """DDIM's 'leading' spacing: k * (T // steps) for k = steps-1, ..., 0 (descending)."""
    dl.exercises.your_turn("leading_timesteps")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ok = dl.exercises.nb05.check_leading_timesteps(leading_timesteps)
if ok:
    schedule = dl.NoiseSchedule.linear()
    mixture = dl.GaussianMixture.preset("swiss_roll")
    exact = mixture.eps_model(schedule)
    x_T = torch.randn(1000, 2, generator=dl.seed(3))
    trailing = torch.tensor([999 - 100 * k for k in range(10)])
    for name, ts in (("leading", leading_timesteps(1000, 10)), ("trailing", trailing)):
        x0 = dl.ddim_sample(exact, schedule, x_T, timesteps=ts, progress=False)
        d, floor = dl.metrics.energy_distance_with_floor(x0, mixture, dl.seed(4))
        print(f"{name:>8} {ts[:3].tolist()}…{ts[-1].item()}: energy distance {d:.4f} (floor {floor:.4f})")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · interpret a measurement — an exponent
#
# We ran DDIM η = 0 on the exact swiss roll from the same 400 noises with 100, 50, 20 and 10 steps, and measured each sample's squared distance to the 1000-step DDIM sample from the same noise (a deterministic sampler: no noise floor). The skip is $h=1000/\text{steps}$. Fit the exponent $p$ of $\text{median squared error}\propto h^p$ (the least-squares slope of the logs; `dl.stats.fit_line(x, y)` returns it first). Then explain: (i) why a first-order method should give $p\approx 2$ for a *squared* error, and (ii) why the *mean* squared error grows only with $p\approx 1$.

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
skips = [10, 20, 50, 100]  # h = 1000 / steps for 100, 50, 20, 10 steps
median_sq_error = [9.48e-05, 4.30e-04, 2.108e-03, 1.163e-02]
mean_sq_error = [3.99e-03, 1.172e-02, 2.253e-02, 4.284e-02]
share_far = [0.010, 0.025, 0.105, 0.573]  # share of samples with squared error > 0.01

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
exponent = None  # slope of log(median_sq_error) against log(skips)

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb05.check_exponent(exponent, skips, median_sq_error)
