# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Quality versus speed, measured
#
# Ancestral sampling calls the network once per step, so the obvious way to speed it up is to take fewer steps. This notebook measures what that costs, first with figures and then with the numbers behind them (full tables sit in collapsible boxes and in the appendix). Three models: a 2D swiss roll with the **exact** noise predictor (only the sampler can be wrong), a small network trained on the same swiss roll, and the chapter's 16×16 MNIST model. Three ways of taking fewer steps: naive striding, correctly respaced ancestral sampling, and DDIM.
#
# **Learning objectives**
# - Tell apart the ways of "taking fewer steps": wrong coefficients (naive), correct coefficients (respacing, with variance σ² = β or β̃), and a different update (DDIM η = 0).
# - Read a quality number with its error bar and beside its floor; know what the (unbiased) energy distance measures and what log-likelihood cannot.
# - See that *which* timesteps a short chain keeps (DDIM's quadratic rule, trailing spacing) is part of a protocol, and compare samplers paired when they share their starting noise.
# - Measure DDIM Table 1's structure (η = 0, 0.5, 1 and σ̂) on the chapter's digits, and draw the quality–speed trade-off in one picture.
# - Measure DDIM Table 1's structure (η = 0, 0.5, 1 and σ̂) on the chapter's digits, and draw the quality–speed trade-off in one picture.
# - Measure DDIM Table 1's structure (η = 0, 0.5, 1 and σ̂) on the chapter's digits, and draw the quality–speed trade-off in one picture.
# - Measure DDIM Table 1's structure (η = 0, 0.5, 1 and σ̂) on the chapter's digits, and draw the quality–speed trade-off in one picture.
# - Measure DDIM Table 1's structure (η = 0, 0.5, 1 and σ̂) on the chapter's digits, and draw the quality–speed trade-off in one picture.
# - Relate measured growth rates to theory: DDIM is first order, so squared distances should grow like the square of the skip.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/05_tradeoff.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/05_tradeoff.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F05_tradeoff.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebooks 01–02 (ancestral step, naive striding); logarithms and log–log plots · **Time to read** ~35 min · **Time to run** ~95 s (laptop CPU) · **Exercises** 3, ~18 min
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
# The σ̂ row is the respaced version of the sampler of notebooks 01–04 (σ² = β); its 1000-step entry is DDPM's 3.17. **Which timesteps** a short chain keeps is part of that protocol. DDIM's App. D.2: "We used quadratic for CIFAR10 and linear for the remaining datasets". In DDIM's code (`skip_type="quad"`) the quadratic rule keeps int(linspace(0, √(0.8·T), S)²), i.e. 800, 632, 483, 355, 246, 158, 88, 39, 9, 0 for 10 steps; the linear rule used for CelebA is `range(0, T, T // S)` — 900, 800, …, 0, which this chapter calls **leading** spacing. No paper shows a "quadratic" law of the error. DDIM is a *first-order* method (Lu et al. 2022, DPM-Solver): its error in the samples is $O(h)$ in the skip $h = T/S$, so a *squared* distance between distributions (energy distance below, FID) should grow like $h^2$ while $h$ is small. We measure both things, under DDIM's CIFAR-10 spacing ("quadratic") and under the **trailing** spacing (999, 899, …, 99) that naive striding visits.
#
# ### Three ways to take fewer steps
#
# | sampler | what it does with a kept sub-sequence $\tau$ of timesteps |
# |---|---|
# | **naive stride** | visits $\tau$ but keeps DDPM's *single-step* $\alpha_t, \beta_t$: each visit removes one step's worth of noise |
# | **respaced ancestral** | DDPM's update on the *respaced* schedule $\beta^{new}_k = 1 - \bar\alpha_{\tau_k}/\bar\alpha_{\tau_{k-1}}$ (Nichol & Dhariwal 2021), with $\sigma^2 = \beta^{new}$ (Table 1's σ̂) or $\tilde\beta^{new}$ (exactly DDIM η = 1) |
# | **DDIM** | a deterministic update over the same $\tau$ for η = 0 (DDIM eq. 12; notebook 06), with noise of size η·σ(η=1) in between |
#
# Every sampler is one entry of the registry `dl.SAMPLERS` and runs through one call, `dl.sample(name, model, schedule, x_T, steps=…, spacing=…)`. The first step of a 10-step chain shows the difference. Every update has the form $x \leftarrow c_x x + c_\varepsilon \hat\varepsilon + \sigma z$:

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
schedule = dl.NoiseSchedule.linear()
ts = schedule.timesteps(10, "trailing")  # 999, 899, ..., 99: the naive stride's timesteps
tables = {name: dl.SAMPLERS[name].build(schedule, ts, **dl.SAMPLERS[name].options) for name in ("naive", "ancestral", "ddim")}
first = dl.Table(["sampler", "t seen by the network", "c_x", "c_eps", "σ"],
                 [[dl.SAMPLERS[name].label, int(tab.t_model[0]), tab.c_x[0], tab.c_eps[0], tab.sigma[0]]
                  for name, tab in tables.items()],
                 floatfmt=".4f", caption="First reverse step (t = 999 → 899) of a 10-step chain; linear schedule, T = 1000.")
