"""Seeds derived from names, and samplers built only from parts that agree everywhere.

Every parameter gets its own seed, a stable hash of (model seed, qualified name, shape),
so a parameter's values do not depend on construction order or on the global RNG. Values are
drawn in fixed-size blocks, each from its own generator seeded by (parameter seed, block
index): the result is the same whether blocks are filled one after another or in
parallel. Uniform bits come from torch's CPU Mersenne Twister in float64 (integer
arithmetic, identical on every CPU); the transforms to other distributions run in
float64 and are rounded once to float32, which hides last-ulp differences between
vectorized math libraries.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import torch

BLOCK_SIZE = 1 << 16  # elements per independently seeded block; every block is drawn whole

_MASK_63 = (1 << 63) - 1
_TINY = 2.0**-53  # uniform_ may return exactly 0; log and erfinv need the open interval

Transform = Callable[[torch.Tensor], torch.Tensor]


def _hash_to_seed(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _MASK_63


def parameter_seed(seed: int, name: str, shape: tuple[int, ...]) -> int:
    """Seed of one parameter: a stable hash of the model seed, its qualified name and shape.

    The shape is part of it so that a resized parameter (a 5-class head replacing a
    10-class one) gets values independent of the old ones, not a prefix of them.

    >>> parameter_seed(0, "fc.weight", (10, 512)) == parameter_seed(0, "fc.weight", (5, 512))
    False
    """
    dims = "x".join(str(int(d)) for d in shape)
    return _hash_to_seed(f"zoo-param/{int(seed)}/{name}/{dims}")


def block_seed(param_seed: int, index: int) -> int:
    """Seed of block ``index`` of a parameter whose seed is ``param_seed``."""
    return _hash_to_seed(f"zoo-block/{param_seed}/{index}")


def _generator(seed: int) -> torch.Generator:
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    return gen


def uniform_block(length: int, gen: torch.Generator) -> torch.Tensor:
    return torch.empty(length, dtype=torch.float64, device="cpu").uniform_(generator=gen).clamp_(min=_TINY)


def normal_block(length: int, gen: torch.Generator) -> torch.Tensor:
    # Box-Muller on our own uniforms: both halves of each pair are used.
    half = (length + 1) // 2
    u1 = uniform_block(half, gen)
    u2 = torch.empty(half, dtype=torch.float64, device="cpu").uniform_(generator=gen)
    radius = u1.log_().mul_(-2.0).sqrt_()
    angle = u2.mul_(2.0 * math.pi)
    out = torch.empty(2 * half, dtype=torch.float64, device="cpu")
    torch.mul(radius, torch.cos(angle), out=out[:half])
    torch.mul(radius, angle.sin_(), out=out[half:])
    return out[:length]


_POOL: ThreadPoolExecutor | None = None

Job = Callable[[], int]  # writes some elements and returns how many


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads()))
    return _POOL


def run_jobs(jobs: list[Job], done: Callable[[int], object] | None = None) -> None:
    """Run independent jobs, in parallel threads when there are several.

    Jobs write disjoint elements from their own generators, so the order and the number
    of threads cannot change a bit. ``done`` gets each job's element count (a progress bar).
    """
    results = map(lambda job: job(), jobs) if len(jobs) <= 1 else _pool().map(lambda job: job(), jobs)
    for count in results:
        if done is not None:
            done(count)


def block_jobs(
    out: torch.Tensor,
    seed: int,
    draw: Callable[[int, torch.Generator], torch.Tensor],
    transform: Transform | None = None,
    start: int = 0,
) -> list[Job]:
    """One job per block overlapping elements ``[start, start + len(out))`` of a stream.

    ``out`` is 1-D, of any dtype and device. Each block is drawn in float64, transformed,
    rounded to float32 and then cast into ``out``, so lower precisions equal the float32
    values cast. Only the blocks that overlap the range are drawn: a shard of a parameter
    costs only its share.
    """
    stop = start + out.numel()

    def fill_block(index: int) -> int:
        block_start = index * BLOCK_SIZE
        values = draw(BLOCK_SIZE, _generator(block_seed(seed, index)))
        lo, hi = max(start, block_start), min(stop, block_start + BLOCK_SIZE)
        values = values[lo - block_start : hi - block_start]
        values = transform(values) if transform else values
        if out.dtype != torch.float32:  # float32 first, so other dtypes get its values cast
            values = values.to(torch.float32)
        out[lo - start : hi - start].copy_(values)  # rounds (and moves) in one pass
        return hi - lo

    first, last = start // BLOCK_SIZE, -(-stop // BLOCK_SIZE)
    return [partial(fill_block, index) for index in range(first, last)]


def fill(
    out: torch.Tensor,
    seed: int,
    draw: Callable[[int, torch.Generator], torch.Tensor],
    transform: Transform | None = None,
    start: int = 0,
) -> torch.Tensor:
    """Write elements ``[start, start + len(out))`` of a block-seeded stream into ``out``
    (see ``block_jobs``), blocks in parallel threads."""
    run_jobs(block_jobs(out, seed, draw, transform, start))
    return out


def standard_normal(numel: int, seed: int) -> torch.Tensor:
    """``numel`` float64 samples of N(0, 1), block-seeded from ``seed`` (full precision)."""
    out = torch.empty(numel, dtype=torch.float64, device="cpu")
    for index in range(-(-numel // BLOCK_SIZE)):
        start = index * BLOCK_SIZE
        block = normal_block(BLOCK_SIZE, _generator(block_seed(seed, index)))
        out[start : start + BLOCK_SIZE] = block[: numel - start]
    return out
