"""Print every quality and speed bar of the shipped models (see data/README.md).

    PYTHONPATH=. python scripts/check_models.py [--grid /tmp/mnist_samples.png] [--update-manifest]

toy2d:  energy distance of 2,000 1000-step ancestral samples to 2,000 fresh true samples, vs the
        true-vs-true floor (bar: <= 2x floor), for the network and the exact ε*; log-likelihoods.
mnist-features: held-out accuracy (bar: >= 97%).
mnist:  with x̂₀ clipped to the data range [−1, 1]: 512 samples each of respaced ancestral (100 steps)
        and DDIM η=0 (50 steps), and 256 of 1000-step ancestral sampling: fraction classified with
        confidence >= 0.9 (bar: >= 90%), class histogram (bar: every class in [5%, 16%]), FD in
        classifier features against the held-out digits (bootstrap se) beside the real-vs-real
        floor at the same n; wall time of 1000-step sampling of 16 images (bar: <= 60 s).
"""
from __future__ import annotations

import argparse
import time

import torch

from ddpm_lessons.data import load_mnist, make_grid
from ddpm_lessons.metrics import (FeatureSpace, class_histogram, classify, confident_estimate,
                                  energy_distance_with_floor, log_likelihood)
from ddpm_lessons.mixture import GaussianMixture
from ddpm_lessons.pretrained import load_pretrained, read_manifest, write_manifest_entry
from ddpm_lessons.sampling import ancestral_sample, ddim_sample, respaced_ancestral_sample


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def check_toy2d(results):
    bundle, mixture = load_pretrained("toy2d", device="cpu"), GaussianMixture.preset("swiss_roll")
    real = mixture.sample(2000, torch.Generator().manual_seed(99))
    print("toy2d (2,000 samples, 1000-step ancestral, seed 1)")
    for label, model in (("network", bundle.model), ("exact eps*", mixture.eps_model(bundle.schedule))):
        g = torch.Generator().manual_seed(1)
        x = ancestral_sample(model, bundle.schedule, torch.randn(2000, 2, generator=g), generator=g, progress=False)
        ed, floor = energy_distance_with_floor(x, mixture, generator=torch.Generator().manual_seed(2))
        ll = log_likelihood(x, mixture)
        print(f"  {label:10s}: energy distance {ed:.5f} (groups of {ed.n}), floor {floor:.5f}, ratio "
              f"{ed.value / floor.value:.2f} [{verdict(ed.value <= 2 * floor.value)} <= 2x]; "
              f"log-lik mean {ll['mean']:.3f}, median {ll['median']:.3f}")
        key = "network" if label == "network" else "exact"
        results["toy2d"].update({f"{key}_energy_distance": ed.value, f"{key}_energy_distance_se": ed.se,
                                 f"{key}_energy_floor": floor.value, f"{key}_energy_floor_sd": floor.se,
                                 f"{key}_loglik_mean": ll["mean"], f"{key}_loglik_median": ll["median"]})
    ll = log_likelihood(real, mixture)
    print(f"  real data : log-lik mean {ll['mean']:.3f}, median {ll['median']:.3f}")
    results["toy2d"].update(real_loglik_mean=ll["mean"], real_loglik_median=ll["median"])


def check_classifier(results):
    clf = load_pretrained("mnist-features", device="cpu").model
    x, y = load_mnist("heldout")
    with torch.inference_mode():
        acc = (clf(x).argmax(1) == y).float().mean().item()
    print(f"mnist-features: held-out accuracy {acc:.4f} on {len(y)} digits [{verdict(acc >= 0.97)} >= 0.97]")
    results["mnist-features"]["heldout_accuracy"] = acc
    return clf


