"""Loading weights into a model: a meta-built one (assign) or an existing one (copy).

Loading checks everything against the file's header first; only then are tensors read.
A strict load with anything missing, unexpected or mismatched raises and changes
nothing; a non-strict load still raises when no key matched (a wrong prefix must not
load zero tensors quietly).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zoo.errors import CheckpointError, warn_caller
from zoo.init import apply, init_state
from zoo.init.engine import reset_buffer
from zoo.io.adapt import adapt_stem
from zoo.io.files import dtype_name, iter_shards, read_index, weights_path
from zoo.io.matching import LoadPlan, head_keys, plan_load
from zoo.io.report import LoadReport


def check_plan(plan: LoadPlan, strict: bool, what: str) -> None:
    report = plan.report
    if strict and not report.ok:
        raise CheckpointError(
            f"{what} does not fit the model; nothing was loaded.\n{report.describe(failed=True)}"
        )
    if not report.loaded and not plan.adapt:
        raise CheckpointError(
            f"{what}: no key of the file matches the model, so nothing would load "
            f"(a different architecture, or a key prefix zoo does not know?)\n"
            f"{report.describe(failed=True)}"
        )


def _finite(value: torch.Tensor) -> bool:
    if not value.is_floating_point() or value.numel() == 0:
        return True
    low, high = torch.aminmax(value)  # one pass, no mask; NaN propagates into both
    return bool(torch.isfinite(low) and torch.isfinite(high))


def _warn_non_finite(report: LoadReport) -> None:
    if report.non_finite:
        warn_caller(
            f"NaN or Inf in {len(report.non_finite)} tensor(s) loaded from {report.path}: "
            f"{', '.join(report.non_finite[:10])}; a diverged or damaged checkpoint, or a "
            "dtype too narrow for its values? (loaded as they are; see the load report)"
        )


def cast_checked(model: nn.Module, dtype: torch.dtype, report: LoadReport) -> nn.Module:
    """``model.to(dtype)`` after a load, listing (and warning about) the tensors the cast
    overflows; those already non-finite in the file are in ``report`` from ``file_tensors``."""
    known = set(report.non_finite)
    model = model.to(dtype)
    overflowed = [k for k, v in model.state_dict().items() if k not in known and not _finite(v)]
    if overflowed:
        report.non_finite += [f"{k} (overflows {dtype_name(dtype)})" for k in overflowed]
        _warn_non_finite(report)
    return model


def file_tensors(
    plan: LoadPlan, path: Path, model: nn.Module, device: torch.device
) -> Iterator[dict[str, torch.Tensor]]:
    """The planned tensors, keyed by model key, cast and adapted, one shard at a time.

    Tensors holding NaN or Inf (in the file, or after a cast overflowed) are listed in
    the report's ``non_finite`` and warned about once all are read.
    """
    want = {k: (v.dtype, v.shape) for k, v in model.state_dict().items()}
    by_file_key = {file_key: key for key, file_key in plan.sources.items()}
    for tensors in iter_shards(path, device):
        state = {}
        for file_key in list(tensors):
            key = by_file_key.get(file_key)
            value = tensors.pop(file_key)
            if key is None:
                continue
            if key in plan.adapt:
                value, how = adapt_stem(value, want[key][1][1])
                plan.report.adapted.append(f"{key}: {how}")
            cast = value.to(want[key][0])
            if not _finite(value):
                plan.report.non_finite.append(key)
            elif cast.dtype != value.dtype and not _finite(cast):
                plan.report.non_finite.append(f"{key} (overflows {dtype_name(cast.dtype)})")
            state[key] = cast
        yield state
    _warn_non_finite(plan.report)


def _materialize(model: nn.Module, keys: list[str], device: torch.device) -> None:
    """Give meta tensors named ``keys`` real (empty) storage on ``device``."""
    for key in keys:
        module_name, _, attr = key.rpartition(".")
        module = model.get_submodule(module_name)
        current = getattr(module, attr)
        if not current.is_meta:
            continue
        empty = torch.empty(current.shape, dtype=current.dtype, device=device)
        if isinstance(current, nn.Parameter):
            setattr(module, attr, nn.Parameter(empty, requires_grad=current.requires_grad))
        else:
            module.register_buffer(attr, empty)


def _reinitialize(model: nn.Module, keys: list[str], init: Any, seed: int) -> None:
    params = set(dict(model.named_parameters()))
    names = [k for k in keys if k in params]
    if names:
        apply(model, init, seed, names=names)
    for key in keys:
        if key not in params:
            module_name, _, attr = key.rpartition(".")
            if not reset_buffer(model.get_submodule(module_name), attr):
                raise CheckpointError(f"cannot initialize buffer {key!r}: it is not in the file")


def load_into_meta_model(
    model: nn.Module,
    path: str | Path,
    device: torch.device,
    init: Any,
    seed: int,
    strict: bool = True,
) -> LoadReport:
    """Assign a checkpoint's tensors to a model built on meta (``zoo.create(weights=...)``).

    Nothing the file provides is initialized; what it lacks by design (a head of another
    size) is initialized with ``init`` and ``seed``, equal to a fresh model's values.
    """
    path = weights_path(path)
    _, index = read_index(path)
    plan = plan_load(model, index, path, strict)
    check_plan(plan, strict, f"checkpoint {str(path)!r}")
    apply(model, init, seed)  # on meta this records the policy and seed, and draws nothing
    model.zoo_load_report = plan.report
    if device.type == "meta":
        return plan.report
    for state in file_tensors(plan, path, model, device):
        model.load_state_dict(state, strict=False, assign=True)
    _materialize(model, plan.reinit, device)
    _reinitialize(model, plan.reinit, init, seed)
    leftover = [k for k, v in model.state_dict().items() if v.is_meta]
    if leftover:  # cannot happen when the plan is right; never hand out meta tensors
        raise CheckpointError(f"internal error: {', '.join(leftover)} left unloaded")
    return plan.report


def load_weights(
    model: nn.Module,
    path: str | Path,
    strict: bool = True,
    rename: Callable[[str], str] | None = None,
) -> LoadReport:
    """Load a checkpoint (``.safetensors`` file or save_pretrained folder) into ``model``.

    Keeps the model's device and dtype (the file's tensors are cast and the cast
    reported). Strict by default: any missing, unexpected or mismatched key is an error
    listing them, and the model is left unchanged. A head of another size than the
    file's keeps the model's own values (listed as ignored); an RGB stem is adapted to
    the model's input channels. ``module.`` / ``_orig_mod.`` prefixes are stripped;
    ``rename`` maps the file's other key names to the model's.

    >>> import zoo, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "r.safetensors")
    >>> _ = zoo.save(zoo.create("resnet18", num_classes=10), path)
    >>> print(zoo.load_weights(zoo.create("resnet18", num_classes=3), path).ignored)
    ['fc.weight (head kept: file (10, 512), model (3, 512))', 'fc.bias (head kept: file (10,), model (3,))']
    """
    if not isinstance(model, nn.Module):
        raise CheckpointError(f"load_weights needs a torch.nn.Module, got {type(model).__name__}")
    if any(t.is_meta for t in model.state_dict().values()):
        raise CheckpointError(
            "the model is on the meta device; build it with zoo.create(NAME, weights=PATH) "
            "(which assigns the file's tensors), or materialize it with to_empty() first"
        )
    path = weights_path(path)
    _, index = read_index(path)
    plan = plan_load(model, index, path, strict, rename=rename)
    check_plan(plan, strict, f"checkpoint {str(path)!r}")
    # An existing model already has its head: keep it (a new one is create()'s job).
    kept_heads = [k for k in plan.reinit if k in head_keys(model) and k not in plan.report.missing]
    if kept_heads:
        plan.reinit = [k for k in plan.reinit if k not in kept_heads]
        for entry in list(plan.report.reinitialized):
            if entry.split(" ")[0] in kept_heads:
                plan.report.reinitialized.remove(entry)
                plan.report.ignored.append(entry.replace("(head:", "(head kept:"))
    state = init_state(model)
    if plan.reinit and state is None:
        raise CheckpointError(
            f"{', '.join(plan.reinit)} must be re-initialized, but the model has no zoo init "
            "policy; run zoo.init.apply(model, POLICY, seed=N) first"
        )
    device = next((t.device for t in model.state_dict().values()), torch.device("cpu"))
    current = model.state_dict()
    with torch.no_grad():
        for shard in file_tensors(plan, path, model, device):
            for key, value in shard.items():
                current[key].copy_(value)
    if plan.reinit:
        _reinitialize(model, plan.reinit, state.policy, state.seed)
    return plan.report
