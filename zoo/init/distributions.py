"""Resolved distributions: concrete numbers, a sampler, and the statistics they promise.

An initializer (``kaiming_normal``, ``xavier_uniform``, ...) resolves against a
parameter's fans to one of these. Each samples a float32 CPU tensor from a seed and
states the mean and standard deviation (and bounds, where it has them) that the
samples must show, which is what the init report prints and the tests measure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from zoo.init.seeding import Job, block_jobs, normal_block, run_jobs, standard_normal, uniform_block


@contextmanager
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Distribution:
    """Base class: fills tensors from a seed and states the statistics they must show.

    ``fill_(out, seed, start)`` writes elements ``[start, start + len(out))`` of the
    parameter's flattened values into the 1-D tensor ``out`` (any dtype or device), so a
    parameter is filled in place, or one shard of it alone.
    """

    def jobs(self, out: torch.Tensor, seed: int, start: int = 0) -> list[Job] | None:
        """``fill_`` cut into independent jobs that may run in any thread, in any order;
        None when the values must be drawn whole in the calling thread (orthogonal)."""
        return None

    def fill_(self, out: torch.Tensor, seed: int, start: int = 0) -> torch.Tensor:
        jobs = self.jobs(out, seed, start)
        if jobs is None:
            raise NotImplementedError(f"{type(self).__name__} has no sampler")
        run_jobs(jobs)
        return out

    def sample(self, shape: tuple[int, ...], seed: int) -> torch.Tensor:
        """A new float32 CPU tensor of ``shape``."""
        out = torch.empty(_numel(shape), dtype=torch.float32, device="cpu")
        return self.fill_(out, seed).reshape(shape)

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def std(self) -> float:
        raise NotImplementedError

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Closed interval every sample lies in, or None when unbounded."""
        return None

    def summary(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Normal(Distribution):
    mean_: float
    std_: float

    def jobs(self, out: torch.Tensor, seed: int, start: int = 0) -> list[Job]:
        mean, std = self.mean_, self.std_
        if mean == 0.0:  # adding +0.0 changes no bit (Box-Muller never gives -0.0): skip a pass
            return block_jobs(out, seed, normal_block, lambda z: z.mul_(std), start)
        return block_jobs(out, seed, normal_block, lambda z: z.mul_(std).add_(mean), start)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def std(self) -> float:
        return self.std_

    def summary(self) -> str:
        return f"N({_fmt(self.mean_)}, std={_fmt(self.std_)})"


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float

    def jobs(self, out: torch.Tensor, seed: int, start: int = 0) -> list[Job]:
        low, width = self.low, self.high - self.low
        return block_jobs(out, seed, uniform_block, lambda u: u.mul_(width).add_(low), start)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def std(self) -> float:
        return (self.high - self.low) / math.sqrt(12.0)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def summary(self) -> str:
        return f"U({_fmt(self.low)}, {_fmt(self.high)})"


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """N(mean, nominal_std) truncated to [mean + a*std, mean + b*std] (a, b in units of std)."""

    mean_: float
    nominal_std: float
    a: float
    b: float

    def _mass(self) -> tuple[float, float]:
        return _normal_cdf(self.a), _normal_cdf(self.b)

    def jobs(self, out: torch.Tensor, seed: int, start: int = 0) -> list[Job]:
        # Inverse-CDF sampling: one uniform per value, no rejection loop, fixed length.
        lo, hi = self._mass()

        def inverse_cdf(u: torch.Tensor) -> torch.Tensor:
            p = u.mul_(hi - lo).add_(lo)
            z = p.mul_(2.0).sub_(1.0).erfinv_().mul_(math.sqrt(2.0)).clamp_(self.a, self.b)
            return z.mul_(self.nominal_std).add_(self.mean_)

        return block_jobs(out, seed, uniform_block, inverse_cdf, start)

    @property
    def mean(self) -> float:
        lo, hi = self._mass()
        shift = (_normal_pdf(self.a) - _normal_pdf(self.b)) / (hi - lo)
        return self.mean_ + self.nominal_std * shift

    @property
    def std(self) -> float:
        """Actual standard deviation after truncation (smaller than the nominal one)."""
        lo, hi = self._mass()
        z = hi - lo
        pa, pb = _normal_pdf(self.a), _normal_pdf(self.b)
        var = 1.0 + (self.a * pa - self.b * pb) / z - ((pa - pb) / z) ** 2
        return self.nominal_std * math.sqrt(var)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.mean_ + self.a * self.nominal_std, self.mean_ + self.b * self.nominal_std)

    def summary(self) -> str:
        return (
            f"TN({_fmt(self.mean_)}, std={_fmt(self.nominal_std)}, "
            f"[{_fmt(self.a)}σ, {_fmt(self.b)}σ]) actual std={_fmt(self.std)}"
        )


@dataclass(frozen=True)
class Orthogonal(Distribution):
    """A (semi-)orthogonal matrix on the (dim 0, rest) flattening, scaled by ``gain``.

    ``rows`` x ``cols`` is that flattening; the shorter side's vectors are orthonormal.
    """

    gain: float
    rows: int
    cols: int

    def fill_(self, out: torch.Tensor, seed: int, start: int = 0) -> torch.Tensor:
        if start != 0 or out.numel() != self.rows * self.cols:
            raise NotImplementedError(
                "orthogonal needs the whole matrix: it cannot draw one shard on its own"
            )
        flat = standard_normal(self.rows * self.cols, seed).reshape(self.rows, self.cols)
        tall = flat if self.rows >= self.cols else flat.t()
        with _one_thread():  # LAPACK's blocked QR gives other bits with other thread counts
            q, r = torch.linalg.qr(tall)
        # Fix QR's sign ambiguity so the result is Haar-distributed and reproducible.
        diag = torch.diagonal(r)
        q = q * torch.where(diag < 0, -1.0, 1.0)
        if self.rows < self.cols:
            q = q.t()
        out.copy_((q * self.gain).to(torch.float32).reshape(-1))
        return out

    @property
    def mean(self) -> float:
        return 0.0

    @property
    def std(self) -> float:
        """Root-mean-square element: the shorter side's vectors have norm ``gain``."""
        return self.gain * math.sqrt(min(self.rows, self.cols) / (self.rows * self.cols))

    def summary(self) -> str:
        return f"orthogonal(gain={_fmt(self.gain)}) std={_fmt(self.std)}"


@dataclass(frozen=True)
class Constant(Distribution):
    value: float

    def jobs(self, out: torch.Tensor, seed: int, start: int = 0) -> list[Job]:
        value = torch.tensor(self.value, dtype=torch.float32).item()  # the float32 value, cast
        return [lambda: out.fill_(value).numel()]

    @property
    def mean(self) -> float:
        return self.value

    @property
    def std(self) -> float:
        return 0.0

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.value, self.value)

    def summary(self) -> str:
        return f"const {_fmt(self.value)}"


def scale(d: Distribution, factor: float) -> Distribution:
    """``d`` with every sample multiplied by ``factor`` (> 0)."""
    if isinstance(d, Normal):
        return Normal(d.mean_ * factor, d.std_ * factor)
    if isinstance(d, Uniform):
        return Uniform(d.low * factor, d.high * factor)
    if isinstance(d, TruncatedNormal):
        return TruncatedNormal(d.mean_ * factor, d.nominal_std * factor, d.a, d.b)
    if isinstance(d, Orthogonal):
        return Orthogonal(d.gain * factor, d.rows, d.cols)
    if isinstance(d, Constant):
        return Constant(d.value * factor)
    raise TypeError(f"cannot scale {type(d).__name__}")
