"""Create a ~1-billion-parameter MLP on the CPU and measure peak RSS against its weight bytes.

Runs in a fresh interpreter; peak RSS is the growth of the high-water mark after
imports (/proc/self/status VmHWM, reset via clear_refs). Goal: <= 1.1x the weight bytes.
Run: python scripts/bench_big_mlp.py [--width 16384 --layers 4]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import zoo


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=16384)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()
    config = dict(in_features=args.width, hidden=(args.width,) * (args.layers - 1),
                  out_features=args.width, bias=False)
    count = sum(p.numel() for p in zoo.create("mlp", device="meta", **config).parameters())
    Path("/proc/self/clear_refs").write_text("5")
    before = status_kb("VmRSS")
    start = time.perf_counter()
    model = zoo.create("mlp", seed=0, **config)
    seconds = time.perf_counter() - start
    peak = (status_kb("VmHWM") - before) * 1024
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    print(f"mlp: {count:,} parameters, {weights / 2**30:.2f} GiB of float32 weights")
    print(f"created in {seconds:.1f} s ({count / seconds / 1e6:.0f} M params/s)")
    print(f"peak RSS growth {peak / 2**30:.2f} GiB = {peak / weights:.3f} x the weight bytes "
          "(goal <= 1.1)")


if __name__ == "__main__":
    main()
