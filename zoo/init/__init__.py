"""Initializers, policies, seeding and the init report. Works on any torch module.

>>> import torch.nn as nn, zoo
>>> net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.ReLU(), nn.Conv2d(8, 8, 3))
>>> report = zoo.init.apply(net, "kaiming", seed=0)
>>> report["2.bias"].distribution
'const 0'
"""

from zoo.init.engine import InitState, apply, describe, init_state, reset_module
from zoo.init.fans import Fans, module_fans
from zoo.init.gains import NONLINEARITIES, gain
from zoo.init.initializers import (
    INITIALIZERS,
    Initializer,
    as_initializer,
    constant,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    normal,
    ones,
    orthogonal,
    scaled,
    torch_default,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from zoo.init.lsuv import LSUVLayer, lsuv
from zoo.init.policies import POLICY_NAMES, Policy, Rule, policy, resolve_policy
from zoo.init.reinit import reinit
from zoo.init.report import InitReport, ReportRow
from zoo.init.roles import LayerHints
from zoo.init.seeding import parameter_seed

__all__ = [
    "INITIALIZERS",
    "NONLINEARITIES",
    "POLICY_NAMES",
    "Fans",
    "InitReport",
    "InitState",
    "Initializer",
    "LayerHints",
    "Policy",
    "ReportRow",
    "Rule",
    "LSUVLayer",
    "apply",
    "as_initializer",
    "lsuv",
    "scaled",
    "variance_scaling",
    "constant",
    "describe",
    "gain",
    "init_state",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "module_fans",
    "normal",
    "ones",
    "orthogonal",
    "parameter_seed",
    "policy",
    "reinit",
    "reset_module",
    "resolve_policy",
    "torch_default",
    "trunc_normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
