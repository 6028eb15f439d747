"""Normalization layers with a declared init.

Each takes the arguments of its torch class plus ``bias`` (False drops the learned shift;
default True), ``weight_init`` / ``bias_init`` overrides, and ``residual_last=True`` for
the norm that closes a residual branch (policies may zero its scale).

>>> import zoo
>>> bn = zoo.nn.BatchNorm2d(8, bias=False)
>>> bn.weight.sum().item(), bn.bias
(8.0, None)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from zoo.nn.layer import ZooLayer


class _DeclaredNorm(ZooLayer):
    def __init__(
        self,
        *args: Any,
        bias: bool = True,
        weight_init: Any = None,
        bias_init: Any = None,
        residual_last: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)  # the torch norm's own constructor
        if not bias and getattr(self, "bias", None) is not None:
            self.register_parameter("bias", None)
        self._declare_init(
            weight_init=weight_init, bias_init=bias_init, residual_last=residual_last
        )


class BatchNorm1d(_DeclaredNorm, nn.BatchNorm1d):
    """``torch.nn.BatchNorm1d`` with a declared init."""


class BatchNorm2d(_DeclaredNorm, nn.BatchNorm2d):
    """``torch.nn.BatchNorm2d`` with a declared init."""


class BatchNorm3d(_DeclaredNorm, nn.BatchNorm3d):
    """``torch.nn.BatchNorm3d`` with a declared init."""


class GroupNorm(_DeclaredNorm, nn.GroupNorm):
    """``torch.nn.GroupNorm`` with a declared init."""


class LayerNorm(_DeclaredNorm, nn.LayerNorm):
    """``torch.nn.LayerNorm`` with a declared init."""
