"""Wall time and peak memory (RSS of the kernel process tree) of each notebook, in test mode and
in reader mode. The notebooks on disk are not modified."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BARS = {"fast_total_s": 360, "reader_each_s": 180, "reader_each_rss_gb": 1.5}


class PeakRSS:
    """Polls the summed RSS of this process's children (the kernel) until stopped."""

    def __init__(self, interval=0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def _poll(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in me.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_notebook(path: Path, fast: bool, timeout=1200) -> tuple:
    """(seconds, peak RSS in GB) of one top-to-bottom run with a fresh kernel."""
    from tools import nbio  # the build tools' notebook runner (needs the [test] extras)

    nb = nbio.read(path)
    os.environ["DDPM_LESSONS_FAST"] = "1" if fast else "0"
    start = time.perf_counter()
    with PeakRSS() as rss:
        nbio.run(nb, path, timeout)
    return time.perf_counter() - start, rss.peak / 2**30


def run(modes=("fast", "reader")) -> list:
    """Rows (notebook, mode, seconds, peak GB, ok-for-its-bar)."""
    rows = []
    for mode in modes:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            secs, gb = run_notebook(path, fast=(mode == "fast"))
            ok = True if mode == "fast" else (secs <= BARS["reader_each_s"] and gb <= BARS["reader_each_rss_gb"])
            rows.append((path.name, mode, secs, gb, ok))
            print(f"  notebook {path.name:28s} {mode:6s} {secs:6.1f} s  peak {gb:.2f} GB", flush=True)
    return rows
