"""Convolutions with a declared init.

Each takes exactly the arguments of its torch class (``bias`` defaults to True, as in
torch) plus the keyword-only init hints ``nonlinearity``, ``weight_init``, ``bias_init``,
``head`` (see :class:`zoo.nn.Linear`) and ``branch=(position, length)`` for a conv inside
a residual branch (depth-scaled policies such as ``fixup`` read it).

>>> import zoo
>>> conv = zoo.nn.Conv2d(3, 8, 3, padding=1, bias=False, nonlinearity="relu")
>>> tuple(conv.weight.shape), conv.bias
((8, 3, 3, 3), None)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from zoo.nn.layer import ZooLayer


class _DeclaredConv(ZooLayer):
    def __init__(
        self,
        *args: Any,
        nonlinearity: str | None = None,
        weight_init: Any = None,
        bias_init: Any = None,
        head: bool = False,
        branch: tuple[int, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)  # the torch convolution's own constructor
        self._declare_init(
            nonlinearity=nonlinearity, weight_init=weight_init, bias_init=bias_init, head=head,
            branch=branch,
        )


class Conv1d(_DeclaredConv, nn.Conv1d):
    """``torch.nn.Conv1d`` with a declared init."""


class Conv2d(_DeclaredConv, nn.Conv2d):
    """``torch.nn.Conv2d`` with a declared init."""


class Conv3d(_DeclaredConv, nn.Conv3d):
    """``torch.nn.Conv3d`` with a declared init."""


class ConvTranspose1d(_DeclaredConv, nn.ConvTranspose1d):
    """``torch.nn.ConvTranspose1d`` with a declared init (fans count the stride)."""


class ConvTranspose2d(_DeclaredConv, nn.ConvTranspose2d):
    """``torch.nn.ConvTranspose2d`` with a declared init (fans count the stride)."""


class ConvTranspose3d(_DeclaredConv, nn.ConvTranspose3d):
    """``torch.nn.ConvTranspose3d`` with a declared init (fans count the stride)."""
