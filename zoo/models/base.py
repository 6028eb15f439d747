"""What every zoo model has: a config, an architecture name, a default init policy, and
``reset_parameters(init, seed)`` that re-runs its policy (a subclass may override it)."""

from __future__ import annotations

from torch import nn

from zoo.init import InitReport, Policy, apply, init_state
from zoo.init.policies import GENERIC_DEFAULT, PolicySpec
from zoo.models.config import ModelConfig


class ZooModel(nn.Module):
    """Base class of zoo's architectures."""

    arch: str = ""  # registry name, set by the registry when the model is created

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config

    def default_init_policy(self) -> Policy:
        """The architecture's own recommended init (the ``default`` policy)."""
        return GENERIC_DEFAULT

    def reset_parameters(self, init: PolicySpec | None = None, seed: int | None = None) -> InitReport:
        """Re-draw every parameter with ``init`` and ``seed`` (default: the last ones used).

        >>> import zoo
        >>> m = zoo.create("mlp", in_features=4, hidden=(8,), out_features=2, seed=1)
        >>> before = m.head.weight.clone()
        >>> _ = m.reset_parameters()
        >>> bool((m.head.weight == before).all())
        True
        """
        state = init_state(self)
        if init is None:
            init = state.policy if state else "default"
        if seed is None:
            seed = state.seed if state else 0
        return apply(self, init, seed, strict=True)
