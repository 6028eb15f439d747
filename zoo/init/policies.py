"""Init policies: which initializer each parameter gets, and why.

A :class:`Policy` maps a parameter (its role, layer kind, whether it is the head or the
norm closing a residual branch, and the nonlinearity after its layer) to an initializer.
Rules on top of a policy match parameter names (glob), module types (``type:Conv2d`` or
the class itself) or roles (``role:bias``, ``role:head``). Precedence: a layer's own
override beats the first matching rule, which beats the policy's default.

>>> p = policy("xavier", rules={"head.*": "zeros"})
>>> p.to_spec()
{'base': 'xavier', 'rules': [['head.*', {'name': 'zeros', 'value': 0.0}]]}
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Union

from torch import nn

from zoo.errors import PolicyError, UnknownPolicyError
from zoo.init import initializers as I
from zoo.init.roles import Slot

ROLES = (
    "weight", "bias", "norm_scale", "norm_shift", "embedding", "token", "position", "layer_scale",
    "head", "residual_last",
)


@dataclass(frozen=True)
class Rule:
    """``match`` -> ``init``. ``match`` is a name glob (``layer4.*``), a regex on names
    (``re:layer[34]\\..*``), ``type:Name`` or a module class, or ``role:NAME``."""

    match: str | type
    init: I.Initializer

    def __post_init__(self) -> None:
        if isinstance(self.match, type) and not issubclass(self.match, nn.Module):
            raise PolicyError(f"a rule's type must be a torch module class, got {self.match!r}")
        if isinstance(self.match, str) and self.match.startswith("re:"):
            try:
                re.compile(self.match[len("re:") :])
            except re.error as err:
                raise PolicyError(f"rule {self.match!r}: invalid regular expression ({err})") from None
        if isinstance(self.match, str) and self.match.startswith("role:"):
            role = self.match[len("role:") :]
            if role not in ROLES:
                raise UnknownPolicyError(
                    f"unknown role {role!r} in rule {self.match!r}; roles: {', '.join(ROLES)}"
                )

    def matches(self, slot: Slot) -> bool:
        if isinstance(self.match, type):
            return isinstance(slot.module, self.match)
        if self.match.startswith("type:"):
            wanted = self.match[len("type:") :]
            return any(cls.__name__ == wanted for cls in type(slot.module).__mro__)
        if self.match.startswith("role:"):
            role = self.match[len("role:") :]
            if role == "head":
                return slot.head
            if role == "residual_last":
                return slot.residual_last
            return slot.role == role
        return self.matches_name(slot.name)

    def matches_name(self, name: str) -> bool:
        """Whether this is a name rule (glob, or ``re:`` regex) matching ``name``."""
        if isinstance(self.match, type) or self.match.startswith(("type:", "role:")):
            return False
        if self.match.startswith("re:"):
            return re.fullmatch(self.match[len("re:") :], name) is not None
        return fnmatchcase(name, self.match)

    @property
    def label(self) -> str:
        return f"type:{self.match.__name__}" if isinstance(self.match, type) else self.match


@dataclass(frozen=True)
class Choice:
    """The initializer picked for one parameter and the reason, for the report."""

    init: I.Initializer | None  # None: nothing covers this parameter
    reason: str


@dataclass(frozen=True)
class Policy:
    """Initializers per role. ``None`` fields fall back as documented on each."""

    name: str
    weight: I.Initializer
    conv_weight: I.Initializer | None = None  # convolutions; None: same as ``weight``
    head_weight: I.Initializer | None = None  # None: same as ``weight``
    bias: I.Initializer = I.Zeros()
    head_bias: I.Initializer | None = None  # None: same as ``bias``
    norm_scale: I.Initializer = I.Ones()
    norm_shift: I.Initializer = I.Zeros()
    residual_last_scale: I.Initializer | None = None  # None: same as ``norm_scale``
    embedding: I.Initializer = I.Normal(std=1.0)
    token: I.Initializer = I.TruncNormal(std=0.02)  # cls / register / mask tokens
    position: I.Initializer = I.TruncNormal(std=0.02)  # learned position tables
    layer_scale: I.Initializer = I.Constant(1e-6)  # per-channel γ of ConvNeXt-style blocks
    rules: tuple[Rule, ...] = field(default=())
    description: str = ""

    def with_rules(self, rules: Mapping[Any, Any] | list[Any]) -> Policy:
        """A copy with ``rules`` (pattern -> initializer) tried before the policy's own."""
        pairs = rules.items() if isinstance(rules, Mapping) else rules
        parsed = []
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise UnknownPolicyError(f"a rule is a (pattern, initializer) pair, got {pair!r}")
            match, init = pair
            if not isinstance(match, (str, type)):
                raise UnknownPolicyError(
                    f"a rule pattern is a name glob, 'type:Name', 'role:NAME' or a module "
                    f"class, got {match!r}"
                )
            parsed.append(Rule(match, I.as_initializer(init)))
        return dataclasses.replace(self, rules=(*self.rules, *parsed))

    def _by_role(self, slot: Slot) -> tuple[I.Initializer | None, str]:
        if slot.role == "weight":
            if slot.head:
                return self.head_weight or self.weight, "head weight"
            if slot.kind in ("conv", "conv_transpose") and self.conv_weight is not None:
                return self.conv_weight, f"{slot.kind} weight"
            return self.weight, f"{slot.kind} weight"
        if slot.role == "bias":
            if slot.head:
                return self.head_bias or self.bias, "head bias"
            return self.bias, "bias"
        if slot.role == "norm_scale":
            if slot.residual_last and self.residual_last_scale is not None:
                return self.residual_last_scale, "residual-last norm scale"
            return self.norm_scale, "norm scale"
        if slot.role == "norm_shift":
            return self.norm_shift, "norm shift"
        if slot.role == "embedding":
            return self.embedding, "embedding"
        if slot.role in ("token", "position", "layer_scale"):
            return getattr(self, slot.role), slot.role.replace("_", " ")
        return None, f"no rule for {slot.module_type}.{slot.attr}"

    def prepare(self, slot_list: list[Slot]) -> Policy:
        """A copy tuned to the whole model before choosing (depth-scaled policies count
        layers here); the default changes nothing."""
        return self

    def choose(self, slot: Slot) -> Choice:
        """Pick the initializer for ``slot``: layer override, then rules, then the policy."""
        override = {"weight": slot.hints.weight_init, "bias": slot.hints.bias_init}.get(slot.attr)
        if override is not None:
            return Choice(I.as_initializer(override), f"layer override ({slot.attr}_init)")
        skipped = []
        for rule in self.rules:
            if rule.matches(slot):
                if rule.init.requires_2d and len(slot.shape) < 2:
                    skipped.append(rule.label)
                    continue
                return Choice(rule.init, f"rule {rule.label!r}")
        init, what = self._by_role(slot)
        reason = f"policy {self.name}: {what}"
        if skipped:
            reason += f" (rule {skipped[0]!r} needs 2-D)"
        if init is not None and init.requires_2d and len(slot.shape) < 2:
            return Choice(None, f"{reason}: {init.name} needs 2-D, shape {slot.shape}")
        return Choice(init, reason)

    def to_spec(self, module: nn.Module | None = None) -> dict[str, Any]:
        """JSON-ready form, stored in checkpoint metadata.

        A policy equal to the named one it is called after is stored by name; any other
        (a custom Policy, or a named one with changed roles) with every role spelled out,
        so loading rebuilds exactly it.
        """
        spec: dict[str, Any] = {"base": self.name}
        plain = dataclasses.replace(self, rules=())
        try:
            known = named_policy(self.name, module)
        except UnknownPolicyError:
            known = None
        if plain != known:
            spec["roles"] = {
                f.name: (getattr(self, f.name).to_dict() if getattr(self, f.name) else None)
                for f in dataclasses.fields(self)
                if f.name not in ("name", "rules", "description")
            }
            spec["description"] = self.description
        spec["rules"] = [[r.label, r.init.to_dict()] for r in self.rules]
        return spec


