"""Linear layer with a declared init."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from zoo.nn.layer import ZooLayer


class Linear(ZooLayer, nn.Linear):
    """``torch.nn.Linear`` whose init is declared, never PyTorch's implicit default.

    ``bias`` defaults to True, as in torch. ``nonlinearity`` names the activation that
    follows (it sets the gain of fan-based policies); ``weight_init`` / ``bias_init``
    override the model's policy for this layer; ``head=True`` marks a classifier head.

    >>> import zoo
    >>> layer = zoo.nn.Linear(5, 100, bias=False, weight_init="xavier_uniform")
    >>> layer.bias is None, layer.weight.abs().max().item() <= (6 / 105) ** 0.5
    (True, True)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        nonlinearity: str | None = None,
        weight_init: Any = None,
        bias_init: Any = None,
        head: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self._declare_init(
            nonlinearity=nonlinearity, weight_init=weight_init, bias_init=bias_init, head=head
        )
