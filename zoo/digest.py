"""A stable SHA-256 digest of a model's weights, for golden tests and quick comparisons."""

from __future__ import annotations

import hashlib

import torch
from torch import nn


def weights_digest(model: nn.Module) -> str:
    """SHA-256 over every state-dict entry: its name, dtype, shape and raw bytes.

    >>> import zoo
    >>> a = zoo.create("mlp", hidden=(8,), seed=0)
    >>> weights_digest(a) == weights_digest(zoo.create("mlp", hidden=(8,), seed=0))
    True
    """
    sha = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        sha.update(f"{name}|{str(t.dtype)}|{tuple(t.shape)}|".encode())
        sha.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return sha.hexdigest()