naive_t, resp_t = tables["naive"], tables["ancestral"]
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
# where $X, X'$ are independent draws from one distribution and $Y, Y'$ from the other. It is 0 exactly when the two distributions are equal and grows as they move apart, whether the samples are too spread out *or* too concentrated. Like FID it behaves as a **squared** distance: shift a cloud by a small $d$ and $\mathcal E$ grows like $d^2$. We estimate it with the **unbiased** (U-)statistic, whose within-set averages skip the pairs $i = j$: for two sets from the *same* distribution it is 0 on average, so single values scatter around 0, negative ones included. The plug-in (V-)statistic that keeps the zero diagonal is biased upwards by $\mathbb E\|X-X'\|/n + \mathbb E\|Y-Y'\|/m$ — and that bias *shrinks* for an over-concentrated sample, partly hiding the very defect we want to see. The **floor** beside each number is what a perfect sampler scores at the same size: two fresh true sets, mean ± sd over five draws.

# %% slideshow={"slide_type": "fragment"}
g = dl.seed(0)
n = 4000
cloud = torch.randn(n, 2, generator=g)
shifted = lambda d, m, gen: torch.randn(m, 2, generator=gen) + torch.tensor([d, 0.0])  # noqa: E731
same_set = shifted(0.0, n, g)
same = dl.metrics.energy_distance(same_set, cloud)
same_biased = dl.metrics.energy_distance(same_set, cloud, biased=True)
shifts = [0.125, 0.25, 0.375, 0.5, 1.0]
energy = {d: dl.metrics.energy_distance(shifted(d, n, g), cloud) for d in shifts}
law = dl.fit_power_law(shifts[:4], [energy[d] for d in shifts[:4]])
print(f"same distribution, n = {n}: unbiased E = {same:.5f} (scatters around 0); the biased V-statistic gives "
      f"{same_biased:.5f}, larger by E‖X−X'‖/n + E‖Y−Y'‖/m")
print("  ".join(f"shift {d}: E = {e:.4f}" for d, e in energy.items()))
print(f"E grows like shift^p for shifts ≤ 0.5: p = {law}")
assert law.measurable and law.ci[0] < 2 < law.ci[1] and abs(law.exponent - 2) < 0.3, "energy distance acts as a squared distance"
assert abs(same) < energy[shifts[0]] / 3, "two sets of one distribution score far below the smallest shift"
energy[0.0] = same
dl.plots.scatter_2d({f"shift {d}: E = {energy[d]:.3f}": shifted(d, 400, dl.seed(1)) for d in (0.0, 0.5, 1.0)},
                    data=cloud[:400], lim=4, size=3.0,
                    title="Energy distance between a cloud (grey) and a shifted copy: it grows like the shift squared")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The exact-score swiss roll
#
# `GaussianMixture.preset("swiss_roll").eps_model(schedule)` returns the exact optimal $\varepsilon^*$ of a 48-component mixture, so any loss of quality comes from the sampler alone. **One analyzer** runs every sampler, at every step count, under both spacings, from the same `N` noises; for each run it reports
#
# - the **energy distance** to fresh true samples (mean ± se over 5 groups of `N/5`), beside its floor;
# - the **mean log-likelihood** under the true mixture (± se), beside that of real data. It is one-sided: samples that pile up on the mixture's centres score *higher* than real data.
#
# Because every run starts from the same noises, two samplers are compared **paired**: the difference is measured group by group (energy distance) or sample by sample (log-likelihood), so what the runs share cancels (`DegradationResult.difference`, `dl.paired_difference`).