def _named(name: str, weight: I.Initializer, description: str, **kw: Any) -> Policy:
    return Policy(name=name, weight=weight, description=description, **kw)


NAMED_POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        _named(
            "kaiming",
            I.KaimingNormal(mode="fan_in"),
            "He et al. 2015: weights N(0, gain/sqrt(fan_in)) with the gain of the layer's "
            "nonlinearity (head: linear, gain 1); biases 0; norm scale 1, shift 0.",
        ),
        _named(
            "xavier",
            I.XavierUniform(gain=1.0),
            "Glorot & Bengio 2010: weights U(±sqrt(6/(fan_in+fan_out))); biases 0; "
            "norm scale 1, shift 0.",
        ),
        _named(
            "lecun",
            I.LecunNormal(),
            "LeCun 1998: weights N(0, 1/sqrt(fan_in)); biases 0; norm scale 1, shift 0.",
        ),
        _named(
            "orthogonal",
            I.Orthogonal(),
            "Saxe et al. 2014: semi-orthogonal weights on the (out, rest) flattening, "
            "scaled by the nonlinearity's gain; biases 0; norm scale 1, shift 0.",
        ),
        _named(
            "trunc_normal",
            I.TruncNormal(std=0.02),
            "Transformer style: weights N(0, 0.02) truncated to ±2σ; embeddings the same; "
            "biases 0; norm scale 1, shift 0.",
            embedding=I.TruncNormal(std=0.02),
        ),
        _named(
            "vit",
            I.TruncNormal(std=0.02),
            "timm's ViT init: linear weights N(0, 0.02) truncated to ±2σ; conv stems (patch "
            "embedding) lecun_normal as in the JAX ViT; biases 0; position tables trunc_normal "
            "0.02; cls/register tokens N(0, 1e-6); norm scale 1, shift 0.",
            conv_weight=I.VarianceScaling(1.0, "fan_in", "truncated_normal"),
            token=I.Normal(std=1e-6),
        ),
        _named(
            "jax",
            I.VarianceScaling(1.0, "fan_in", "truncated_normal"),
            "Flax defaults: every kernel (Dense, Conv) lecun_normal = variance_scaling(1, "
            "fan_in, truncated_normal), i.e. actual std 1/sqrt(fan_in) within ±2σ; biases 0; "
            "norm scale 1, shift 0; embeddings N(0, 1).",
        ),
    )
}



