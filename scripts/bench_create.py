"""Time model creation: zoo.create vs timm.create_model vs torchvision, side by side.

Runs are interleaved (zoo, timm, torchvision, zoo, ...) so machine noise hits all three
alike; prints medians and the ratios. Run: python scripts/bench_create.py [--model resnet50] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import timm
import torch
import torchvision

import zoo


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    name = args.model
    contenders = {
        "zoo.create": lambda: zoo.create(name),
        "timm.create_model": lambda: timm.create_model(name),
        "torchvision": lambda: getattr(torchvision.models, name)(),
    }
    for fn in contenders.values():  # warm-up: first calls pay for lazy imports
        fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(args.repeat):
        for key, fn in contenders.items():
            times[key].append(timed(fn))
    medians = {k: statistics.median(v) for k, v in times.items()}
    count = sum(p.numel() for p in zoo.create(name, device="meta").parameters())
    print(f"{name}: {count:,} parameters, {torch.get_num_threads()} threads, "
          f"median of {args.repeat}")
    for key, value in medians.items():
        print(f"  {key:18} {value * 1000:8.1f} ms")
    print(f"  zoo / timm        {medians['zoo.create'] / medians['timm.create_model']:8.2f}")
    print(f"  zoo / torchvision {medians['zoo.create'] / medians['torchvision']:8.2f}")


if __name__ == "__main__":
    main()
