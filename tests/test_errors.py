"""Bad input gets a clear error that names the problem and what is valid."""

import pytest
import torch

import zoo


def test_unknown_model_suggests_close_names():
    with pytest.raises(zoo.UnknownModelError, match="did you mean resnet50.*Known models: mlp"):
        zoo.create("resnet05")


def test_unknown_policy_lists_them():
    with pytest.raises(zoo.UnknownPolicyError, match="known: default, fixup, gpt2, jax, kaiming, lecun"):
        zoo.create("mlp", init="he")


@pytest.mark.parametrize(
    "name, overrides, pattern",
    [
        ("mlp", {"hidden": "64"}, r"MLPConfig.hidden must be a list of int, got '64'"),
        ("mlp", {"dropout": 1.5}, r"MLPConfig.dropout must be in \[0, 1\)"),
        ("mlp", {"activation": "swish2"}, r"activation must be one of 'relu', 'gelu'"),
        ("mlp", {"hidden": (8, 0)}, r"hidden must be positive"),
        ("mlp", {"in_features": True}, r"in_features must be int"),
        ("resnet18", {"num_classes": -1}, r"num_classes must be >= 0"),
        ("resnet18", {"layers": (2, 2)}, r"layers must list 4 stage depths"),
        ("resnet18", {"nm_classes": 3}, r"no field\(s\) 'nm_classes'; valid: layers, block"),
        ("unet", {"norm": "batch"}, r"norm must be one of 'batchnorm', 'groupnorm', 'none'"),
        ("unet", {"depth": 0}, r"depth must be positive"),
        ("unet", {"num_classes": 2, "out_channels": 3},
         r"give .out_channels. or its alias .num_classes., not both"),
    ],
)
def test_bad_config_values_name_the_field(name, overrides, pattern):
    with pytest.raises(zoo.ConfigError, match=pattern):
        zoo.create(name, device="meta", **overrides)


def test_bad_device_dtype_seed():
    with pytest.raises(zoo.ConfigError, match="invalid device 'gpu0'"):
        zoo.create("mlp", device="gpu0")
    with pytest.raises(zoo.ConfigError, match="dtype must be one of float32, float64, float16, bfloat16"):
        zoo.create("mlp", dtype=torch.int32)
    with pytest.raises(zoo.InitError, match="seed must be a non-negative int"):
        zoo.create("mlp", seed=-1)
    with pytest.raises(zoo.InitError, match="seed must be a non-negative int"):
        zoo.create("mlp", seed="0")


def test_bad_policy_dicts_and_rules():
    with pytest.raises(zoo.UnknownPolicyError, match="keys 'base' and 'rules'"):
        zoo.create("mlp", init={"head.*": "zeros"})
    with pytest.raises(zoo.UnknownPolicyError, match="unknown initializer 'zero'"):
        zoo.create("mlp", init={"base": "kaiming", "rules": {"head.*": "zero"}})
    with pytest.raises(zoo.UnknownPolicyError, match="unknown role 'heads'"):
        zoo.create("mlp", init={"base": "kaiming", "rules": {"role:heads": "zeros"}})
    with pytest.raises(zoo.UnknownPolicyError, match="init must be a policy name"):
        zoo.create("mlp", init=3)


def test_bad_layer_declarations():
    with pytest.raises(zoo.InitError, match="bias_init=xavier_uniform needs a 2-D tensor"):
        zoo.nn.Linear(3, 4, bias_init="xavier_uniform")
    with pytest.raises(zoo.UnknownPolicyError, match="unknown nonlinearity 'rellu'"):
        zoo.nn.Conv2d(3, 4, 3, nonlinearity="rellu")


def test_describe_of_a_module_zoo_never_initialized():
    with pytest.raises(zoo.InitError, match="not initialized by zoo.*zoo.init.apply"):
        zoo.describe(torch.nn.Linear(2, 2))


def test_reinit_of_unknown_names():
    with pytest.raises(zoo.InitError, match="no such parameter"):
        zoo.init.apply(torch.nn.Linear(2, 2), "kaiming", names=["wieght"])