# %% slideshow={"slide_type": "-"}
N_EXACT = dl.pick(reader=2000, fast=1000, cuda=10000)
GRID = dl.pick(reader=[100, 50, 20, 10, 8, 5, 4], fast=[100, 10, 5, 4])
SPACINGS = ("quadratic", "trailing")
CORRECT = ["ancestral", "ancestral_beta_tilde", "ddim"]
ED, LL = "energy_distance", "log_likelihood"
mixture = dl.GaussianMixture.preset("swiss_roll")
exact_model = mixture.eps_model(schedule)
analyzer = dl.analysis.AncestralSamplingAnalyzer(exact_model, schedule, (2,), mixture=mixture)
swiss = analyzer.measure_step_degradation(N_EXACT, GRID, ["naive", *CORRECT], spacings=SPACINGS, seed=0, keep=400,
                                       mse_floor=False, reference_steps=max(GRID))
floor = swiss.floor
print(f"N = {N_EXACT}; energy-distance floor {floor[ED]:.3g} (mean ± sd of 5 draws); "
      f"real-data log-likelihood {floor[LL]:.3g}")


# %% slideshow={"slide_type": "-"}
def panels(res, key, ylabel, title, reference, logx=True, logy=False):
    """One panel per spacing; the naive stride (no spacing of its own) is drawn in the trailing panel. Used twice below."""
    series = {f"{sp} spacing": res.series(key, sp) for sp in SPACINGS}
    series["trailing spacing"] = {**res.series(key, "trailing", ["naive"]), **series["trailing spacing"]}
    levels = {name: {reference: res.floor[key]} for name in series}
    return dl.plots.curves_panels(series, "number of steps (network calls)", ylabel, title, hlines=levels,
                                  logx=logx, logy=logy)

panels(swiss, ED, "energy distance to true data (±2 se)",
       "Energy distance: naive striding stays far off; the correct samplers reach the floor by 10–20 steps",
       "true vs true (floor ±2 sd)")

# %% slideshow={"slide_type": "-"}
panels(swiss, LL, "mean log-likelihood (nats, ±2 se)",
       "Log-likelihood: naive at 100 steps is worse than any correct sampler at 10 steps",
       "real data")


# %% [markdown] slideshow={"slide_type": "-"}
# The grey band is the floor (true against true, ±2 sd) or the real-data level. The verdicts below are computed from paired differences, and the strongest claims are asserted (difference > 3 standard errors):

# %% slideshow={"slide_type": "fragment"}
def verdict(res, a, b, key):
    """'a better' / 'b better' / 'no clear difference' from the paired difference of rows a and b. Used in this notebook's verdict tables."""
    d = res.difference(a, b, key)
    if not dl.clearly_different(d, 0.0):
        return d, "no clear difference"
    a_better = d.value > 0 if key in (LL, "confident") else d.value < 0
    return d, f"{dl.SAMPLERS[(a if a_better else b)[0]].label} clearly better"

for steps in [s for s in GRID if s <= 20]:
    for s in CORRECT:
        for sp in SPACINGS:
            assert swiss.clearly_better((s, steps, sp), ("naive", steps), LL), f"{s} ({sp}) beats naive at {steps} steps"
for s in CORRECT:
    for sp in SPACINGS:
        assert swiss.clearly_better((s, 10, sp), ("naive", 100), LL), f"naive at 100 steps is worse than {s} at 10"
lines = []
for steps in [s for s in GRID if s <= 10]:
    for sp in SPACINGS:
        for other in ("ancestral", "ancestral_beta_tilde"):
            for key in (ED, LL):
                d, say = verdict(swiss, ("ddim", steps, sp), (other, steps, sp), key)
                lines.append([steps, sp, f"DDIM η=0 − {dl.SAMPLERS[other].label}", key.replace("_", " "), d, say])
tie = {sp: not dl.clearly_different(swiss.difference(("ddim", 10, sp), ("ancestral_beta_tilde", 10, sp), ED), 0.0)
       for sp in SPACINGS}
print(f"10 steps, energy distance, DDIM η=0 against η=1: no clear difference under {', '.join(sp for sp, t in tie.items() if t)}")
assert all(tie.values()), "on the exact swiss roll DDIM η=0 and η=1 tie at 10 steps in energy distance"
dl.Table(["steps", "spacing", "paired difference", "metric", "value ± se", "verdict (> 3 se)"], lines,
         caption=f"Exact swiss roll, N = {N_EXACT} from the same x_T. Energy distance: lower is better; "
                 f"log-likelihood: higher is better.").folded("DDIM η=0 against the respaced chains, paired (click to open)")

