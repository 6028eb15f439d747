"""The mixin that makes a torch layer declare its init instead of running PyTorch's default.

torch layers call ``self.reset_parameters()`` from their constructor. A zoo layer turns
that first call into a no-op, records its init hints, and then initializes once (unless
its parameters live on the meta device, where a model's single init pass comes later).
So every parameter is written exactly once, by zoo.
"""

from __future__ import annotations

from typing import Any

from zoo.errors import InitError
from zoo.init import LayerHints, as_initializer, reset_module


class ZooLayer:
    """Mix in before a torch layer class; call ``_declare_init`` at the end of ``__init__``."""

    _zoo_ready = False

    def _declare_init(
        self,
        *,
        nonlinearity: str | None = None,
        weight_init: Any = None,
        bias_init: Any = None,
        head: bool = False,
        residual_last: bool = False,
        branch: tuple[int, int] | None = None,
    ) -> None:
        weight_init = as_initializer(weight_init) if weight_init is not None else None
        bias_init = as_initializer(bias_init) if bias_init is not None else None
        if bias_init is not None and bias_init.requires_2d:
            raise InitError(
                f"bias_init={bias_init.name} needs a 2-D tensor, but a bias is 1-D; use "
                "zeros, constant, normal, trunc_normal or uniform"
            )
        if nonlinearity is not None:
            from zoo.init import gain

            gain(nonlinearity)  # fail now, with the list of known ones, not at init time
        self.zoo_init_hints = LayerHints(
            nonlinearity, weight_init, bias_init, head, residual_last, branch
        )
        self._zoo_ready = True
        if not any(p.is_meta for p in self.parameters(recurse=False)):  # type: ignore[attr-defined]
            self.reset_parameters()

    def reset_parameters(self) -> None:
        """(Re)draw this layer's parameters with its declared init (and its model's policy)."""
        if not self._zoo_ready:  # the torch constructor's call: skip PyTorch's default init
            return
        reset_module(self)  # type: ignore[arg-type]
