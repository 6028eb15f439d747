"""The init pass: one write per parameter, seeded by its qualified name.

``apply`` works on any torch module. It classifies every parameter (see ``roles``), lets
the policy choose an initializer (layer override > rule > policy default), resolves it
against the parameter's fans, samples float32 values on the CPU from the parameter's own
seed, and copies them into place (casting to the parameter's dtype and device). Norm
running statistics are reset too. The root module remembers the policy and seed, and
every submodule its share of them, so ``reset_parameters()`` on the model or on any one
layer redraws exactly the same values.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from zoo.errors import InitError, warn_caller
from zoo.init.initializers import Resolved
from zoo.init.policies import Choice, Policy, PolicySpec, Rule, resolve_policy
from zoo.init.report import InitReport, ReportRow
from zoo.init.roles import Slot, slots
from zoo.init.seeding import Job, parameter_seed, run_jobs
from zoo.init.sharded import fill_shard, local_shard

_STATE_ATTR = "_zoo_init_state"
_CONTEXT_ATTR = "_zoo_init_context"

_NORM_BUFFERS = {"running_mean": 0.0, "running_var": 1.0, "num_batches_tracked": 0}


@dataclass(frozen=True)
class InitState:
    """The policy and seed a module was initialized with (kept on the root module)."""

    policy: Policy
    seed: int


@dataclass(frozen=True)
class _LayerContext:
    policy: Policy
    seed: int
    prefix: str
    heads: frozenset[str]  # attrs of this module that the root saw as head parameters


@dataclass(frozen=True)
class _Planned:
    slot: Slot
    choice: Choice
    resolved: Resolved | None


def _plan(slot_list: Iterable[Slot], policy: Policy) -> list[_Planned]:
    planned = []
    for slot in slot_list:
        choice = policy.choose(slot)
        resolved = None
        if choice.init is not None:
            try:
                resolved = choice.init.resolve(slot.shape, slot.fans, slot.nonlinearity, slot.role)
            except ValueError as err:
                raise InitError(f"cannot initialize {slot.name!r} ({choice.reason}): {err}") from err
        planned.append(_Planned(slot, choice, resolved))
    return planned


def _row(item: _Planned) -> ReportRow:
    slot, resolved = item.slot, item.resolved
    param = getattr(slot.module, slot.attr)
    if resolved is None:
        return ReportRow(
            name=slot.name, shape=slot.shape, dtype=str(param.dtype).removeprefix("torch."),
            init="not covered", distribution="kept as it was", fan_in=None, fan_out=None,
            gain=None, mean=None, std=None, low=None, high=None, reason=item.choice.reason,
        )
    d = resolved.distribution
    bounds = d.bounds
    return ReportRow(
        name=slot.name,
        shape=slot.shape,
        dtype=str(param.dtype).removeprefix("torch."),
        init=item.choice.init.describe(),
        distribution=d.summary(),
        fan_in=resolved.fan_in,
        fan_out=resolved.fan_out,
        gain=resolved.gain,
        mean=d.mean,
        std=d.std,
        low=bounds[0] if bounds else None,
        high=bounds[1] if bounds else None,
        reason=item.choice.reason,
    )


def _write(item: _Planned, seed: int) -> list[Job]:
    """Write one parameter, or return the jobs that will (run later with everyone's)."""
    slot = item.slot
    param = getattr(slot.module, slot.attr)
    distribution = item.resolved.distribution
    param_seed = parameter_seed(seed, slot.name, slot.shape)
    shard = local_shard(param)
    with torch.no_grad():
        if shard is not None:  # FSDP2 / DTensor: this rank draws only its own rows
            local, start = shard
            fill_shard(distribution, slot.name, slot.shape, local, start, param_seed)
            return []
        if param.is_contiguous():  # in place, block by block: no full-size temporary
            jobs = distribution.jobs(param.data.view(-1), param_seed)
            if jobs is not None:
                return jobs
            distribution.fill_(param.data.view(-1), param_seed)
        else:
            param.copy_(distribution.sample(slot.shape, param_seed))
    return []


def _zero_padding_rows(items: list[_Planned]) -> None:
    """As PyTorch: an embedding's padding row stays zero whatever its init."""
    for item in items:
        padding_idx = getattr(item.slot.module, "padding_idx", None)
        param = getattr(item.slot.module, item.slot.attr)
        if item.slot.role == "embedding" and padding_idx is not None and local_shard(param) is None:
            with torch.no_grad():
                param[padding_idx] = 0.0


def reset_buffer(module: nn.Module, name: str) -> bool:
    """Write a buffer zoo knows (norm running statistics); False when it does not know it."""
    buf = getattr(module, name, None)
    if name not in _NORM_BUFFERS or not isinstance(module, nn.modules.batchnorm._NormBase):
        return False
    if buf is not None and not buf.is_meta:
        with torch.no_grad():
            buf.fill_(_NORM_BUFFERS[name])
    return True


def _buffer_rule(policy: Policy, name: str) -> Rule | None:
    """The first name-glob rule with an elementwise initializer that matches a buffer."""
    for rule in policy.rules:
        if rule.matches_name(name) and not rule.init.requires_2d:
            return rule
    return None


def _reset_buffers(module: nn.Module, prefix: str, policy: Policy, seed: int) -> list[str]:
    """Write the known buffers of ``module`` (norm statistics, or a rule's); return the
    persistent ones left unwritten."""
    unwritten = []
    persistent_skip = getattr(module, "_non_persistent_buffers_set", set())
    for name, buf in module.named_buffers(recurse=False):
        if buf is None or buf.is_meta or reset_buffer(module, name):
            continue
        qualified = f"{prefix}.{name}" if prefix else name
        rule = _buffer_rule(policy, qualified)
        if rule is not None:
            shape = tuple(buf.shape)
            dist = rule.init.resolve(shape).distribution
            with torch.no_grad():
                buf.copy_(dist.sample(shape, parameter_seed(seed, qualified, shape)))
        elif name not in persistent_skip:
            unwritten.append(qualified)
    return unwritten


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _progress(total: int):
    """A progress bar for big models; tqdm shows it only once init has run 2 s."""
    if total < 50_000_000:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="param", unit_scale=True, delay=2.0, desc="zoo init", leave=False)


