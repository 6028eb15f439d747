"""Checking a timm encoder name without importing timm unless one is asked for."""

from __future__ import annotations

import difflib

from zoo.errors import ConfigError


def check_encoder(name: str) -> None:
    """Fail clearly when ``name`` is not a timm model (close matches suggested)."""
    import timm

    if timm.is_model(name):
        return
    close = difflib.get_close_matches(name, timm.list_models(), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(
        f"UNetConfig.encoder {name!r} is not a timm model{hint} "
        "(any timm model that supports features_only works, e.g. resnet34)"
    )
