"""Initializers: what a parameter should get, before its fans are known.

An initializer resolves against a parameter (shape, fans, the nonlinearity after it,
its role) to a :class:`~zoo.init.distributions.Distribution` with concrete numbers.
Calling one is the pure functional form, ``init(shape, fans, seed) -> float32 tensor``:

>>> w = kaiming_normal()((256, 128), seed=0)
>>> round(w.std().item(), 2), w.dtype
(0.12, torch.float32)

Initializers that need fans or a matrix (kaiming, xavier, lecun, orthogonal) are never
applied to 1-D tensors: a policy gives biases and norm parameters their own defaults.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from zoo.errors import PolicyError, UnknownPolicyError
from zoo.init import distributions as dist
from zoo.init.fans import Fans, shape_fans
from zoo.init.gains import gain as nonlinearity_gain


def _finite(owner: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyError(f"{owner}: {name} must be a finite number, got {value!r}")
    return float(value)


def _positive(owner: str, name: str, value: object) -> float:
    number = _finite(owner, name, value)
    if number <= 0:
        raise PolicyError(f"{owner}: {name} must be > 0, got {value!r}")
    return number


@dataclass(frozen=True)
class Resolved:
    """An initializer's numbers for one parameter, as the init report shows them."""

    distribution: dist.Distribution
    fan_in: float | None = None
    fan_out: float | None = None
    gain: float | None = None


@dataclass(frozen=True)
class Initializer:
    """Base class. Subclasses set ``name`` and implement :meth:`resolve`."""

    name: ClassVar[str] = ""
    requires_2d: ClassVar[bool] = False  # needs fans or a matrix: never given a 1-D tensor

    def resolve(
        self,
        shape: tuple[int, ...],
        fans: Fans | None = None,
        nonlinearity: str = "linear",
        role: str = "weight",
    ) -> Resolved:
        raise NotImplementedError

    def __call__(
        self, shape: tuple[int, ...], fans: Fans | None = None, seed: int = 0
    ) -> torch.Tensor:
        """Sample a float32 CPU tensor of ``shape``; fans default to the shape's."""
        shape = tuple(int(s) for s in shape)
        if fans is None and len(shape) >= 2:
            fans = shape_fans(shape)
        return self.resolve(shape, fans).distribution.sample(shape, seed)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **dataclasses.asdict(self)}

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(self).items() if v is not None)
        return f"{self.name}({args})"

    def _fans(self, shape: tuple[int, ...], fans: Fans | None) -> Fans:
        if len(shape) < 2:
            raise ValueError(
                f"{self.name} needs a tensor with at least 2 dimensions to count fans, "
                f"got shape {shape}; use zeros, constant, normal or uniform for 1-D tensors"
            )
        return fans or shape_fans(shape)


def _pick_fan(fans: Fans, mode: str) -> float:
    fan = fans.fan_in if mode == "fan_in" else fans.fan_out
    if fan <= 0:
        raise ValueError(f"{mode} is {fan:g}: a layer with no inputs or outputs has no scale")
    return fan


class _KaimingArgs:
    def __post_init__(self) -> None:
        if self.mode not in ("fan_in", "fan_out"):
            raise PolicyError(f"{self.name}: mode must be 'fan_in' or 'fan_out', got {self.mode!r}")
        if self.nonlinearity is not None:
            nonlinearity_gain(self.nonlinearity)  # unknown names fail here, with the list
        _finite(self.name, "negative_slope", self.negative_slope)


@dataclass(frozen=True)
class KaimingNormal(_KaimingArgs, Initializer):
    """He et al. 2015: N(0, gain / sqrt(fan)), gain from the following nonlinearity."""

    name: ClassVar[str] = "kaiming_normal"
    requires_2d: ClassVar[bool] = True
    mode: str = "fan_in"
    nonlinearity: str | None = None  # None: the layer's declared nonlinearity
    negative_slope: float = 0.01

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        g = nonlinearity_gain(self.nonlinearity or nonlinearity, self.negative_slope)
        std = g / math.sqrt(_pick_fan(fans, self.mode))
        return Resolved(dist.Normal(0.0, std), fans.fan_in, fans.fan_out, g)


@dataclass(frozen=True)
class KaimingUniform(_KaimingArgs, Initializer):
    """He et al. 2015, uniform: U(-b, b) with b = gain * sqrt(3 / fan)."""

    name: ClassVar[str] = "kaiming_uniform"
    requires_2d: ClassVar[bool] = True
    mode: str = "fan_in"
    nonlinearity: str | None = None
    negative_slope: float = 0.01

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        g = nonlinearity_gain(self.nonlinearity or nonlinearity, self.negative_slope)
        bound = g * math.sqrt(3.0 / _pick_fan(fans, self.mode))
        return Resolved(dist.Uniform(-bound, bound), fans.fan_in, fans.fan_out, g)


