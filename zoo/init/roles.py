"""What each parameter is: its layer kind, its role, and the nonlinearity after it.

The init engine never looks at zoo's own classes. It reads torch layer types, and the
optional ``zoo_init_hints`` attribute (a :class:`LayerHints`) that zoo layers carry and
any module may set. Roles: ``weight``, ``bias``, ``norm_scale``, ``norm_shift``,
``embedding``, ``token`` (cls tokens), ``position`` (position tables), ``layer_scale``,
``unknown``; flags: ``head``
(the classifier head) and ``residual_last`` (the norm that closes a residual branch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

from zoo.init.fans import Fans, module_fans

_NORMS: tuple[type, ...] = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)
if hasattr(nn, "RMSNorm"):
    _NORMS = (*_NORMS, nn.RMSNorm)

_KINDS: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("linear", (nn.Linear,)),
    ("conv", (nn.Conv1d, nn.Conv2d, nn.Conv3d)),
    ("conv_transpose", (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)),
    ("norm", _NORMS),
    ("embedding", (nn.Embedding,)),
    ("recurrent", (nn.RNNBase,)),
    ("attention", (nn.MultiheadAttention,)),
)

# Learned tokens and position tables that transformers keep as bare parameters, and the
# per-channel layer scale of ConvNeXt / CaiT-style blocks.
TOKEN_NAMES = frozenset({"cls_token", "dist_token", "reg_token", "mask_token", "class_token"})
POSITION_NAMES = frozenset(
    {"pos_embed", "pos_embedding", "position_embedding", "absolute_pos_embed"}
)
LAYER_SCALE_NAMES = frozenset({"gamma", "layer_scale", "ls_gamma"})

HEAD_NAMES = ("fc", "head", "classifier")

# Without a declared nonlinearity: ReLU after linear/conv layers (as torchvision and timm
# assume), tanh inside recurrent cells, none after attention projections.
_DEFAULT_NONLINEARITY = {"recurrent": "tanh", "attention": "linear"}


@dataclass
class LayerHints:
    """What a layer declares about its own init; every field is optional.

    ``weight_init`` / ``bias_init`` override the policy for this layer. ``nonlinearity``
    names the activation that follows (it sets the gain). ``head`` marks a classifier
    head, ``residual_last`` the norm that closes a residual branch.
    """

    nonlinearity: str | None = None
    weight_init: Any = None
    bias_init: Any = None
    head: bool = False
    residual_last: bool = False
    branch: tuple[int, int] | None = None  # (position, length) of a layer in a residual branch


@dataclass(frozen=True)
class Slot:
    """One parameter as the engine sees it."""

    name: str  # qualified name in the root module
    module: nn.Module
    attr: str  # attribute on ``module``: "weight", "bias", ...
    shape: tuple[int, ...]
    kind: str  # linear | conv | conv_transpose | norm | embedding | recurrent | attention | other
    role: str  # weight | bias | norm_scale | norm_shift | embedding | token | position | ...
    head: bool
    residual_last: bool
    nonlinearity: str
    fans: Fans | None  # fans of the module's weight; None when it has none
    hints: LayerHints
    ancestors: tuple[type, ...] = ()  # classes of the modules containing ``module``, outermost first

    @property
    def module_type(self) -> str:
        return type(self.module).__name__


def layer_kind(module: nn.Module) -> str:
    for kind, types in _KINDS:
        if isinstance(module, types):
            return kind
    return "other"


def _role(kind: str, attr: str, ndim: int) -> str:
    if kind == "norm":
        return {"weight": "norm_scale", "bias": "norm_shift"}.get(attr, "unknown")
    if kind == "embedding" and attr == "weight":
        return "embedding"
    if kind in ("linear", "conv", "conv_transpose"):
        return {"weight": "weight", "bias": "bias"}.get(attr, "unknown")
    if kind in ("recurrent", "attention"):
        # LSTM/GRU weight_ih_l0, bias_hh_l0...; attention in_proj_weight, q_proj_weight,
        # in_proj_bias, bias_k / bias_v.
        if "weight" in attr and ndim >= 2:
            return "weight"
        if "bias" in attr:
            return "bias"
    if attr in TOKEN_NAMES:
        return "token"
    if attr in POSITION_NAMES:
        return "position"
    if attr in LAYER_SCALE_NAMES and ndim == 1:
        return "layer_scale"
    return "unknown"


def head_modules(root: nn.Module) -> set[int]:
    """ids of the modules that form the classifier head of a foreign model.

    timm models name theirs through ``get_classifier()``; torchvision's are the top-level
    ``fc`` / ``head`` / ``classifier`` children (the last Linear inside a Sequential).
    """
    found: list[nn.Module] = []
    get_classifier = getattr(root, "get_classifier", None)
    if callable(get_classifier):
        try:
            head = get_classifier()
        except Exception:  # a foreign model's own method may need state we lack
            head = None
        if isinstance(head, nn.Module):
            found.append(head)
    if not found:
        for name in HEAD_NAMES:
            child = getattr(root, name, None)
            if isinstance(child, nn.Module):
                found.append(child)
    ids: set[int] = set()
    for head in found:
        linears = [m for m in head.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        if linears:
            ids.add(id(linears[-1]))
    return ids


def slots(root: nn.Module) -> list[Slot]:
    """Every parameter of ``root`` as a :class:`Slot`, in ``named_parameters`` order."""
    heads = head_modules(root)
    result: list[Slot] = []
    seen: set[int] = set()  # a tied parameter is one tensor: one slot, under its first name
    types = {prefix: type(module) for prefix, module in root.named_modules()}
    for prefix, module in root.named_modules(remove_duplicate=True):
        parts = prefix.split(".") if prefix else []
        ancestors = tuple(types[".".join(parts[:i])] for i in range(len(parts)))
        params = [(a, p) for a, p in module.named_parameters(recurse=False) if id(p) not in seen]
        seen.update(id(p) for _, p in params)
        if not params:
            continue
        hints = getattr(module, "zoo_init_hints", None) or LayerHints()
        kind = layer_kind(module)
        weight = getattr(module, "weight", None)
        layer_fans = None
        if isinstance(weight, nn.Parameter) and weight.dim() >= 2:
            layer_fans = module_fans(module, tuple(weight.shape))
        elif isinstance(module, nn.RNNBase):
            layer_fans = module_fans(module, ())
        head = hints.head or id(module) in heads
        default_nonlinearity = "linear" if head else _DEFAULT_NONLINEARITY.get(kind, "relu")
        for attr, param in params:
            fans = layer_fans
            if param.dim() >= 2 and attr != "weight":  # e.g. weight_ih_l0, in_proj_weight
                fans = module_fans(module, tuple(param.shape))
            result.append(
                Slot(
                    name=f"{prefix}.{attr}" if prefix else attr,
                    module=module,
                    attr=attr,
                    shape=tuple(param.shape),
                    kind=kind,
                    role=_role(kind, attr, param.dim()),
                    head=head,
                    residual_last=hints.residual_last,
                    nonlinearity=hints.nonlinearity or default_nonlinearity,
                    fans=fans,
                    hints=hints,
                    ancestors=ancestors,
                )
            )
    return result