def _quality(label, samples, clf, space, train, results, key):
    probs = classify(samples, clf)
    conf, hist = confident_estimate(probs, 0.9), class_histogram(probs)
    n = len(samples)
    fd = space.fd(samples, generator=torch.Generator().manual_seed(5))
    floor = space.floor(train, n, generator=torch.Generator().manual_seed(6))
    hist_ok = bool((hist >= 0.05).all() and (hist <= 0.16).all())
    rng = (samples.min().item(), samples.max().item())
    print(f"  {label}, {n} samples: confident (p >= 0.9) {conf:.3f} [{verdict(conf.value >= 0.9)} >= 0.90]; "
          f"classes {hist.min().item():.3f}..{hist.max().item():.3f} [{verdict(hist_ok)} all in [0.05, 0.16]]; "
          f"FD {fd:.3g} vs real-vs-real floor {floor:.3g}; pixel range [{rng[0]:.2f}, {rng[1]:.2f}]")
    results["mnist"][key] = dict(n=n, confident=conf.value, confident_se=conf.se,
                                 class_histogram=[round(h, 4) for h in hist.tolist()], fd=fd.value, fd_se=fd.se,
                                 fd_floor=floor.value, fd_floor_sd=floor.se)
    return conf.value >= 0.9 and hist_ok


def check_mnist(results, clf, grid_path, quick=False):
    bundle = load_pretrained("mnist", device="cpu")
    model, schedule, shape, clip = bundle.model, bundle.schedule, bundle.sample_shape, bundle.clip_x0
    g = torch.Generator().manual_seed(3)
    x_T = torch.randn(16, *shape, generator=g)
    t0 = time.perf_counter()
    ancestral_sample(model, schedule, x_T, generator=g, progress=False, clip_x0=clip)
    seconds = time.perf_counter() - t0
    print(f"mnist: 1000-step ancestral sampling of 16 images took {seconds:.1f} s "
          f"({torch.get_num_threads()} threads) [{verdict(seconds <= 60)} <= 60 s]; x̂₀ clipped to ±{clip}")
    results["mnist"]["sample16_seconds"] = seconds
    held, _ = load_mnist("heldout")
    train, _ = load_mnist("train")
    space = FeatureSpace(clf, held)  # all 128 features: FD needs n >= 256
    n = 256 if quick else 512

    def batched(fn, count, seed):
        g = torch.Generator().manual_seed(seed)
        return torch.cat([fn(torch.randn(64, *shape, generator=g), g) for _ in range(count // 64)])

    runs = {
        "respaced ancestral, 100 steps": ("respaced100", lambda x, g: respaced_ancestral_sample(
            model, schedule, x, 100, generator=g, clip_x0=clip, progress=False), n),
        "DDIM eta=0, 50 steps": ("ddim50", lambda x, g: ddim_sample(model, schedule, x, 50, clip_x0=clip), n),
    }
    if not quick:
        runs["ancestral, 1000 steps"] = ("ancestral1000", lambda x, g: ancestral_sample(
            model, schedule, x, generator=g, clip_x0=clip, progress=False), 256)
    ok, samples = True, None
    for label, (key, fn, count) in runs.items():
        samples = batched(fn, count, 4)
        ok &= _quality(label, samples, clf, space, train, results, key)
        if grid_path and key == "ddim50":
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            plt.imsave(grid_path, make_grid(samples[:64], nrow=8).numpy(), cmap="gray", vmin=0, vmax=1)
            print(f"  wrote a grid of 64 DDIM samples to {grid_path}")
    print(f"mnist quality bars: {verdict(ok)}")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", default=None, help="write a PNG grid of 64 mnist samples here (e.g. /tmp)")
    parser.add_argument("--update-manifest", action="store_true", help="store the measured bars in data/manifest.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", choices=["toy2d", "mnist"], default=None, help="check one diffusion model only")
    parser.add_argument("--quick", action="store_true", help="mnist: 256 samples, no 1000-step run (a progress check)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = {"toy2d": {}, "mnist": {}, "mnist-features": {}}
    if args.only in (None, "toy2d"):
        check_toy2d(results)
    if args.only in (None, "mnist"):
        clf = check_classifier(results)
        check_mnist(results, clf, args.grid, quick=args.quick)
    if args.update_manifest:
        manifest = read_manifest()
        for name, values in results.items():
            if not values:
                continue
            entry = manifest[name]
            entry["check_models"] = values
            write_manifest_entry(name, entry)
        print("stored the measured bars under 'check_models' in data/manifest.json")


if __name__ == "__main__":
    main()