def _fail_unwritten(uncovered: list[str], buffers: list[str]) -> None:
    parts = []
    if uncovered:
        parts.append(f"parameters no policy rule covers: {', '.join(uncovered)}")
    if buffers:
        parts.append(f"persistent buffers zoo cannot initialize: {', '.join(buffers)}")
    raise InitError(
        "left unwritten after init — " + "; ".join(parts)
        + ". Add a rule for them (e.g. init={'base': ..., 'rules': {'NAME': 'zeros'}}; "
        "buffers take name rules with elementwise initializers) or declare weight_init= "
        "on the layer."
    )


def _run(
    root: nn.Module,
    slot_list: list[Slot],
    policy: Policy,
    seed: int,
    names: set[str] | None,
    strict: bool,
    buffer_modules: Iterable[tuple[str, nn.Module]],
) -> list[_Planned]:
    planned = _plan(slot_list, policy)
    uncovered = []
    todo = []
    for item in planned:
        if names is not None and item.slot.name not in names:
            continue
        param = getattr(item.slot.module, item.slot.attr)
        if item.resolved is None:
            uncovered.append(item.slot.name)
        elif not param.is_meta:
            todo.append(item)
    with _progress(sum(math.prod(item.slot.shape) for item in todo)) as bar:
        # Blocks of every parameter go to the thread pool together, so small layers
        # fill in parallel too; the values do not depend on who draws what.
        jobs = []
        for item in todo:
            item_jobs = _write(item, seed)
            if not item_jobs:
                bar.update(math.prod(item.slot.shape))
            jobs += item_jobs
        run_jobs(jobs, done=bar.update)
    _zero_padding_rows(todo)
    unwritten_buffers = []
    if names is None:
        for prefix, module in buffer_modules:
            unwritten_buffers += _reset_buffers(module, prefix, policy, seed)
    if strict and (uncovered or unwritten_buffers):
        _fail_unwritten(uncovered, unwritten_buffers)
    return planned


def _remember(
    root: nn.Module, planned: list[_Planned], policy: Policy, prepared: Policy, seed: int
) -> None:
    """Keep the policy as given on the root (it is what a file stores) and the prepared
    one, tuned to the whole model, on every layer (it is what a layer's reset re-runs)."""
    object.__setattr__(root, _STATE_ATTR, InitState(policy, int(seed)))
    heads: dict[int, set[str]] = {}
    for item in planned:
        if item.slot.head:
            heads.setdefault(id(item.slot.module), set()).add(item.slot.attr)
    for prefix, module in root.named_modules():
        context = _LayerContext(prepared, int(seed), prefix, frozenset(heads.get(id(module), ())))
        object.__setattr__(module, _CONTEXT_ATTR, context)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InitError(f"seed must be a non-negative int, got {seed!r}")
    return seed