_ATTENTION_PROJECTIONS = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight")


@dataclass(frozen=True)
class TorchPolicy(Policy):
    """PyTorch's defaults, including the layers whose reset_parameters differ from Linear's.

    ``nn.MultiheadAttention`` draws its input projections with xavier_uniform, zeros
    ``in_proj_bias`` and its ``out_proj`` bias, and draws ``bias_k`` / ``bias_v`` with
    xavier_normal (PyTorch's ``_reset_parameters``); its ``out_proj`` weight keeps
    Linear's U(±1/sqrt(fan_in)). Inside an ``nn.Transformer``, every parameter of 2 or
    more dimensions is redrawn with xavier_uniform, as that class does.
    """

    def _by_role(self, slot: Slot) -> tuple[I.Initializer | None, str]:
        if len(slot.shape) > 1 and any(issubclass(t, nn.Transformer) for t in slot.ancestors):
            return I.XavierUniform(gain=1.0), "inside nn.Transformer: every matrix (as PyTorch)"
        if slot.kind == "attention":
            if slot.attr in _ATTENTION_PROJECTIONS:
                return I.XavierUniform(gain=1.0), "attention input projection (as PyTorch)"
            if slot.attr == "in_proj_bias":
                return I.Zeros(), "attention input bias (as PyTorch)"
            if slot.attr in ("bias_k", "bias_v"):
                return I.XavierNormal(gain=1.0), "attention key/value bias (as PyTorch)"
        if slot.role == "bias" and type(slot.module).__name__ == "NonDynamicallyQuantizableLinear":
            # the out_proj of nn.MultiheadAttention, the only user of this Linear subclass
            return I.Zeros(), "attention output bias (as PyTorch)"
        return super()._by_role(slot)


