"""A multilayer perceptron: (Linear -> norm -> activation -> dropout) x N, then a head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from zoo import nn as znn
from zoo.init import Policy, kaiming_normal, xavier_uniform
from zoo.models.base import ZooModel
from zoo.models.config import ModelConfig

Activation = Literal["relu", "gelu", "silu", "tanh", "selu", "elu", "mish", "leaky_relu"]

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "selu": nn.SELU,
    "elu": nn.ELU,
    "mish": nn.Mish,
    "leaky_relu": nn.LeakyReLU,
}


@dataclass(frozen=True)
class MLPConfig(ModelConfig):
    in_features: int = 784
    out_features: int = 10
    hidden: tuple[int, ...] = (256, 256)
    activation: Activation = "relu"
    dropout: float = 0.0
    norm: Literal["none", "layernorm", "batchnorm"] = "none"
    bias: bool = True

    def check(self) -> None:
        self._require_positive("in_features", "out_features", "hidden")
        if not 0.0 <= self.dropout < 1.0:
            self._fail("dropout", "must be in [0, 1)")


class MLPBlock(nn.Module):
    def __init__(self, in_features: int, out_features: int, cfg: MLPConfig) -> None:
        super().__init__()
        self.fc = znn.Linear(in_features, out_features, bias=cfg.bias, nonlinearity=cfg.activation)
        if cfg.norm == "layernorm":
            self.norm: nn.Module = znn.LayerNorm(out_features)
        elif cfg.norm == "batchnorm":
            self.norm = znn.BatchNorm1d(out_features)
        else:
            self.norm = nn.Identity()
        self.act = _ACTIVATIONS[cfg.activation]()
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.act(self.norm(self.fc(x))))


class MLP(ZooModel):
    """MLP on flat features: ``(batch, in_features) -> (batch, out_features)``.

    Default init: hidden layers kaiming_normal(fan_in) with the activation's gain, the head
    xavier_uniform, biases 0, norm scale 1 and shift 0.

    >>> import torch, zoo
    >>> zoo.create("mlp", in_features=8, hidden=(16,), out_features=3)(torch.zeros(2, 8)).shape
    torch.Size([2, 3])
    """

    config: MLPConfig
    head_prefix = "head"
    head_field = "out_features"

    def __init__(self, config: MLPConfig) -> None:
        super().__init__(config)
        widths = (config.in_features, *config.hidden)
        self.blocks = nn.Sequential(
            *(MLPBlock(a, b, config) for a, b in zip(widths[:-1], widths[1:]))
        )
        self.head = self.make_head(config.out_features)

    def make_head(self, out_features: int) -> nn.Module:
        width = self.config.hidden[-1]
        return znn.Linear(width, out_features, bias=self.config.bias, head=True)

    def default_init_policy(self) -> Policy:
        return Policy(
            name="default",
            weight=kaiming_normal(mode="fan_in"),
            head_weight=xavier_uniform(),
            description="MLP: hidden weights kaiming_normal(fan_in, activation gain); head "
            "xavier_uniform; biases 0; norm scale 1, shift 0.",
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x))
