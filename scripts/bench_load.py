"""Loading a resnet50 checkpoint: zoo.load vs bare safetensors vs meta+assign vs timm.

Times are medians of interleaved runs in one process (noise hits all alike); peak RSS is
measured per approach in a fresh subprocess (after its imports) as the growth of the
high-water mark, reset through /proc/self/clear_refs (Linux). Run: python scripts/bench_load.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import timm
import torch
from safetensors.torch import load_file

import zoo


def touch(tensors) -> float:
    return sum(float(t.sum()) for t in tensors)  # read every page of every tensor


def bare_load_file(path: str) -> None:
    touch(load_file(path).values())


def meta_assign(path: str) -> None:
    with torch.device("meta"):
        model = timm.create_model("resnet50")
    model.load_state_dict(load_file(path), assign=True)
    touch(model.state_dict().values())


def zoo_load(path: str) -> None:
    touch(zoo.load(path).state_dict().values())


def timm_create_and_load(path: str) -> None:
    model = timm.create_model("resnet50")
    model.load_state_dict(load_file(path))
    touch(model.state_dict().values())


APPROACHES = {
    "zoo.load": zoo_load,
    "load_file + touch": bare_load_file,
    "meta + assign (by hand)": meta_assign,
    "timm create + load": timm_create_and_load,
}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_peak_growth_mb(name: str, path: str) -> float:
    """Run one approach; return its peak RSS growth (MB). Linux: VmHWM reset via clear_refs."""
    Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current RSS
    before = _status_kb("VmRSS")
    APPROACHES[name](path)
    return (_status_kb("VmHWM") - before) / 1024


def peak_rss_mb(name: str, path: str) -> float:
    """Peak RSS growth of one approach, in a fresh interpreter (after its imports)."""
    code = (
        "import sys; sys.path.insert(0, 'scripts'); import bench_load as b; "
        f"print(b.measure_peak_growth_mb({name!r}, {path!r}))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    path = str(zoo.save(zoo.create("resnet50"), Path(folder) / "resnet50.safetensors"))
    for fn in APPROACHES.values():
        fn(path)  # warm the page cache and lazy imports
    times: dict[str, list[float]] = {k: [] for k in APPROACHES}
    for _ in range(args.repeat):
        for key, fn in APPROACHES.items():
            start = time.perf_counter()
            fn(path)
            times[key].append(time.perf_counter() - start)
    median = {k: statistics.median(v) for k, v in times.items()}
    rss = {k: peak_rss_mb(k, path) for k in APPROACHES}
    size_mb = Path(path).stat().st_size / 2**20
    print(f"resnet50 file: {size_mb:.1f} MB, median of {args.repeat}, {torch.get_num_threads()} threads")
    print(f"  {'approach':26} {'time ms':>8} {'peak RSS +MB':>13}")
    for key in APPROACHES:
        print(f"  {key:26} {median[key] * 1000:8.1f} {rss[key]:13.1f}")
    by_hand, timm_total = median["meta + assign (by hand)"], median["timm create + load"]
    print(f"  zoo.load / meta+assign time   {median['zoo.load'] / by_hand:.2f}  (goal <= 1.2)")
    print(f"  zoo.load / timm+load time     {median['zoo.load'] / timm_total:.2f}  (goal <= 0.25)")
    print(f"  zoo.load / load_file peak RSS {rss['zoo.load'] / rss['load_file + touch']:.2f}  (goal <= 1.2)")


if __name__ == "__main__":
    main()