@dataclass(frozen=True)
class XavierNormal(Initializer):
    """Glorot & Bengio 2010: N(0, gain * sqrt(2 / (fan_in + fan_out)))."""

    name: ClassVar[str] = "xavier_normal"
    requires_2d: ClassVar[bool] = True
    gain: float = 1.0

    def __post_init__(self) -> None:
        _positive(self.name, "gain", self.gain)

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        std = self.gain * math.sqrt(2.0 / (fans.fan_in + fans.fan_out))
        return Resolved(dist.Normal(0.0, std), fans.fan_in, fans.fan_out, self.gain)


@dataclass(frozen=True)
class XavierUniform(Initializer):
    """Glorot & Bengio 2010: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""

    name: ClassVar[str] = "xavier_uniform"
    requires_2d: ClassVar[bool] = True
    gain: float = 1.0

    def __post_init__(self) -> None:
        _positive(self.name, "gain", self.gain)

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        bound = self.gain * math.sqrt(6.0 / (fans.fan_in + fans.fan_out))
        return Resolved(dist.Uniform(-bound, bound), fans.fan_in, fans.fan_out, self.gain)


@dataclass(frozen=True)
class LecunNormal(Initializer):
    """LeCun et al. 1998 (the SELU init): N(0, 1 / sqrt(fan_in))."""

    name: ClassVar[str] = "lecun_normal"
    requires_2d: ClassVar[bool] = True

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        std = 1.0 / math.sqrt(fans.fan_in)
        return Resolved(dist.Normal(0.0, std), fans.fan_in, fans.fan_out, 1.0)


@dataclass(frozen=True)
class Orthogonal(Initializer):
    """Saxe et al. 2014: a semi-orthogonal matrix on the (dim 0, rest) flattening."""

    name: ClassVar[str] = "orthogonal"
    requires_2d: ClassVar[bool] = True
    gain: float | None = None  # None: the gain of the layer's nonlinearity

    def __post_init__(self) -> None:
        if self.gain is not None:
            _positive(self.name, "gain", self.gain)

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        g = self.gain if self.gain is not None else nonlinearity_gain(nonlinearity)
        rows = shape[0]
        cols = math.prod(shape) // rows
        return Resolved(dist.Orthogonal(g, rows, cols), fans.fan_in, fans.fan_out, g)


@dataclass(frozen=True)
class Normal(Initializer):
    """N(mean, std)."""

    name: ClassVar[str] = "normal"
    std: float = 1.0
    mean: float = 0.0

    def __post_init__(self) -> None:
        _positive(self.name, "std", self.std)
        _finite(self.name, "mean", self.mean)

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        return Resolved(dist.Normal(self.mean, self.std))


@dataclass(frozen=True)
class TruncNormal(Initializer):
    """N(mean, std) truncated to [mean + a*std, mean + b*std]; a, b in units of std."""

    name: ClassVar[str] = "trunc_normal"
    std: float = 1.0
    mean: float = 0.0
    a: float = -2.0
    b: float = 2.0

    def __post_init__(self) -> None:
        _positive(self.name, "std", self.std)
        _finite(self.name, "mean", self.mean)
        a, b = _finite(self.name, "a", self.a), _finite(self.name, "b", self.b)
        if not (a < b and a < 6 and b > -6):
            raise PolicyError(
                f"trunc_normal needs a < b (bounds in units of std) with some probability "
                f"mass between them (a < 6, b > -6), got a={self.a}, b={self.b}"
            )

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        return Resolved(dist.TruncatedNormal(self.mean, self.std, self.a, self.b))


@dataclass(frozen=True)
class Uniform(Initializer):
    """U(a, b)."""

    name: ClassVar[str] = "uniform"
    a: float = 0.0
    b: float = 1.0

    def __post_init__(self) -> None:
        if not _finite(self.name, "a", self.a) < _finite(self.name, "b", self.b):
            raise PolicyError(f"uniform needs a < b, got a={self.a}, b={self.b}")

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        return Resolved(dist.Uniform(self.a, self.b))


@dataclass(frozen=True)
class Constant(Initializer):
    """Every element equal to ``value``."""

    name: ClassVar[str] = "constant"
    value: float = 0.0

    def __post_init__(self) -> None:
        _finite(self.name, "value", self.value)

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        return Resolved(dist.Constant(self.value))


@dataclass(frozen=True)
class Zeros(Constant):
    name: ClassVar[str] = "zeros"
    value: float = 0.0


@dataclass(frozen=True)
class Ones(Constant):
    name: ClassVar[str] = "ones"
    value: float = 1.0


@dataclass(frozen=True)
class VarianceScaling(Initializer):
    """JAX/Flax's variance_scaling: variance ``scale / fan`` with fan from ``mode``.

    ``distribution``: ``truncated_normal`` (±2σ, σ corrected by 1/0.8796 so the actual
    variance is ``scale / fan``), ``normal`` or ``uniform``. Flax's default kernel init,
    ``lecun_normal``, is ``VarianceScaling(1.0, "fan_in", "truncated_normal")``.
    """

    name: ClassVar[str] = "variance_scaling"
    requires_2d: ClassVar[bool] = True
    scale: float = 1.0
    mode: str = "fan_in"
    distribution: str = "truncated_normal"

    def __post_init__(self) -> None:
        _positive(self.name, "scale", self.scale)
        if self.mode not in ("fan_in", "fan_out", "fan_avg"):
            raise PolicyError(f"{self.name}: mode must be fan_in, fan_out or fan_avg, got {self.mode!r}")
        if self.distribution not in ("truncated_normal", "normal", "uniform"):
            raise PolicyError(
                f"{self.name}: distribution must be truncated_normal, normal or uniform, "
                f"got {self.distribution!r}"
            )

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        fans = self._fans(shape, fans)
        if self.mode == "fan_avg":
            fan = (fans.fan_in + fans.fan_out) / 2
        else:
            fan = _pick_fan(fans, self.mode)
        std = math.sqrt(self.scale / fan)
        if self.distribution == "uniform":
            d: dist.Distribution = dist.Uniform(-std * math.sqrt(3.0), std * math.sqrt(3.0))
        elif self.distribution == "normal":
            d = dist.Normal(0.0, std)
        else:
            d = dist.TruncatedNormal(0.0, std / 0.87962566103423978, -2.0, 2.0)
        return Resolved(d, fans.fan_in, fans.fan_out, math.sqrt(self.scale))


@dataclass(frozen=True)
class Scaled(Initializer):
    """Another initializer's distribution multiplied by ``factor`` (e.g. depth scaling)."""

    name: ClassVar[str] = "scaled"
    base: Any = None  # an Initializer, or its dict / name form
    factor: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", as_initializer(self.base))
        _positive(self.name, "factor", self.factor)

    @property
    def requires_2d(self) -> bool:  # type: ignore[override]
        return self.base.requires_2d

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        inner = self.base.resolve(shape, fans, nonlinearity, role)
        return dataclasses.replace(inner, distribution=dist.scale(inner.distribution, self.factor))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base.to_dict(), "factor": self.factor}

    def describe(self) -> str:
        return f"scaled({self.base.describe()}, factor={self.factor:.4g})"