NAMED_POLICIES["torch"] = TorchPolicy(
    name="torch",
    weight=I.TorchDefault(),
    bias=I.TorchDefault(),
    description="PyTorch's defaults with PyTorch's fan counting: weights and biases "
    "U(±1/sqrt(fan_in)); norm scale 1, shift 0; embeddings N(0, 1); MultiheadAttention "
    "projections xavier_uniform with zero biases, as its reset_parameters.",
)


@dataclass(frozen=True)
class FixupPolicy(Policy):
    """Fixup (Zhang et al. 2019) residual scaling on top of kaiming.

    In a network with L residual branches of m layers each, every branch layer but the
    last gets kaiming_normal(fan_in) scaled by L^(-1/(2m-2)), the last layer of each
    branch and the classifier head weight are zero, biases 0. Layers outside branches
    (stem, downsample) get plain kaiming_normal. Branches are read from the ``branch``
    hint zoo's ResNets declare; a model without them gets plain kaiming.
    """

    branches: int = 0
    branch_length: int = 0

    def prepare(self, slot_list: list[Slot]) -> Policy:
        closing = [s for s in slot_list if s.role == "weight" and _closes_branch(s)]
        length = max((s.hints.branch[1] for s in closing), default=0)
        return dataclasses.replace(self, branches=len(closing), branch_length=length)

    def _by_role(self, slot: Slot) -> tuple[I.Initializer | None, str]:
        branch = slot.hints.branch
        if slot.role == "weight" and branch is not None and self.branches:
            if _closes_branch(slot):
                return I.Zeros(), "last layer of a residual branch"
            factor = self.branches ** (-1.0 / (2 * self.branch_length - 2))
            return I.Scaled(self.weight, factor), (
                f"residual branch layer, scaled by L^(-1/(2m-2)) with L={self.branches}, "
                f"m={self.branch_length}"
            )
        return super()._by_role(slot)


def _closes_branch(slot: Slot) -> bool:
    branch = slot.hints.branch
    return branch is not None and branch[0] == branch[1] - 1


RESIDUAL_PROJECTIONS = ("*c_proj.weight", "*attn.proj.weight", "*attn.out_proj.weight", "*mlp.fc2.weight")


@dataclass(frozen=True)
class GPT2Policy(Policy):
    """GPT-2 / nanoGPT: weights N(0, 0.02), residual projections N(0, 0.02/sqrt(2·n_layer)).

    Residual projections are the linear layers whose output is added back to the residual
    stream, found by name (``*c_proj.weight``, ``*attn.proj.weight``,
    ``*attn.out_proj.weight``, ``*mlp.fc2.weight``); there are two per block, so n_layer is
    half their count.
    """

    projections: int = 0

    def prepare(self, slot_list: list[Slot]) -> Policy:
        count = sum(1 for s in slot_list if _is_projection(s))
        return dataclasses.replace(self, projections=count)

    def _by_role(self, slot: Slot) -> tuple[I.Initializer | None, str]:
        if slot.role == "weight" and _is_projection(slot) and not slot.head:
            n_layer = max(1, math.ceil(self.projections / 2))
            std = 0.02 / math.sqrt(2 * n_layer)
            return I.Normal(std=std), f"residual projection, 0.02/sqrt(2·{n_layer} layers)"
        return super()._by_role(slot)


def _is_projection(slot: Slot) -> bool:
    return slot.role == "weight" and any(fnmatchcase(slot.name, p) for p in RESIDUAL_PROJECTIONS)