# %% [markdown] slideshow={"slide_type": "-"}
# **What the exact swiss roll shows about DDIM's headline result.** DDIM's Table 1 has η = 0 far ahead of η = 1 at few steps (CIFAR-10, 10 steps: FID 13.4 against 41.1). On the exact 2D model that ordering does not appear: at 10 steps η = 0 and η = 1 tie in energy distance under both spacings (asserted above), and in log-likelihood the table even favours η = 1 under quadratic spacing. With the exact score the only error left is the discretisation, and for this smooth 2D target the stochastic chain's noise costs nothing measurable. The few-step advantage of η = 0 is therefore not a property of the update alone; section 4 looks for it on images.
#
# ### Why σ̂ suffers at few steps
#
# The σ̂ chain and the η = 1 chain take the same mean step; they differ only in the noise they add, $\sigma^2 = \beta^{new}_k$ against $\tilde\beta^{new}_k$. DDIM defines σ̂ in §5 as the larger standard deviation, the one Ho et al.'s code used for its CIFAR-10 samples only, and App. D.3 gives the reason for its few-step scores: the σ̂ update keeps η = 1's coefficients for the non-stochastic part, but it "is more stochastic than the update for η = 1, which explains why it achieves worse performance when dim(τ) is small" (§5.1 adds that its short-trajectory images "seem to have more noisy perturbations"). Here we measure that extra noise instead of quoting it. With few steps every respaced jump is long, and at small $t$ — where $1-\bar\alpha$ is small — $\beta^{new}$ is many times $\tilde\beta^{new}$: the chain is pushed back into noise at every late step, and the network has fewer steps left to remove it. The table sums the variance each chain adds over its last three noisy steps:

# %% slideshow={"slide_type": "-"}
late = []
for sp in SPACINGS:
    for steps in (10, 20):
        ts_k = schedule.timesteps(steps, sp)
        tab = {v: dl.ancestral_table(schedule, ts_k, variance=v) for v in ("beta", "beta_tilde")}
        added = {v: sum(s ** 2 for s in t.sigma[-4:-1]) for v, t in tab.items()}  # the last step adds none
        late.append([sp, steps, f"{ts_k[-4].item()} → {ts_k[-1].item()}", added["beta"], added["beta_tilde"],
                     added["beta"] / added["beta_tilde"]])
        assert added["beta"] > 1.5 * added["beta_tilde"], "σ̂ adds clearly more late noise than η = 1"
dl.Table(["spacing", "steps", "last steps", "σ̂: Σσ² of the last 3 noisy steps", "η = 1: Σσ²", "ratio"], late,
         floatfmt=".4g", caption="Noise added near the end of a short chain (linear schedule, T = 1000).")

# %% [markdown] slideshow={"slide_type": "-"}
# A picture of the 10-step samples (the first 400 of each run) shows what the numbers say:

# %% slideshow={"slide_type": "-"}
S10 = 10
dl.plots.scatter_2d({("naive", "naive stride"): swiss.samples[("naive", S10, "trailing")],
                     ("ancestral", "σ̂, quadratic"): swiss.samples[("ancestral", S10, "quadratic")],
                     ("ancestral", "σ̂, trailing"): swiss.samples[("ancestral", S10, "trailing")],
                     ("ddim", "DDIM η=0, quadratic"): swiss.samples[("ddim", S10, "quadratic")]},
                    data=mixture.sample(2000, dl.seed(1)), size=2.4,
                    title="10 steps from the same noise: naive leaves the noise in; σ̂ blurs the roll, most with trailing spacing")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Too concentrated: what log-likelihood rewards
#
# Respaced ancestral sampling has a free choice of variance: $\beta_t$ (optimal if the data were $\mathcal N(0, I)$) or $\tilde\beta_t$ (optimal if the data were one point). With enough steps the $\tilde\beta$ chain (DDIM η = 1) and DDIM η = 0 can score a **higher** log-likelihood than real data: their samples sit slightly too close to the centres of the mixture components. A one-sided measure counts that as a gain; the energy distance counts it as a loss, if the effect is larger than its error bar at this `N`. The cell prints both and says which:

# %% slideshow={"slide_type": "-"}
st = max(GRID)
real = floor[LL]
for s in ("ancestral_beta_tilde", "ddim"):
    ll, ed = swiss.value(s, st, LL, "trailing"), swiss.value(s, st, ED, "trailing")
    seen = "detects it" if dl.clearly_less(floor[ED].mean_of_draws(), ed) else "cannot tell at this N"
    print(f"{dl.SAMPLERS[s].label}, {st} steps (trailing): log-likelihood {ll:.3g} vs real data {real:.3g}; "
          f"energy distance {ed:.3g} vs floor {floor[ED]:.3g} — the energy distance {seen}")
    assert dl.clearly_less(real, ll), f"{s} scores clearly ABOVE real data in log-likelihood at {st} steps"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · How fast does the error grow with the skip?