@dataclass(frozen=True)
class TorchDefault(Initializer):
    """PyTorch's own default init for the parameter's role, with PyTorch's fan counting.

    Linear / conv weights: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in));
    biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the weight's fan_in; norm scale 1,
    norm shift 0; embeddings N(0, 1).
    """

    name: ClassVar[str] = "torch_default"

    def resolve(self, shape, fans=None, nonlinearity="linear", role="weight"):
        if role in ("norm_scale",):
            return Resolved(dist.Constant(1.0))
        if role in ("norm_shift",):
            return Resolved(dist.Constant(0.0))
        if role == "embedding":
            return Resolved(dist.Normal(0.0, 1.0))
        if role == "weight":
            fans = self._fans(shape, fans)
        if fans is None:
            raise ValueError(
                f"torch_default cannot initialize a {role!r} of shape {shape} without its "
                "layer's weight fans"
            )
        fan_in = fans.torch_fan_in
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        gain = math.sqrt(1.0 / 3.0) if role == "weight" else None
        return Resolved(dist.Uniform(-bound, bound), fans.torch_fan_in, fans.torch_fan_out, gain)


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls
    for cls in (
        KaimingNormal,
        KaimingUniform,
        XavierNormal,
        XavierUniform,
        LecunNormal,
        Orthogonal,
        Normal,
        TruncNormal,
        Uniform,
        Constant,
        Zeros,
        Ones,
        TorchDefault,
        VarianceScaling,
        Scaled,
    )
}

# Functional-style aliases: zoo.init.kaiming_normal(mode="fan_out") etc.
kaiming_normal = KaimingNormal
kaiming_uniform = KaimingUniform
xavier_normal = XavierNormal
xavier_uniform = XavierUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
normal = Normal
trunc_normal = TruncNormal
uniform = Uniform
constant = Constant
zeros = Zeros
ones = Ones
torch_default = TorchDefault
variance_scaling = VarianceScaling
scaled = Scaled


def as_initializer(spec: Initializer | str | dict[str, Any]) -> Initializer:
    """An initializer from an object, a name (``"zeros"``) or a dict (``{"name": "normal", "std": 0.01}``).

    >>> as_initializer({"name": "normal", "std": 0.01})
    Normal(std=0.01, mean=0.0)
    """
    if isinstance(spec, Initializer):
        return spec
    known = ", ".join(sorted(INITIALIZERS))
    if isinstance(spec, str):
        fields: dict[str, Any] = {}
        name = spec
    elif isinstance(spec, dict):
        fields = dict(spec)
        name = fields.pop("name", None)
    else:
        raise UnknownPolicyError(
            f"an initializer must be an Initializer, a name or a dict with 'name', "
            f"got {type(spec).__name__}; known names: {known}"
        )
    cls = INITIALIZERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise UnknownPolicyError(f"unknown initializer {name!r}; known: {known}")
    valid = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - valid)
    if unknown:
        raise UnknownPolicyError(
            f"initializer {name!r} has no argument(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(valid)) or 'none'}"
        )
    return cls(**fields)
