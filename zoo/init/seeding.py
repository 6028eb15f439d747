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

import torch

BLOCK_SIZE = 1 << 20  # elements per independently seeded block

_MASK_63 = (1 << 63) - 1


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


def _blocks(numel: int) -> list[tuple[int, int]]:
    return [(start, min(BLOCK_SIZE, numel - start)) for start in range(0, numel, BLOCK_SIZE)]


def _generator(seed: int) -> torch.Generator:
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    return gen


def uniform_open01(numel: int, seed: int) -> torch.Tensor:
    """``numel`` float64 samples in (0, 1), block-seeded from ``seed``."""
    out = torch.empty(numel, dtype=torch.float64)
    for index, (start, length) in enumerate(_blocks(numel)):
        block = out[start : start + length]
        block.uniform_(generator=_generator(block_seed(seed, index)))
        # uniform_ may return exactly 0; move it into the open interval for log/erfinv.
        block.clamp_(min=2.0**-53)
    return out


def standard_normal(numel: int, seed: int) -> torch.Tensor:
    """``numel`` float64 N(0, 1) samples (Box-Muller on our own uniforms), block-seeded."""
    out = torch.empty(numel, dtype=torch.float64)
    for index, (start, length) in enumerate(_blocks(numel)):
        half = (length + 1) // 2
        gen = _generator(block_seed(seed, index))
        u1 = torch.empty(half, dtype=torch.float64).uniform_(generator=gen).clamp_(min=2.0**-53)
        u2 = torch.empty(half, dtype=torch.float64).uniform_(generator=gen)
        radius = torch.sqrt(-2.0 * torch.log(u1))
        angle = (2.0 * math.pi) * u2
        pair = torch.cat((radius * torch.cos(angle), radius * torch.sin(angle)))
        out[start : start + length] = pair[:length]
    return out