#
# DDIM η = 0 is a first-order solver: each sample is off by $O(h)$, $h = T/S$. A squared distance between the sample distribution and the target — the energy distance here, FID for images — should therefore grow like $h^2$ once $h$ is small enough, and not at all like "quadratically in the broken sampler". We fit $\text{excess} \propto h^p$ with `DegradationResult.exponent`, which uses only step counts whose excess is clearly above the noise (> 3 se) and reports "not measurable" when fewer than 3 remain. It fits each of the five disjoint groups of starting noises (five seeds) on its own and reports the mean of their slopes, so the 95 % interval contains the spread between seeds — one fit to pooled means would hide it.
#
# What the excess is measured against matters. On the exact model the target is the true data, so the excess is the energy distance minus the floor (the floor's mean, whose se is sd/√5). On a **trained** network the sampler converges, as $h \to 0$, to the network's own distribution, not to the data: its deficit must be measured against that model's own 1000-step result, or the network's fixed error flattens the fit.

# %% slideshow={"slide_type": "-"}
N_TOY = dl.pick(reader=600, fast=200, cuda=5000)
GRID_TOY = dl.pick(reader=[1000, 100, 50, 20, 10, 8, 5, 4], fast=[1000, 100, 10, 5, 4])
toy = dl.load_pretrained("toy2d", device)
toy_an = dl.analysis.AncestralSamplingAnalyzer(toy.model, toy.schedule, (2,), mixture=mixture)
trained = toy_an.measure_step_degradation(N_TOY, GRID_TOY, ["naive", *CORRECT], spacings=("trailing",), seed=0,
                                     mse_floor=False, reference_steps=min(GRID_TOY))
own = trained.value("ddim", 1000, ED)
fits = {(s, f"exact, {sp}"): swiss.exponent(s, ED, spacing=sp) for s in CORRECT for sp in SPACINGS}
fits[("naive", "exact, own stride")] = swiss.exponent("naive", ED)
fits[("ddim", "trained, vs its own 1000 steps")] = trained.exponent("ddim", ED, baseline=own)
fits[("ddim", "trained, vs real data")] = trained.exponent("ddim", ED)
print(f"trained 2D MLP, DDIM at 1000 steps: energy distance {own:.3g} (floor {trained.floor[ED]:.3g}), "
      f"log-likelihood {trained.value('ddim', 1000, LL):.3g} (real data {trained.floor[LL]:.3g})")
dl.Table(["sampler", "model, excess measured against", "exponent p of energy-distance excess ∝ h^p [95 % CI]"],
         [[dl.SAMPLERS[s].label, where, str(f)] for (s, where), f in fits.items()],
         caption=f"Exact model N = {N_EXACT}, trained model N = {N_TOY}; theory for a first-order sampler: p → 2 as h → 0.")

# %% slideshow={"slide_type": "fragment"}
ll_fit = trained.exponent("ddim", LL, baseline=trained.value("ddim", 1000, LL))
print(f"trained model, DDIM log-likelihood deficit against its own 1000 steps: p = {ll_fit}")
measured = {k: f for k, f in fits.items() if f.measurable}
print(f"measurable fits: {len(measured)} of {len(fits)}")
naive_fit = fits[("naive", "exact, own stride")]
assert not naive_fit.measurable or naive_fit.exponent < 1, "naive striding does not follow a squared law: it saturates"
for (s, where), f in measured.items():
    if s == "ddim" and "real data" not in where:
        assert f.ci[0] < 2 < f.ci[1], f"DDIM ({where}): the 95 % interval contains 2, as for a squared distance of an O(h) error"

# %% [markdown] slideshow={"slide_type": "-"}
# How to read the table (where a fit is "not measurable", fewer than 3 step counts stood clearly above the noise at this `N`):
#
# - **DDIM η = 0 on the exact model**: where its fit is measurable, the 95 % interval contains 2 (asserted), as expected for a squared distance of an $O(h)$ error.
# - The fits use only the short chains, where the excess clears the noise; with the exact score every correct sampler sits at the floor from about 20 steps on. Treat the exponent as a local slope. More samples shrink the noise like $1/\sqrt N$ and bring smaller skips into the fit.
# - **Naive striding does not follow a power law** in the skip: its error is already large at 100 steps and saturates once the output is mostly leftover noise. The circulating "quadratic growth" describes neither it nor the published FIDs (fitting DDIM Table 1 gives slopes between about 0.5 and 1.9 in $h$).
# - On the **trained** network the 1000-step samples carry the network's own error, present at every step count. Against real data the excess is that constant plus the sampler's error, which flattens the fit; against the model's own 1000-step result only the sampler's error remains.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · The trade-off in one picture
#
# Quality against cost, for the trained 2D network on this machine: the x axis is the number of network calls per sample (left) and the milliseconds per sample measured in this run (right); the y axis is the mean log-likelihood under the true density (±2 se), the measure that separates these runs best at this `N`. Every sampler starts from the same noises. The reference line is the network's own best: 1000-step ancestral sampling, DDPM itself (the σ̂ chain at T steps). The log-likelihood is one-sided — a sampler can overshoot that line by concentrating its samples — so read it beside the energy distances of the appendix table.

