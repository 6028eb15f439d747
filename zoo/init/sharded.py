"""Initializing parameters sharded by FSDP2 / DTensor: each rank draws only its shard.

zoo's values are a block-seeded stream over a parameter's flattened elements, so a rank
holding rows [r0, r1) of a Shard(0) parameter draws only the blocks covering them and gets
exactly the values a single process would. Orthogonal init needs the whole matrix: every
rank then draws it whole and keeps its rows (correct, not cheaper), and zoo warns.
"""

from __future__ import annotations

import math

import torch

from zoo.errors import warn_caller


def local_shard(param: torch.Tensor) -> tuple[torch.Tensor, int] | None:
    """(local tensor, flat offset of its first element) for a DTensor; None otherwise."""
    if type(param).__name__ != "DTensor":  # avoid importing torch.distributed for plain tensors
        return None
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    local = param.to_local()
    placements = param.placements
    if all(isinstance(p, Replicate) for p in placements):
        return local, 0
    if not (len(placements) == 1 and isinstance(placements[0], Shard) and placements[0].dim == 0):
        raise NotImplementedError(
            f"zoo initializes DTensors sharded on dim 0 (FSDP2) or replicated, got {placements}"
        )
    _, offset = compute_local_shape_and_global_offset(param.shape, param.device_mesh, placements)
    return local, offset[0] * math.prod(param.shape[1:])


def fill_shard(distribution, name: str, shape: tuple[int, ...], local: torch.Tensor,
               start: int, seed: int) -> None:
    """Write this rank's part of the parameter ``name``."""
    flat = local.view(-1)
    if flat.numel() == 0:
        return
    try:
        distribution.fill_(flat, seed, start)
    except NotImplementedError:
        warn_caller(
            f"{name}: {distribution.summary()} needs the whole matrix, so every rank draws "
            "all of it and keeps its own rows"
        )
        full = distribution.sample(shape, seed).view(-1)
        flat.copy_(full[start : start + flat.numel()])
