"""LSUV (Mishkin & Matas 2016): orthogonal pre-init, then unit output variance per layer.

Layer by layer in forward order, each conv / linear weight is divided by the standard
deviation its output shows on a data batch, until that variance is within ``tol`` of 1.
The result is recorded as a policy (orthogonal, plus one exact-name rule per layer that
scales it), so the model's weights stay a pure function of (policy, seed): describe
reports the scales, a file stores them, ``reset_parameters()`` redraws the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from zoo.errors import InitError
from zoo.init.engine import apply
from zoo.init.initializers import Orthogonal, Scaled
from zoo.init.report import InitReport
from zoo.init.roles import slots


@dataclass(frozen=True)
class LSUVLayer:
    name: str  # the weight's qualified name
    scale: float  # total factor applied to the orthogonal init
    variance: float  # output variance on the batch after scaling
    iterations: int


class _Stop(Exception):
    """Raised by a hook to end a forward pass once the measured layer has run."""


def _forward(model: nn.Module, batch: torch.Tensor) -> None:
    """Run ``model`` on ``batch`` without grad; a hook's _Stop ends it early, any other
    failure becomes an InitError naming the batch shape."""
    try:
        with torch.no_grad():
            model(batch)
    except _Stop:
        pass
    except (RuntimeError, ValueError) as err:
        raise InitError(
            f"LSUV: the model cannot run on a batch of shape {tuple(batch.shape)}: "
            f"{str(err).splitlines()[0][:200]}"
        ) from None


def _output_variance(model: nn.Module, layer: nn.Module, batch: torch.Tensor) -> float:
    captured: list[torch.Tensor] = []

    def hook(_module, _inputs, output):
        captured.append(output.detach())
        raise _Stop

    handle = layer.register_forward_hook(hook)
    try:
        _forward(model, batch)
    finally:
        handle.remove()
    if not captured:
        raise InitError(f"LSUV: {type(layer).__name__} did not run in the forward pass")
    return captured[0].double().var().item()


def lsuv(
    model: nn.Module, batch: torch.Tensor, seed: int = 0, tol: float = 0.05, max_iter: int = 10
) -> tuple[InitReport, list[LSUVLayer]]:
    """Initialize ``model`` with LSUV on ``batch``; deterministic for a given seed and batch.

    Returns the init report (rows name the LSUV scale) and the per-layer scales and
    measured variances. Runs in eval mode (dropout off, norms on their initial
    statistics) and restores the model's mode.

    >>> import torch, zoo
    >>> net = zoo.create("mlp", in_features=16, hidden=(32, 32), out_features=4)
    >>> _, layers = zoo.init.lsuv(net, torch.randn(256, 16, generator=torch.Generator().manual_seed(0)))
    >>> all(abs(layer.variance - 1) < 0.05 for layer in layers)
    True
    """
    if not 0 < tol < 1:
        raise InitError(f"LSUV tol must be in (0, 1), got {tol}")
    if not isinstance(batch, torch.Tensor) or not torch.isfinite(batch).all():
        raise InitError("LSUV needs a batch tensor of finite values")
    training = model.training
    model.eval()
    apply(model, "orthogonal", seed)
    layer_kinds = ("linear", "conv", "conv_transpose")
    targets = [s for s in slots(model) if s.role == "weight" and s.kind in layer_kinds]
    order: list[int] = []
    handles = [
        s.module.register_forward_hook(lambda m, i, o, k=index: order.append(k))
        for index, s in enumerate(targets)
    ]
    try:
        _forward(model, batch)
    finally:
        for handle in handles:
            handle.remove()
    layers = []
    for index in dict.fromkeys(order):  # forward order, each layer once
        slot = targets[index]
        weight = getattr(slot.module, slot.attr)
        scale, variance, iteration = 1.0, _output_variance(model, slot.module, batch), 0
        while abs(variance - 1.0) > tol and iteration < max_iter:
            if variance == 0:
                raise InitError(f"LSUV: {slot.name} outputs a constant on this batch")
            factor = variance**-0.5
            with torch.no_grad():
                weight.mul_(factor)
            scale *= factor
            iteration += 1
            variance = _output_variance(model, slot.module, batch)
        layers.append(LSUVLayer(slot.name, scale, variance, iteration))
    rules = [(layer.name, Scaled(Orthogonal(), layer.scale)) for layer in layers]
    report = apply(model, {"base": "orthogonal", "rules": [[n, i.to_dict()] for n, i in rules]}, seed)
    model.train(training)
    return report, layers