# %% slideshow={"slide_type": "-"}
names = ["naive", *CORRECT]
ddpm = trained.value("ancestral", 1000, LL)
by_calls = {s: trained.select(s, LL, "trailing") for s in names}
by_time = {s: ([1e3 * r.seconds_per_sample for r in trained.rows if r.sampler == s], by_calls[s][1]) for s in names}
panels_tr = {"against network calls": by_calls, "against time": by_time}
dl.plots.curves_panels(panels_tr, {"against network calls": "network calls per sample",
                                   "against time": f"ms per sample ({dl.device_name(device)})"},
                       "mean log-likelihood (nats, ±2 se)",
                       "The trade-off: the correct samplers near DDPM's quality by 50 calls; naive stays far below",
                       hlines={k: {"1000-step ancestral (DDPM)": ddpm} for k in panels_tr}, logx=True)


# %% slideshow={"slide_type": "fragment"}
def fewest_calls(s):
    """Fewest calls (< T) at which sampler s is not clearly below 1000-step ancestral sampling (paired), or None."""
    ok = [r.steps for r in trained.rows if r.sampler == s and r.steps < 1000
          and not trained.clearly_better(("ancestral", 1000), (s, r.steps, r.spacing), LL)]
    return min(ok, default=None)

reach = {dl.SAMPLERS[s].label: fewest_calls(s) for s in names}
print(f"fewest calls at which each sampler is not clearly below 1000-step ancestral sampling (paired difference "
      f"within 3 se; None: not below 1000): {reach}")
assert fewest_calls("naive") is None, "naive striding needs every step to match DDPM"
for s in CORRECT:
    assert fewest_calls(s) is not None and fewest_calls(s) <= 100, f"{s} matches DDPM within 100 calls"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · DDIM Table 1's structure on the MNIST model
#
# For images the distance is the **Fréchet distance (FD) in the features of a small MNIST classifier** — the same formula as FID, a squared distance, but in features that respond to digit shape (not Inception; see `dl.metrics`) — and, beside it, the **kernel distance** (KID's unbiased MMD² with the cubic kernel, in the same features), which unlike FD is unbiased at small `N`. The reference is the held-out digits; the **floor** is FD of random sets of real training digits of the same size (mean ± sd over 5 draws). FD needs more samples than feature dimensions, so on a CPU we project the classifier's 128 features onto their top `FEATURE_DIMS` principal directions. We also report the fraction of samples the classifier labels with ≥ 90 % confidence. Every sampler clips its predicted $\hat x_0$ to the data range (the bundle hands its `clip_x0` over), as DDPM's own sampler does.
#
# As in DDIM's Table 1 we run η ∈ {0, 0.5, 1} and σ̂ — plus the naive stride — under DDIM's CIFAR-10 spacing (quadratic) and under trailing spacing, every sampler from the same x_T. Sizes: on a CPU 10 steps with `N` = 256 samples (each network call on 256 digits takes a few tenths of a second on two cores, so that is what fits the notebook's budget); on a GPU 10, 20, 50 and 100 steps with `N` = 512. `"ddim_eta_half"` is the registry's entry for η = 0.5: adding a sampler to every comparison is one entry.

# %% slideshow={"slide_type": "-"}
mnist = dl.load_pretrained("mnist", device)
clf = dl.load_pretrained("mnist-features", device).model
held, _ = dl.load_mnist("heldout")
train, _ = dl.load_mnist("train")
N_MNIST = dl.pick(reader=256, fast=48, cuda=512)
FEATURE_DIMS = dl.pick(reader=32, fast=16, cuda=None)
GRID_MNIST = dl.pick(reader=[10], fast=[10], cuda=[100, 50, 20, 10])
TABLE1 = ["ancestral", "ancestral_beta_tilde", "ddim_eta_half", "ddim"]
digit_an = dl.analysis.AncestralSamplingAnalyzer(mnist.model, mnist.schedule, mnist.sample_shape, classifier=clf,
                                              reference_images=held, floor_images=train, feature_dims=FEATURE_DIMS,
                                              clip_x0=mnist.clip_x0)
