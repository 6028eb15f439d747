"""What every zoo model has: a config, an architecture name, a default init policy, and
``reset_parameters(init, seed)`` that re-runs its policy (a subclass may override it)."""

from __future__ import annotations

import torch
from torch import nn

from zoo.init import InitReport, Policy, apply, init_state
from zoo.init.policies import GENERIC_DEFAULT, PolicySpec
from zoo.models.config import ModelConfig


class ZooModel(nn.Module):
    """Base class of zoo's architectures."""

    arch: str = ""  # registry name, set by the registry when the model is created
    stem_weight: str = ""  # first conv's weight: adapted when a checkpoint has other in_chans
    head_prefix: str = ""  # attribute holding the classifier head
    head_field: str = ""  # config field sizing the head (num_classes, out_channels, ...)

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

    def make_head(self, size: int) -> nn.Module:
        """A new classifier head with ``size`` outputs (models with a head override this)."""
        raise NotImplementedError(f"{type(self).__name__} has no replaceable head")

    def get_classifier(self) -> nn.Module:
        """The classifier head module (timm's name)."""
        return getattr(self, self.head_prefix)

    def reset_classifier(self, num_classes: int) -> InitReport:
        """Replace the head with one of ``num_classes`` outputs, initialized by the policy.

        The new head's values equal those of a fresh model created with that size, the
        same policy and seed; device and dtype are kept. For ResNet, 0 removes the head
        (pooled features).

        >>> import zoo
        >>> model = zoo.create("resnet18", seed=0)
        >>> _ = model.reset_classifier(10)
        >>> model.fc.out_features, model.config.num_classes
        (10, 10)
        """
        config = self.config.replace(**{self.head_field: num_classes})
        reference = next(self.parameters())
        with torch.device("meta"):
            head = self.make_head(num_classes)
        head = head.to_empty(device=reference.device).to(reference.dtype)
        self.config = config
        setattr(self, self.head_prefix, head)
        state = init_state(self)
        names = [n for n, _ in self.named_parameters() if n.startswith(self.head_prefix + ".")]
        return apply(
            self, state.policy if state else "default", state.seed if state else 0, names=names
        )
