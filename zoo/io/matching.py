"""Matching a checkpoint's keys to a model's: what to load, cast, adapt or re-initialize.

Only the file's header is read here, so a plan that fails costs no tensor reads and
leaves the model untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from zoo.init.roles import slots
from zoo.io.adapt import can_adapt_stem
from zoo.io.files import TensorInfo, dtype_name
from zoo.io.report import LoadReport

KNOWN_PREFIXES = ("module.", "_orig_mod.")  # DataParallel / DDP, torch.compile


@dataclass
class LoadPlan:
    report: LoadReport
    sources: dict[str, str] = field(default_factory=dict)  # model key -> file key
    adapt: set[str] = field(default_factory=set)  # model keys whose stem is adapted
    reinit: list[str] = field(default_factory=list)  # model keys to initialize from policy


def strip_prefixes(key: str, stripped: set[str]) -> str:
    """Remove leading ``module.`` / ``_orig_mod.`` (nested too), noting which were found."""
    changed = True
    while changed:
        changed = False
        for prefix in KNOWN_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
                stripped.add(prefix)
                changed = True
    return key


def head_keys(model: nn.Module) -> set[str]:
    """Parameter names of the model's classifier head."""
    return {slot.name for slot in slots(model) if slot.head}


def _shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def plan_load(
    model: nn.Module,
    index: dict[str, TensorInfo],
    path: Path,
    strict: bool,
    file_dtype: torch.dtype | None = None,
    adapt: bool = True,
    rename: Callable[[str], str] | None = None,
) -> LoadPlan:
    """Compare ``model``'s state with the file's header and decide each key's fate.

    ``file_dtype`` (zoo files) requires every floating tensor of the file to have it.
    ``adapt=False`` (zoo files, which match their own config) turns head re-init and
    stem adaptation off: any difference is a mismatch. ``rename`` maps a file key (its
    known prefixes stripped) to the model's name for it.
    """
    expected = {k: TensorInfo(tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}
    heads = head_keys(model) if adapt else set()
    stem = getattr(model, "stem_weight", "") if adapt else ""
    head_prefix = getattr(model, "head_prefix", "")
    stripped: set[str] = set()
    by_model_key: dict[str, str] = {}
    for file_key in index:
        key = strip_prefixes(file_key, stripped)
        by_model_key.setdefault(rename(key) if rename else key, file_key)
    plan = LoadPlan(LoadReport(str(path), stripped_prefixes=sorted(stripped)))
    report = plan.report
    for key, want in expected.items():
        file_key = by_model_key.get(key)
        if file_key is None:
            if key in heads:
                plan.reinit.append(key)
                report.reinitialized.append(f"{key} (head, not in the file)")
            else:
                report.missing.append(key)
            continue
        found = index[file_key]
        if found.shape != want.shape:
            if key == stem and can_adapt_stem(found.shape, want.shape):
                plan.sources[key] = file_key
                plan.adapt.add(key)
            elif key in heads:
                plan.reinit.append(key)
                report.reinitialized.append(
                    f"{key} (head: file {_shape(found.shape)}, model {_shape(want.shape)})"
                )
            else:
                report.mismatched.append(
                    f"{key}: expected shape {_shape(want.shape)}, file has {_shape(found.shape)}"
                )
            continue
        wrong_float = file_dtype is not None and found.dtype.is_floating_point and found.dtype != file_dtype
        if wrong_float or found.dtype.is_floating_point != want.dtype.is_floating_point:
            expected_dtype = file_dtype if wrong_float else want.dtype
            report.mismatched.append(
                f"{key}: expected dtype {dtype_name(expected_dtype)}, file has {dtype_name(found.dtype)}"
            )
            continue
        plan.sources[key] = file_key
        report.loaded.append(key)
        if found.dtype != want.dtype:
            report.cast.append(f"{key}: {dtype_name(found.dtype)} -> {dtype_name(want.dtype)}")
    for key in sorted(set(by_model_key) - set(expected)):
        if adapt and head_prefix and not heads and key.startswith(head_prefix + "."):
            report.ignored.append(f"{key} (the model has no head)")
        else:
            report.unexpected.append(key)
    if not strict:
        # Re-initialize what the file cannot provide; the report still lists why.
        plan.reinit += report.missing  # parameters from the policy, norm statistics reset
        plan.reinit += [m.split(":")[0] for m in report.mismatched if m.split(":")[0] not in plan.reinit]
    return plan
