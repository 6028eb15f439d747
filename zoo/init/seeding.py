"""Seeds derived from names, and samplers built only from parts that agree everywhere.

Every parameter gets its own seed, a stable hash of (model seed, qualified name), so a
parameter's values do not depend on construction order or on the global RNG. Values are
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

import torch

BLOCK_SIZE = 1 << 16  # elements per independently seeded block

_MASK_63 = (1 << 63) - 1
_TINY = 2.0**-53  # uniform_ may return exactly 0; log and erfinv need the open interval

Transform = Callable[[torch.Tensor], torch.Tensor]


def _hash_to_seed(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _MASK_63


def parameter_seed(seed: int, name: str) -> int:
    """Seed of one parameter: a stable hash of the model seed and its qualified name.

    >>> parameter_seed(0, "fc.weight") == parameter_seed(0, "fc.weight")
    True
    """
    return _hash_to_seed(f"zoo-param/{int(seed)}/{name}")


def block_seed(param_seed: int, index: int) -> int:
    """Seed of block ``index`` of a parameter whose seed is ``param_seed``."""
    return _hash_to_seed(f"zoo-block/{param_seed}/{index}")


def _generator(seed: int) -> torch.Generator:
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    return gen


def _uniform_block(length: int, gen: torch.Generator) -> torch.Tensor:
    return torch.empty(length, dtype=torch.float64, device="cpu").uniform_(generator=gen).clamp_(min=_TINY)


def _normal_block(length: int, gen: torch.Generator) -> torch.Tensor:
    # Box-Muller on our own uniforms: both halves of each pair are used.
    half = (length + 1) // 2
    u1 = _uniform_block(half, gen)
    u2 = torch.empty(half, dtype=torch.float64, device="cpu").uniform_(generator=gen)
    radius = u1.log_().mul_(-2.0).sqrt_()
    angle = u2.mul_(2.0 * math.pi)
    out = torch.empty(2 * half, dtype=torch.float64, device="cpu")
    torch.mul(radius, torch.cos(angle), out=out[:half])
    torch.mul(radius, angle.sin_(), out=out[half:])
    return out[:length]


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads()))
    return _POOL


def _fill(
    numel: int, seed: int, draw: Callable[[int, torch.Generator], torch.Tensor],
    transform: Transform | None, dtype: torch.dtype,
) -> torch.Tensor:
    out = torch.empty(numel, dtype=dtype, device="cpu")

    def fill_block(index: int) -> None:
        start = index * BLOCK_SIZE
        length = min(BLOCK_SIZE, numel - start)
        values = draw(length, _generator(block_seed(seed, index)))
        out[start : start + length] = transform(values) if transform else values

    count = -(-numel // BLOCK_SIZE)
    if count <= 1:
        for index in range(count):
            fill_block(index)
    else:
        # Blocks are independent, so threads may fill them in any order: same bits.
        list(_pool().map(fill_block, range(count)))
    return out


def uniform_open01(
    numel: int, seed: int, transform: Transform | None = None, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """``numel`` samples of U(0, 1) (open at 0), block-seeded from ``seed``.

    ``transform`` maps each float64 block before it is stored as ``dtype``.
    """
    return _fill(numel, seed, _uniform_block, transform, dtype)


def standard_normal(
    numel: int, seed: int, transform: Transform | None = None, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """``numel`` samples of N(0, 1), block-seeded from ``seed``; ``transform`` as above."""
    return _fill(numel, seed, _normal_block, transform, dtype)
