"""Time model creation: zoo.create vs timm.create_model vs torchvision vs a raw RNG fill.

Runs are interleaved (zoo, timm, torchvision, raw, zoo, ...) so machine noise hits all
alike; prints medians and the ratios, then the whole-process import time of zoo against
torch (median of several fresh interpreters).
Run: python scripts/bench_create.py [--model resnet50] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import timm
import torch
import torchvision

import zoo
from zoo.init.distributions import Normal


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


_PAIRED = (
    "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); "
    "import zoo; print(time.perf_counter() - t1)"
)


def import_seconds(runs: int = 9) -> tuple[dict[str, float], float]:
    """Median whole-process time of ``python -c "import M"`` for torch and zoo (runs
    interleaved), and the median time ``import zoo`` takes right after ``import torch``
    in the same fresh process (paired, so the noise of torch's 3 s import cancels).

    Bytecode caching is allowed (PYTHONDONTWRITEBYTECODE removed) as on a user's machine.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import zoo"], check=True, env=env)  # writes .pyc
    times: dict[str, list[float]] = {"torch": [], "zoo": []}
    paired = []
    for _ in range(runs):
        for module in times:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
            times[module].append(time.perf_counter() - start)
        out = subprocess.run([sys.executable, "-c", _PAIRED], check=True, env=env,
                             capture_output=True, text=True).stdout
        paired.append(float(out))
    return {m: statistics.median(t) for m, t in times.items()}, statistics.median(paired)


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
        # zoo's sampler alone on the same floats: what the model and policy add is the rest
        "zoo sampler alone": lambda: Normal(0.0, 0.02).fill_(torch.empty(count), seed=0),
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
    print(f"  sampler / raw     {medians['zoo sampler alone'] / medians['raw normal_ fill']:8.2f}  "
          "(the price of bits that agree on every CPU)")
    whole, paired = import_seconds()
    print(f"import: torch {whole['torch']:.2f} s, zoo {whole['zoo']:.2f} s, zoo adds "
          f"{whole['zoo'] - whole['torch']:+.2f} s (goal <= 0.2 s; whole process, median of 9 "
          f"interleaved); import zoo after torch in the same process: {paired:.3f} s (median of 9)")


if __name__ == "__main__":
    main()
