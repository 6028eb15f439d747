"""Property-based tests: random configurations create deterministically, forward, and
round-trip through safetensors bit-exactly.

The default run tries a few dozen; `pytest -m slow tests/test_properties.py` runs the
full profile of 500. Any failure hypothesis finds becomes a regular test below.
"""

import tempfile
from pathlib import Path

import pytest
import torch
from conftest import state_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zoo

DTYPES = [torch.float32, torch.bfloat16, torch.float16, torch.float64]
ACTIVATIONS = ["relu", "gelu", "silu", "tanh", "selu", "elu", "mish", "leaky_relu"]

mlp = st.fixed_dictionaries({
    "in_features": st.integers(1, 16),
    "hidden": st.lists(st.integers(1, 32), min_size=1, max_size=3).map(tuple),
    "out_features": st.integers(1, 8),
    "activation": st.sampled_from(ACTIVATIONS),
    "norm": st.sampled_from(["none", "layernorm", "batchnorm"]),
    "bias": st.booleans(),
    "dropout": st.sampled_from([0.0, 0.1]),
}).map(lambda c: ("mlp", c))
unet = st.fixed_dictionaries({
    "in_channels": st.integers(1, 3),
    "out_channels": st.integers(1, 3),
    "depth": st.integers(1, 3),
    "base_width": st.sampled_from([8, 16]),
    "bilinear": st.booleans(),
    "norm": st.sampled_from(["batchnorm", "groupnorm", "none"]),
    "bias": st.booleans(),
}).map(lambda c: ("unet", c))
resnet = st.fixed_dictionaries({
    "num_classes": st.integers(0, 12),
    "in_chans": st.integers(1, 4),
    "zero_init_last": st.booleans(),
}).map(lambda c: ("resnet18", {**c, "layers": (1, 1, 1, 1)}))

rules = st.sampled_from([
    None,
    {"role:bias": {"name": "constant", "value": 0.1}},
    {"*.weight": {"name": "normal", "std": 0.05}},
    {"re:.*norm.*|.*bn.*": "ones", "type:Conv2d": "orthogonal"},
])
policies = st.tuples(st.sampled_from(zoo.init.POLICY_NAMES), rules)


def example(name: str, model: torch.nn.Module, dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    if name == "mlp":
        x = torch.randn(4, model.config.in_features, generator=gen)
    elif name == "unet":
        x = torch.randn(2, model.config.in_channels, 19, 23, generator=gen)
    else:
        x = torch.randn(2, model.config.in_chans, 32, 32, generator=gen)
    return x.to(dtype)


def check(case, policy, seed, dtype) -> None:
    name, config = case
    base, extra = policy
    init = {"base": base, "rules": extra} if extra else base
    try:
        a = zoo.create(name, init=init, seed=seed, dtype=dtype, **config)
    except zoo.InitError as err:  # a rule that matches nothing in this model is an error
        assert "matches no parameter" in str(err)
        return
    b = zoo.create(name, init=init, seed=seed, dtype=dtype, **config)
    assert state_equal(a, b)
    a.eval()
    with torch.no_grad():
        y = a(example(name, a, dtype))
    assert y.shape[0] == example(name, a, dtype).shape[0]
    with tempfile.TemporaryDirectory() as folder:
        loaded = zoo.load(zoo.save(a, Path(folder) / "m.safetensors"))
    assert state_equal(a, loaded)
    assert zoo.describe(loaded).to_dict() == zoo.describe(a).to_dict()


common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@settings(max_examples=25, **common)
@given(st.one_of(mlp, unet, resnet), policies, st.integers(0, 2**32), st.sampled_from(DTYPES))
def test_random_configurations(case, policy, seed, dtype):
    check(case, policy, seed, dtype)


@pytest.mark.slow
@settings(max_examples=500, **common)
@given(st.one_of(mlp, unet, resnet), policies, st.integers(0, 2**32), st.sampled_from(DTYPES))
def test_random_configurations_full(case, policy, seed, dtype):
    check(case, policy, seed, dtype)
