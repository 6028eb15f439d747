"""Time model creation: zoo.create vs timm.create_model vs torchvision vs a raw RNG fill.

Runs are interleaved (zoo, timm, torchvision, raw, zoo, ...) so machine noise hits all
alike; prints medians and the ratios, then the whole-process import time of zoo against
torch (median of several fresh interpreters).
Run: python scripts/bench_create.py [--model resnet50] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import timm
import torch
import torchvision

import zoo


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def raw_fill(numel: int, threads: int) -> None:
    """The floor: torch's own float32 normal_ on ``threads`` generators in parallel."""
    chunk = -(-numel // threads)

    def one(index: int) -> None:
        gen = torch.Generator().manual_seed(index)
        torch.empty(min(chunk, numel - index * chunk)).normal_(generator=gen)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(threads)))


def import_seconds(modules: tuple[str, ...], runs: int = 9) -> dict[str, float]:
    """Median whole-process time of ``python -c "import M"``, runs interleaved."""
    times: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(runs):
        for module in modules:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
            times[module].append(time.perf_counter() - start)
    return {m: statistics.median(t) for m, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    name = args.model
    count = sum(p.numel() for p in zoo.create(name, device="meta").parameters())
    threads = torch.get_num_threads()
    contenders = {
        "zoo.create": lambda: zoo.create(name),
        "timm.create_model": lambda: timm.create_model(name),
        "torchvision": lambda: getattr(torchvision.models, name)(),
        "raw normal_ fill": lambda: raw_fill(count, threads),
    }
    for fn in contenders.values():  # warm-up: first calls pay for lazy imports
        fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(args.repeat):
        for key, fn in contenders.items():
            times[key].append(timed(fn))
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"{name}: {count:,} parameters, {threads} threads, "
          f"median of {args.repeat}")
    for key, value in medians.items():
        print(f"  {key:18} {value * 1000:8.1f} ms")
    print(f"  zoo / timm        {medians['zoo.create'] / medians['timm.create_model']:8.2f}  (goal <= 0.6)")
    print(f"  zoo / torchvision {medians['zoo.create'] / medians['torchvision']:8.2f}")
    print(f"  zoo / raw fill    {medians['zoo.create'] / medians['raw normal_ fill']:8.2f}  (goal <= 1.5)")
    imports = import_seconds(("torch", "zoo"))
    torch_s, zoo_s = imports["torch"], imports["zoo"]
    print(f"import: torch {torch_s:.2f} s, zoo {zoo_s:.2f} s, zoo adds {zoo_s - torch_s:+.2f} s "
          "(goal <= 0.2 s; whole process, median of 9 interleaved)")


if __name__ == "__main__":
    main()
