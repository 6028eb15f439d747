"""Fans: how many inputs each output unit sums over, and the reverse.

zoo counts what flows (see docs/fans.md):

* ``Linear(in, out)``: fan_in = in, fan_out = out.
* ``ConvNd(in, out, k, groups=g)``: each output sums over in/g channels x prod(k) taps, so
  fan_in = in/g * prod(k); each input feeds out/g channels x prod(k) taps, so
  fan_out = out/g * prod(k).
* ``ConvTransposeNd(in, out, k, stride=s, groups=g)``: each output position receives
  prod(k/s) taps from each of in/g channels, so fan_in = in/g * prod(k/s); each input
  spreads over out/g channels x prod(k) taps, so fan_out = out/g * prod(k).

PyTorch's own counting (``torch.nn.init._calculate_fan_in_and_fan_out``) reads only the
weight's shape: fan_in = size(1) * prod(k), fan_out = size(0) * prod(k). It ignores
groups in fan_out and stride in transposed convolutions, and for a transposed convolution
it calls out/g the fan_in. The ``torch`` policy uses that counting, to reproduce PyTorch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


@dataclass(frozen=True)
class Fans:
    """Fans of a weight: zoo's flow counting and PyTorch's shape counting."""

    fan_in: float
    fan_out: float
    torch_fan_in: int
    torch_fan_out: int


def torch_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """PyTorch's counting from a weight shape: (size(1) * receptive, size(0) * receptive)."""
    if len(shape) < 2:
        raise ValueError(f"fans need a weight with at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def shape_fans(shape: tuple[int, ...]) -> Fans:
    """Fans of a dense weight known only by its shape (out, in, *kernel)."""
    fan_in, fan_out = torch_fans(shape)
    return Fans(float(fan_in), float(fan_out), fan_in, fan_out)


def module_fans(module: nn.Module, shape: tuple[int, ...]) -> Fans:
    """Fans of ``module``'s weight of ``shape``, counting what flows.

    >>> module_fans(nn.Conv2d(8, 16, 3, groups=4), (16, 2, 3, 3))
    Fans(fan_in=18.0, fan_out=36.0, torch_fan_in=18, torch_fan_out=144)
    """
    if isinstance(module, nn.RNNBase):
        # PyTorch draws every RNN weight and bias from U(±1/sqrt(hidden_size)).
        hidden = module.hidden_size
        fan_in, fan_out = torch_fans(shape) if len(shape) >= 2 else (hidden, hidden)
        return Fans(float(fan_in), float(fan_out), hidden, hidden)
    torch_in, torch_out = torch_fans(shape)
    if isinstance(module, _CONV):
        kernel = math.prod(module.kernel_size)
        groups = module.groups
        fan_in = module.in_channels // groups * kernel
        fan_out = module.out_channels // groups * kernel
        return Fans(float(fan_in), float(fan_out), torch_in, torch_out)
    if isinstance(module, _CONV_T):
        kernel = math.prod(module.kernel_size)
        taps_per_output = math.prod(k / s for k, s in zip(module.kernel_size, module.stride))
        groups = module.groups
        fan_in = module.in_channels // groups * taps_per_output
        fan_out = module.out_channels // groups * kernel
        return Fans(float(fan_in), float(fan_out), torch_in, torch_out)
    if isinstance(module, nn.Embedding):
        # One row is selected per token: each output unit sees one input (a one-hot).
        return Fans(1.0, float(shape[0]), torch_in, torch_out)
    return shape_fans(shape)
