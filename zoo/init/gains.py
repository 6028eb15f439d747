"""Gains for the nonlinearity that follows a layer.

PyTorch's table (``torch.nn.init.calculate_gain``) is reproduced for the activations it
covers. For modern activations it does not cover (GELU, SiLU, Mish, ELU, softplus), the
gain is the variance-preserving one, ``1 / sqrt(E[f(x)^2])`` for ``x ~ N(0, 1)``, computed
once by quadrature and cached. For ReLU that formula gives sqrt(2), PyTorch's value.
"""

from __future__ import annotations

import math
from functools import cache

import torch
import torch.nn.functional as F

from zoo.errors import UnknownPolicyError

_TABLE = {
    "linear": 1.0,
    "identity": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}

_MEASURED = {
    "gelu": F.gelu,
    "silu": F.silu,
    "swish": F.silu,
    "mish": F.mish,
    "elu": F.elu,
    "softplus": F.softplus,
}

NONLINEARITIES = tuple(sorted([*_TABLE, "leaky_relu", *_MEASURED]))


@cache
def _variance_preserving_gain(name: str) -> float:
    # Trapezoidal quadrature of f(x)^2 * phi(x) on [-12, 12]; the tails beyond carry < 1e-30.
    x = torch.linspace(-12.0, 12.0, 240_001, dtype=torch.float64, device="cpu")
    density = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    second_moment = torch.trapezoid(_MEASURED[name](x) ** 2 * density, x).item()
    return 1.0 / math.sqrt(second_moment)


def gain(nonlinearity: str, negative_slope: float = 0.01) -> float:
    """Recommended gain for the nonlinearity that follows a layer.

    >>> round(gain("relu"), 4)
    1.4142
    >>> round(gain("gelu"), 4)
    1.5335
    """
    name = nonlinearity.lower()
    if name in _TABLE:
        return _TABLE[name]
    if name == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + negative_slope**2))
    if name in _MEASURED:
        return _variance_preserving_gain(name)
    raise UnknownPolicyError(
        f"unknown nonlinearity {nonlinearity!r}; known: {', '.join(NONLINEARITIES)}"
    )