digits = digit_an.measure_step_degradation(N_MNIST, GRID_MNIST, ["naive", *TABLE1], spacings=SPACINGS, seed=0,
                                      mse_floor=False, reference_steps=min(GRID_MNIST))
print(f"N = {N_MNIST}, FD in {FEATURE_DIMS or 128} feature dimensions; floor {digits.floor['fd']:.3g}")

# %% slideshow={"slide_type": "-"}
rows = []
for steps in GRID_MNIST:
    for sp in SPACINGS:
        for s in ["naive", *TABLE1]:
            if s == "naive" and sp != "trailing":
                continue
            r = digits.row(s, steps, sp if s != "naive" else "trailing")
            vs = [("–", "–")] * 2 if s == "ddim" else [verdict(digits, (s, steps, r.spacing), ("ddim", steps, sp), k)
                                                         for k in ("fd", "confident")]
            rows.append([steps, "own stride" if s == "naive" else sp, r.label, r.quality["fd"], r.quality["kid"],
                         r.quality["confident"], vs[0][0], vs[0][1], vs[1][0], vs[1][1]])
rows.append(["–", "–", "real digits (floor: mean ± sd)", digits.floor["fd"], "–", digits.floor["confident"]] + ["–"] * 4)
dl.Table(["steps", "spacing", "sampler", "FD (features)", "KID (features)", "confident ≥ 0.9",
          "FD − η=0 (paired)", "FD verdict", "confident − η=0 (paired)", "confident verdict"], rows,
         caption=f"MNIST 16×16 UNet, x̂₀ clipped; N = {N_MNIST} from the same x_T; FD in {FEATURE_DIMS or 128} "
                 f"feature dimensions. Table 1's structure: lower FD is better.")

# %% slideshow={"slide_type": "fragment"}
for steps in GRID_MNIST:
    for s in TABLE1:
        for sp in SPACINGS:
            assert digits.clearly_better((s, steps, sp), ("naive", steps), "fd"), f"{s} ({sp}) beats naive in FD at {steps} steps"
table1 = {(s, steps, sp): verdict(digits, (s, steps, sp), ("ddim", steps, sp), "fd")[1]
          for s in ("ancestral", "ancestral_beta_tilde") for steps in GRID_MNIST for sp in SPACINGS}
def clearly_worse_than_ddim(s, key):
    """Whether sampler s is clearly worse than DDIM η=0 (paired) at every step count and spacing. Used below."""
    return all(digits.clearly_better(("ddim", st, sp), (s, st, sp), key) for st in GRID_MNIST for sp in SPACINGS)

eta1_at_10 = {sp: table1[("ancestral_beta_tilde", min(GRID_MNIST), sp)] for sp in SPACINGS}
print(f"σ̂ clearly worse than DDIM η=0 everywhere: in FD {clearly_worse_than_ddim('ancestral', 'fd')}, "
      f"in the confident fraction {clearly_worse_than_ddim('ancestral', 'confident')}")
print(f"η = 1 against η = 0 in FD at {min(GRID_MNIST)} steps: {eta1_at_10}")
assert not any(digits.clearly_better(("ddim", st, sp), ("ancestral_beta_tilde", st, sp), "fd")
               for st in GRID_MNIST for sp in SPACINGS), \
    "at these sizes DDIM η=0 does not clearly beat η=1 in FD (the text says so)"

# %% slideshow={"slide_type": "-"}
S = min(GRID_MNIST)
dl.plots.image_rows({("naive", "naive stride"): digits.samples[("naive", S, "trailing")],
                     ("ancestral", "σ̂, quadratic"): digits.samples[("ancestral", S, "quadratic")],
                     ("ancestral_beta_tilde", "η=1, quadratic"): digits.samples[("ancestral_beta_tilde", S, "quadratic")],
                     ("ddim_eta_half", "η=0.5, quadratic"): digits.samples[("ddim_eta_half", S, "quadratic")],
                     ("ddim", "η=0, quadratic"): digits.samples[("ddim", S, "quadratic")]},
                    title=f"{S} steps from the same noise: naive leaves noise, σ̂ leaves grain, η = 0, 0.5 and 1 look alike")