def apply(
    module: nn.Module,
    init: PolicySpec = "default",
    seed: int = 0,
    *,
    names: Iterable[str] | None = None,
    strict: bool = False,
) -> InitReport:
    """Initialize every parameter of ``module`` (any torch module) with ``init`` and ``seed``.

    Returns the init report. Parameters no rule covers are left as they are and listed in
    the report as "not covered"; with ``strict=True`` they (and unknown persistent
    buffers) are an error instead. ``names`` limits the pass (and the report) to those
    parameters; their values equal what a full pass would give them.

    >>> import torch.nn as nn, zoo
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> report = zoo.init.apply(net, "xavier", seed=0)
    >>> report["0.bias"].init
    'zeros(value=0.0)'
    """
    if not isinstance(module, nn.Module):
        raise InitError(f"zoo.init.apply needs a torch.nn.Module, got {type(module).__name__}")
    seed = _check_seed(seed)
    policy = resolve_policy(init, module)
    if isinstance(names, str):
        names = [names]
    wanted = set(names) if names is not None else None
    slot_list = slots(module)
    if wanted is not None:
        unknown = sorted(wanted - {s.name for s in slot_list})
        if unknown:
            raise InitError(f"no such parameter(s): {', '.join(unknown)}")
    _check_rules_match(module, policy, slot_list)
    prepared = policy.prepare(slot_list)
    planned = _run(module, slot_list, prepared, seed, wanted, strict, module.named_modules())
    _remember(module, planned, policy, prepared, seed)
    shown = [p for p in planned if wanted is None or p.slot.name in wanted]
    report = InitReport([_row(p) for p in shown], policy.name, seed)
    if report.not_covered and not any(p.is_meta for p in module.parameters()):
        warn_caller(
            f"zoo.init.apply left {len(report.not_covered)} parameter(s) that no policy rule "
            f"covers as they were: {', '.join(report.not_covered[:5])}"
            f"{', ...' if len(report.not_covered) > 5 else ''}; add rules for them "
            "(report.not_covered lists all)"
        )
    return report


def _check_rules_match(module: nn.Module, policy: Policy, slot_list: list[Slot]) -> None:
    """A rule that matches nothing is almost always a typo: say so instead of ignoring it."""
    buffer_names = [n for n, _ in module.named_buffers()]
    for rule in policy.rules:
        if any(rule.matches(s) for s in slot_list) or any(map(rule.matches_name, buffer_names)):
            continue
        examples = ", ".join(s.name for s in slot_list[:4])
        raise InitError(
            f"rule {rule.label!r} matches no parameter of {type(module).__name__} "
            f"(names look like: {examples}, ...); fix the pattern or drop the rule"
        )


def reset_module(module: nn.Module) -> None:
    """Re-initialize ``module``'s own parameters and buffers (not its children's).

    Uses the policy, seed and name prefix the last init pass of its root left on it, so
    the values equal the root's; a layer never initialized through a root uses the
    generic default policy, seed 0 and its own attribute names.
    """
    from zoo.init.policies import GENERIC_DEFAULT

    context = getattr(module, _CONTEXT_ATTR, None)
    if context is None:  # a layer on its own is its own root
        apply(module, GENERIC_DEFAULT, 0)
        return
    renamed = _own_slots(module, context)
    _run(module, renamed, context.policy, context.seed, None, False, [(context.prefix, module)])


def _own_slots(module: nn.Module, context: _LayerContext) -> list[Slot]:
    """``module``'s own parameters, named and flagged as its root saw them."""
    own = [s for s in slots(module) if s.module is module]
    return [
        dataclasses.replace(
            s,
            name=f"{context.prefix}.{s.attr}" if context.prefix else s.attr,
            head=s.head or s.attr in context.heads,
            nonlinearity="linear"
            if (s.attr in context.heads and not s.hints.nonlinearity)
            else s.nonlinearity,
        )
        for s in own
    ]


def init_state(module: nn.Module) -> InitState | None:
    """The policy and seed ``module`` was last initialized with by zoo, if any."""
    return getattr(module, _STATE_ATTR, None)


def describe(module: nn.Module) -> InitReport:
    """Per-parameter init report of a module initialized by zoo (no values are drawn).

    >>> import zoo
    >>> print(zoo.describe(zoo.create("mlp", in_features=4, hidden=(8,), out_features=2)))
    ... # doctest: +SKIP
    """
    if not isinstance(module, nn.Module):
        raise InitError(f"zoo.describe needs a torch.nn.Module, got {type(module).__name__}")
    state = init_state(module)
    context = getattr(module, _CONTEXT_ATTR, None)
    if state is None and context is None:
        raise InitError(
            f"{type(module).__name__} was not initialized by zoo, so there is nothing to "
            "report; run zoo.init.apply(module, POLICY, seed=N) first, or build it with "
            "zoo.create"
        )
    if state is None:  # a submodule of a zoo-initialized model: its rows, full names
        rows = []
        for sub in module.modules():
            sub_context = getattr(sub, _CONTEXT_ATTR, None)
            if sub_context is not None:
                rows += [_row(p) for p in _plan(_own_slots(sub, sub_context), sub_context.policy)]
        return InitReport(rows, context.policy.name, context.seed)
    slot_list = slots(module)
    planned = _plan(slot_list, state.policy.prepare(slot_list))
    report = InitReport([_row(p) for p in planned], state.policy.name, state.seed)
    load_report = getattr(module, "zoo_load_report", None)
    if load_report is not None:  # weights that came from a checkpoint were not drawn
        adapted = [entry.split(":")[0] for entry in load_report.adapted]
        report.mark_loaded(load_report.path, load_report.loaded + adapted)
    return report
