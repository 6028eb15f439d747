"""The load report: what a load took from the file, and what it did about the rest."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoadReport:
    """Keys loaded, cast, adapted, re-initialized, missing, unexpected, mismatched, ignored,
    and those whose values hold NaN or Inf.

    ``missing`` / ``unexpected`` / ``mismatched`` are errors in a strict load. A head
    whose size differs from the file's is re-initialized with the model's own policy and
    seed, and an RGB stem is adapted to the model's input channels: both on purpose, so
    both are allowed and reported.
    """

    path: str
    loaded: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    adapted: list[str] = field(default_factory=list)
    reinitialized: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    stripped_prefixes: list[str] = field(default_factory=list)
    non_finite: list[str] = field(default_factory=list)  # loaded, but hold NaN or Inf

    @property
    def ok(self) -> bool:
        """True when nothing is missing, unexpected or mismatched."""
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        return self.describe()

    def describe(self, failed: bool = False) -> str:
        """The report as text; ``failed`` words it for a load that did not happen."""
        verb = "would have loaded" if failed else "loaded"
        lines = [f"{verb} {len(self.loaded)} tensors from {self.path}"]
        for label, items in (
            ("cast", self.cast),
            ("adapted", self.adapted),
            ("re-initialized", self.reinitialized),
            ("missing from the file", self.missing),
            ("unexpected in the file", self.unexpected),
            ("shape/dtype mismatch", self.mismatched),
            ("ignored", self.ignored),
            ("stripped key prefix", self.stripped_prefixes),
            ("holding NaN or Inf", self.non_finite),
        ):
            if items:
                shown = ", ".join(items[:20])
                if len(items) > 20:
                    shown += f", ... ({len(items) - 20} more)"
                lines.append(f"{label} ({len(items)}): {shown}")
        return "\n".join(lines)