NAMED_POLICIES["fixup"] = FixupPolicy(
    name="fixup",
    weight=I.KaimingNormal(mode="fan_in"),
    head_weight=I.Zeros(),
    description="Fixup (Zhang et al. 2019) residual scaling: branch layers kaiming_normal"
    "(fan_in) × L^(-1/(2m-2)) for L branches of m layers, the last layer of each branch and "
    "the head weight 0, biases 0, other layers kaiming; norm scale 1, shift 0.",
)
NAMED_POLICIES["gpt2"] = GPT2Policy(
    name="gpt2",
    weight=I.Normal(std=0.02),
    embedding=I.Normal(std=0.02),
    token=I.Normal(std=0.02),
    position=I.Normal(std=0.02),
    description="GPT-2 / nanoGPT: linear, conv and embedding weights N(0, 0.02); residual "
    "projections (c_proj, attn.proj, mlp.fc2) N(0, 0.02/sqrt(2·n_layer)); biases 0; norm "
    "scale 1, shift 0.",
)

# Without a model of its own, "default" means kaiming.
GENERIC_DEFAULT = dataclasses.replace(
    NAMED_POLICIES["kaiming"],
    name="default",
    description="No architecture default: kaiming (" + NAMED_POLICIES["kaiming"].description + ")",
)

POLICY_NAMES = tuple(sorted([*NAMED_POLICIES, "default"]))

PolicySpec = Union[str, Policy, Mapping[str, Any]]  # noqa: UP007 (a runtime alias)


def named_policy(name: str, module: nn.Module | None = None) -> Policy:
    """The policy called ``name``; ``default`` asks ``module.default_init_policy()``."""
    if name == "default":
        make_default = getattr(module, "default_init_policy", None)
        return make_default() if callable(make_default) else GENERIC_DEFAULT
    if name not in NAMED_POLICIES:
        raise UnknownPolicyError(f"unknown init policy {name!r}; known: {', '.join(POLICY_NAMES)}")
    return NAMED_POLICIES[name]


def policy(
    base: str | Policy = "default",
    rules: Mapping[Any, Any] | list[Any] | None = None,
    module: nn.Module | None = None,
) -> Policy:
    """A policy by name (or object) with optional rules on top.

    >>> policy("kaiming", rules={"role:head": "zeros"}).rules[0].label
    'role:head'
    """
    resolved = base if isinstance(base, Policy) else named_policy(base, module)
    return resolved.with_rules(rules) if rules else resolved


def _from_roles(spec: Mapping[str, Any]) -> Policy:
    roles = spec["roles"]
    fields = {f.name for f in dataclasses.fields(Policy)} - {"name", "rules", "description"}
    if not isinstance(roles, Mapping) or set(roles) - fields or "weight" not in roles:
        raise UnknownPolicyError(f"'roles' must map {', '.join(sorted(fields))} to initializers")
    values = {k: (I.as_initializer(v) if v is not None else None) for k, v in roles.items()}
    name, description = str(spec.get("base", "custom")), str(spec.get("description", ""))
    return Policy(name=name, description=description, **values)


def resolve_policy(spec: PolicySpec, module: nn.Module | None = None) -> Policy:
    """A :class:`Policy` from a name, a policy object, or ``{"base": ..., "rules": ...}``."""
    if isinstance(spec, Policy):
        return spec
    if isinstance(spec, str):
        return named_policy(spec, module)
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"base", "rules", "roles", "description"})
        if unknown:
            raise UnknownPolicyError(
                f"a policy dict takes the keys 'base' and 'rules', got unknown key(s) "
                f"{', '.join(map(repr, unknown))}; e.g. "
                "{'base': 'kaiming', 'rules': {'head.*': 'zeros'}}"
            )
        if "roles" in spec:  # a policy spelled out role by role (see Policy.to_spec)
            return _from_roles(spec).with_rules(spec.get("rules") or [])
        return policy(spec.get("base", "default"), spec.get("rules"), module)
    raise UnknownPolicyError(
        f"init must be a policy name ({', '.join(POLICY_NAMES)}), a Policy or a dict with "
        f"'base' and 'rules', got {type(spec).__name__}"
    )
