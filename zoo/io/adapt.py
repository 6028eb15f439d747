"""Adapting an RGB stem to another number of input channels (timm's convention)."""

from __future__ import annotations

import math

import torch


def can_adapt_stem(file_shape: tuple[int, ...], model_shape: tuple[int, ...]) -> bool:
    """A 3-channel conv weight can become one with any other input-channel count."""
    return (
        len(file_shape) == len(model_shape) >= 3
        and file_shape[1] == 3
        and file_shape[0] == model_shape[0]
        and file_shape[2:] == model_shape[2:]
    )


def adapt_stem(weight: torch.Tensor, in_chans: int) -> tuple[torch.Tensor, str]:
    """Adapt an RGB conv ``weight`` (out, 3, *k) to ``in_chans`` inputs.

    One channel: sum over RGB, so a grey image gives the activations its RGB replica
    would. More (or 2): repeat the RGB filters and scale by 3 / in_chans, so activations
    keep their scale.

    >>> w = torch.ones(8, 3, 3, 3)
    >>> adapt_stem(w, 1)[0].shape, adapt_stem(w, 6)[0][0, 0, 0, 0].item()
    (torch.Size([8, 1, 3, 3]), 0.5)
    """
    original = weight.dtype
    weight = weight.float()
    if in_chans == 1:
        return weight.sum(dim=1, keepdim=True).to(original), "3 -> 1 input channels (sum over RGB)"
    repeats = math.ceil(in_chans / 3)
    adapted = weight.repeat(1, repeats, *([1] * (weight.dim() - 2)))[:, :in_chans] * (3 / in_chans)
    return adapted.to(original), f"3 -> {in_chans} input channels (RGB repeated, scaled by 3/{in_chans})"
