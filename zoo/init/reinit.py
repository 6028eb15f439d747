"""Partial re-initialization: re-draw chosen parameters with the model's policy and seed."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from torch import nn

from zoo.errors import InitError
from zoo.init.engine import apply, init_state, reset_buffer
from zoo.init.report import InitReport


def reinit(model: nn.Module, *targets: str | nn.Module) -> InitReport:
    """Re-draw the parameters matching ``targets`` (name globs, ``re:`` full-match regexes,
    or submodules), and reset the running statistics of their norm layers.

    Uses the policy and seed the model was initialized with, so the values are
    bit-identical to a fresh model's for those names; the others are untouched.

    >>> import zoo, torch
    >>> model = zoo.create("resnet18", num_classes=4, seed=0)
    >>> fresh = model.fc.weight.clone()
    >>> with torch.no_grad(): model.fc.weight.zero_()
    >>> _ = zoo.init.reinit(model, "fc.*")
    >>> torch.equal(model.fc.weight, fresh)
    True
    """
    state = init_state(model)
    if state is None:
        raise InitError(
            f"{type(model).__name__} has no zoo init policy to re-run; "
            "use zoo.init.apply(model, POLICY, seed=N, names=[...]) instead"
        )
    if not targets:
        raise InitError("reinit needs at least one parameter-name pattern or submodule")
    names: list[str] = []
    owners = {id(m): prefix for prefix, m in model.named_modules()}
    for target in targets:
        if isinstance(target, nn.Module):
            if id(target) not in owners:
                raise InitError(f"{type(target).__name__} is not a submodule of the model")
            prefix = owners[id(target)]
            found = [
                f"{prefix}.{n}" if prefix else n for n, _ in target.named_parameters()
            ]
        elif isinstance(target, str):
            found = [n for n, _ in model.named_parameters() if _matches(target, n)]
        else:
            raise InitError(f"reinit targets are name globs or submodules, got {target!r}")
        if not found:
            examples = ", ".join(n for n, _ in list(model.named_parameters())[:3])
            raise InitError(f"{target!r} matches no parameter (names look like: {examples}, ...)")
        names += [n for n in found if n not in names]
    report = apply(model, state.policy, state.seed, names=names)
    for name in names:  # the norm layers re-drawn start from fresh running statistics too
        owner = model.get_submodule(name.rpartition(".")[0])
        for buffer_name, _ in owner.named_buffers(recurse=False):
            reset_buffer(owner, buffer_name)
    return report


def _matches(pattern: str, name: str) -> bool:
    if pattern.startswith("re:"):
        try:
            return re.fullmatch(pattern[len("re:") :], name) is not None
        except re.error as err:
            raise InitError(f"{pattern!r}: invalid regular expression ({err})") from None
    return fnmatchcase(name, pattern)