# %% [markdown] slideshow={"slide_type": "-"}
# What the MNIST measurement shows (every verdict above is computed from a paired difference, not written by hand):
#
# - **Naive striding fails by a wide margin** at every step count, in FD and in the share of confidently classified digits — the same lesson as on the swiss roll (asserted).
# - **Table 1's ordering, on these digits.** The verdict columns compare each stochastic sampler with DDIM η = 0 from the same x_T, and the lines printed under the asserts sum them up. **σ̂ is the worst of the respaced samplers** — the largest FD and the smallest confident fraction, the part of Table 1 that carries over. **η = 0 does not clearly beat η = 1 or η = 0.5 at 10 steps** on this model (asserted): the headline gap of DDIM's Table 1 (CIFAR-10, 10 steps: FID 13.4 for η = 0 against 41.1 for η = 1, from 50 000 samples) is not reproduced here. Two reasons, both measured in this chapter: the FD's error bars at `N` = 256 are ±10 or more, as wide as the differences; and every sampler here clips $\hat x_0$ to the data range, which removes much of the stochastic samplers' leftover noise on nearly black-and-white 16×16 digits (notebook 06 measures what clipping does at 10 steps). A "no clear difference" says the measurement cannot separate them at this size, not that they are equal.
# - **KID** moves with FD. Its values are small and noisy at this `N`, but unlike FD it has no positive bias, so its floor is 0.
#
# ## Summary
#
# - **Naive striding fails because its coefficients are wrong, not because fewer steps are worse.** At 100 network calls it is still worse than any correctly respaced sampler or DDIM at 10 (swiss roll), and it is the worst sampler on MNIST at every step count.
# - **Read every number with its error bar and beside its floor,** and compare runs that share their starting noise *paired*. The energy distance here is unbiased, so its floor is ≈ 0 ± its spread; FD is biased upwards at finite `N`, so its floor is positive.
# - **Which timesteps you keep is part of the protocol.** DDIM's CIFAR-10 tables use quadratic spacing, its CelebA results linear (leading) spacing; compare with a table under its protocol.
# - **σ̂'s trouble at few steps is its variance:** it takes η = 1's mean step and adds more noise at every late jump (DDIM App. D.3; measured in section 1); on MNIST it is the worst of the respaced samplers.
# - **The trade-off in one picture:** quality against calls and against seconds; on the trained 2D network every correct sampler is within the error bars of DDPM's 1000-step quality by about 50 calls (printed), while naive striding needs every step.
# - **Growth with the skip.** DDIM is first order, so squared distances should grow like $h^2$; at the sizes a CPU affords many exponents are "not measurable", and on a trained network the deficit must be measured against the model's own 1000-step result.
#
# Notebook 06 takes the deterministic sampler further: η as a dial between DDIM and DDPM, and inversion of real digits.
#
# ## Appendix · the analyzer's full report
#
# The chapter's `AncestralSamplingAnalyzer` runs three measurements — reproducibility, step degradation, interpolation — and prints one report with the controls beside every number: the run-to-run variance of a deterministic sampler (DDIM η = 0) beside the ancestral one, and why an "MSE against a 1000-step reference" is left out (two stochastic runs never agree, so it rewards staying close to $x_T$). Here it runs on the exact swiss-roll model at small sizes.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
report = dl.analysis.analyze_ancestral_limitations(
    exact_model, schedule, (2,), mixture=mixture, num_runs=8, num_samples=dl.pick(reader=400, fast=150),
    step_counts=dl.pick(reader=(100, 10), fast=(50, 10)), interp_steps=dl.pick(reader=100, fast=50),
    repro_steps=dl.pick(reader=1000, fast=100))

# %% slideshow={"slide_type": "fragment"}
rep, interp = report.reproducibility, report.interpolation
assert rep["ancestral"].variance > 1e-3 and rep["ddim"].variance == 0.0, "ancestral runs differ, DDIM runs do not"
assert report.degradation.floor.mse > 0.05, "the MSE-to-a-stochastic-reference measure has a large noise floor"
assert interp["ddim"].mean_run_variance == 0.0 and dl.clearly_less(0.0, interp["ancestral"].spread)
print("report checks passed")

# %% slideshow={"slide_type": "-"}
swiss.table(caption=f"Exact swiss roll, N = {N_EXACT} per row from the same x_T.").folded(
    "Full tables: exact swiss roll, the trained 2D network and MNIST (click to open)",
    trained.table(caption=f"Trained 2D MLP, N = {N_TOY}."),
    digits.table(caption=f"MNIST 16×16 UNet, x̂₀ clipped; N = {N_MNIST}."))


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
