"""The per-parameter init report: what each parameter got, with its numbers, and why."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReportRow:
    """One parameter: its initializer with resolved numbers, and the reason for it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    init: str  # the initializer as chosen, e.g. "kaiming_normal(mode=fan_in, ...)"
    distribution: str  # resolved, e.g. "N(0, std=0.0589)"
    fan_in: float | None
    fan_out: float | None
    gain: float | None
    mean: float | None  # expected mean of the values
    std: float | None  # expected (actual) standard deviation of the values
    low: float | None  # every value lies in [low, high] when these are set
    high: float | None
    reason: str

    @property
    def covered(self) -> bool:
        """False when no rule covered the parameter (it kept its values)."""
        return self.init != "not covered"


def _num(x: float | None) -> str:
    if x is None:
        return ""
    if float(x).is_integer() and abs(x) < 1e9:
        return str(int(x))
    return f"{x:.4g}"


_COLUMNS = ("name", "shape", "init", "fan_in", "fan_out", "gain", "values", "reason")


class InitReport:
    """Rows for every parameter; prints as a text table, or as markdown / a dict.

    >>> import torch.nn as nn, zoo
    >>> report = zoo.init.apply(nn.Linear(100, 10), "torch", seed=0)
    >>> report["weight"].high
    0.1
    """

    def __init__(self, rows: list[ReportRow], policy: str, seed: int) -> None:
        self.rows = rows
        self.policy = policy
        self.seed = seed

    def __iter__(self) -> Iterator[ReportRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> ReportRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no parameter {name!r} in the report")

    @property
    def not_covered(self) -> list[str]:
        return [row.name for row in self.rows if not row.covered]

    def mark_loaded(self, path: str, names: list[str]) -> None:
        """Rows of parameters whose values came from a checkpoint, not from the policy."""
        loaded = set(names)
        self.rows = [
            dataclasses.replace(
                r, init="checkpoint", distribution=f"loaded from {path}", fan_in=None,
                fan_out=None, gain=None, mean=None, std=None, low=None, high=None,
                reason="loaded from checkpoint",
            )
            if r.name in loaded
            else r
            for r in self.rows
        ]

    def _cells(self) -> list[tuple[str, ...]]:
        return [
            (
                r.name,
                "x".join(map(str, r.shape)) or "scalar",
                r.init.split("(")[0],
                _num(r.fan_in),
                _num(r.fan_out),
                _num(r.gain),
                r.distribution,
                r.reason,
            )
            for r in self.rows
        ]

    def to_table(self) -> str:
        cells = [_COLUMNS, *self._cells()]
        widths = [max(len(row[i]) for row in cells) for i in range(len(_COLUMNS))]
        header = f"init policy: {self.policy}, seed: {self.seed}, parameters: {len(self.rows)}"
        if self.not_covered:
            header += f", NOT COVERED: {len(self.not_covered)} (kept their values)"
        lines = [header]
        for i, row in enumerate(cells):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        def line(cells: tuple[str, ...]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        out = [line(_COLUMNS), "|" + "---|" * len(_COLUMNS)]
        out += [line(c) for c in self._cells()]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "seed": self.seed,
            "parameters": [
                {**dataclasses.asdict(r), "shape": list(r.shape)} for r in self.rows
            ],
        }

    def __str__(self) -> str:
        return self.to_table()

    def __repr__(self) -> str:
        return f"InitReport(policy={self.policy!r}, seed={self.seed}, rows={len(self.rows)})"
