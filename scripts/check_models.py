"""Print every quality and speed bar of the shipped models (see data/README.md).

    PYTHONPATH=. python scripts/check_models.py [--grid /tmp/mnist_samples.png] [--update-manifest]

toy2d:  energy distance of 2,000 1000-step ancestral samples to 2,000 fresh true samples, vs the
        true-vs-true floor (bar: <= 2x floor), for the network and the exact ε*; log-likelihoods.
mnist-features: held-out accuracy (bar: >= 97%).
mnist:  256 1000-step ancestral samples: fraction classified with confidence >= 0.9 (bar: >= 80%),
        class histogram (bar: every class in [4%, 18%]), FD in classifier features; wall time of
        1000-step sampling of 16 images (bar: <= 60 s).
"""
from __future__ import annotations

import argparse
import time

import torch

from ddpm_lessons.data import load_mnist, make_grid
from ddpm_lessons.metrics import (class_histogram, classify, confident_fraction, energy_distance_with_floor,
                                  feature_fd_floor, feature_frechet_distance, log_likelihood)
from ddpm_lessons.mixture import GaussianMixture
from ddpm_lessons.pretrained import load_pretrained, read_manifest, write_manifest_entry
from ddpm_lessons.samplers import ancestral_sample


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def check_toy2d(results):
    bundle, mixture = load_pretrained("toy2d", device="cpu"), GaussianMixture.preset("swiss_roll")
    real = mixture.sample(2000, torch.Generator().manual_seed(99))
    print("toy2d (2,000 samples, 1000-step ancestral, seed 1)")
    for label, model in (("network", bundle.model), ("exact eps*", mixture.eps_model(bundle.schedule))):
        g = torch.Generator().manual_seed(1)
        x = ancestral_sample(model, bundle.schedule, torch.randn(2000, 2, generator=g), generator=g)
        ed, floor = energy_distance_with_floor(x, mixture, generator=torch.Generator().manual_seed(2))
        ll = log_likelihood(x, mixture)
        print(f"  {label:10s}: energy distance {ed:.5f}, floor {floor:.5f}, ratio {ed / floor:.2f} "
              f"[{verdict(ed <= 2 * floor)} <= 2x]; log-lik mean {ll['mean']:.3f}, median {ll['median']:.3f}")
        key = "network" if label == "network" else "exact"
        results["toy2d"].update({f"{key}_energy_distance": ed, f"{key}_energy_floor": floor,
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


def check_mnist(results, clf, grid_path, n=256):
    bundle = load_pretrained("mnist", device="cpu")
    g = torch.Generator().manual_seed(3)
    x_T = torch.randn(16, *bundle.sample_shape, generator=g)
    t0 = time.perf_counter()
    ancestral_sample(bundle.model, bundle.schedule, x_T, generator=g, progress=False)
    seconds = time.perf_counter() - t0
    print(f"mnist: 1000-step ancestral sampling of 16 images took {seconds:.1f} s "
          f"({torch.get_num_threads()} threads) [{verdict(seconds <= 60)} <= 60 s]")
    g = torch.Generator().manual_seed(4)
    samples = torch.cat([ancestral_sample(bundle.model, bundle.schedule,
                                          torch.randn(64, *bundle.sample_shape, generator=g), generator=g)
                         for _ in range(n // 64)])
    probs = classify(samples, clf)
    frac, hist = confident_fraction(probs, 0.9), class_histogram(probs)
    held, _ = load_mnist("heldout")
    fd, fd_floor = feature_frechet_distance(samples[:250], held[:250], clf), feature_fd_floor(clf, 250)
    print(f"  {n} samples: confident (p >= 0.9) fraction {frac:.3f} [{verdict(frac >= 0.8)} >= 0.80]")
    print("  class histogram: " + " ".join(f"{d}:{h:.3f}" for d, h in enumerate(hist.tolist()))
          + f" [{verdict(bool((hist >= 0.04).all() and (hist <= 0.18).all()))} all in [0.04, 0.18]]")
    print(f"  FD in MNIST-classifier features, 250 samples vs 250 held-out: {fd:.2f} "
          f"(real-vs-real floor, two held-out halves of 250: {fd_floor:.2f})")
    results["mnist"].update(sample16_seconds=seconds, confident_fraction_256=frac,
                            class_histogram_256=[round(h, 4) for h in hist.tolist()],
                            feature_fd_250=fd, feature_fd_floor_250=fd_floor)
    if grid_path:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.imsave(grid_path, make_grid(samples[:64], nrow=8).numpy(), cmap="gray", vmin=0, vmax=1)
        print(f"  wrote a grid of 64 samples to {grid_path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", default=None, help="write a PNG grid of 64 mnist samples here (e.g. /tmp)")
    parser.add_argument("--update-manifest", action="store_true", help="store the measured bars in data/manifest.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", choices=["toy2d", "mnist"], default=None, help="check one diffusion model only")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = {"toy2d": {}, "mnist": {}, "mnist-features": {}}
    if args.only in (None, "toy2d"):
        check_toy2d(results)
    if args.only in (None, "mnist"):
        clf = check_classifier(results)
        check_mnist(results, clf, args.grid)
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
