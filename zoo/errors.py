"""Exceptions raised by zoo. Each names the problem and what would be valid."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class ZooError(Exception):
    """Base class of every error zoo raises on purpose."""


class UnknownModelError(ZooError, ValueError):
    """A model name that is not in the registry."""


class PolicyError(ZooError, ValueError):
    """An init policy, rule or initializer argument that zoo cannot use."""


class UnknownPolicyError(PolicyError):
    """An init policy, initializer or nonlinearity name that zoo does not know."""


class ConfigError(ZooError, ValueError):
    """A model config value that is missing, of the wrong type or out of range."""


class InitError(ZooError, RuntimeError):
    """A parameter could not be initialized, or was left unwritten."""


class CheckpointError(ZooError, ValueError):
    """A checkpoint file that cannot be read, or does not fit the model."""


def warn_caller(message: str) -> None:
    """``warnings.warn`` pointing at the user's line: the first frame outside zoo."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)
