"""Weights are a pure function of (architecture + config, policy, seed)."""

import pytest
import torch
from conftest import POLICIES, SMALL, state_equal
from torch import nn

import zoo
from zoo.init.seeding import BLOCK_SIZE, block_seed, fill, standard_normal, uniform_block


@pytest.mark.parametrize("name", sorted(SMALL))
def test_same_seed_same_bits_other_seed_other_bits(name):
    a = zoo.create(name, seed=0, **SMALL[name])
    b = zoo.create(name, seed=0, **SMALL[name])
    c = zoo.create(name, seed=1, **SMALL[name])
    assert state_equal(a, b)
    random_params = [k for k, row in ((r.name, r) for r in zoo.describe(a)) if row.std]
    assert random_params
    assert all(not torch.equal(a.get_parameter(k), c.get_parameter(k)) for k in random_params)


def test_global_rng_is_neither_read_nor_changed():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = zoo.create("resnet18", init="kaiming", seed=7, num_classes=3)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(999)
    torch.rand(1000)  # move the global RNG somewhere else entirely
    b = zoo.create("resnet18", init="kaiming", seed=7, num_classes=3)
    assert state_equal(a, b)


class Stack(nn.Module):
    def __init__(self, extra: bool):
        super().__init__()
        self.first = zoo.nn.Linear(16, 32, device="meta")
        if extra:
            self.inserted = zoo.nn.Linear(32, 32, device="meta")
        self.second = zoo.nn.Linear(32, 8, device="meta")


def test_adding_a_layer_keeps_the_others_bit_for_bit():
    plain, extended = Stack(False), Stack(True)
    for model in (plain, extended):
        model.to_empty(device="cpu")
        zoo.init.apply(model, "kaiming", seed=3, strict=True)
    for name in ("first.weight", "first.bias", "second.weight", "second.bias"):
        assert torch.equal(plain.get_parameter(name), extended.get_parameter(name))
    # A model one block deeper keeps every shared parameter too.
    short = zoo.create("mlp", hidden=(32, 32), in_features=8, out_features=4)
    deep = zoo.create("mlp", hidden=(32, 32, 32), in_features=8, out_features=4)
    for key, value in short.state_dict().items():
        if key.startswith("blocks."):
            assert torch.equal(value, deep.state_dict()[key])


@pytest.mark.parametrize("name", sorted(SMALL))
def test_meta_then_materialize_equals_direct_create(name):
    direct = zoo.create(name, init="xavier", seed=4, **SMALL[name])
    lazy = zoo.create(name, init="xavier", seed=4, device="meta", **SMALL[name])
    assert all(p.is_meta for p in lazy.parameters())
    lazy.to_empty(device="cpu")
    lazy.reset_parameters()
    assert state_equal(direct, lazy)


def test_per_layer_reset_parameters_matches_the_model_pass():
    # FSDP-style materialization calls reset_parameters() on every submodule.
    direct = zoo.create("resnet18", init="orthogonal", seed=2, num_classes=4)
    lazy = zoo.create("resnet18", init="orthogonal", seed=2, num_classes=4, device="meta")
    lazy.to_empty(device="cpu")
    for module in lazy.modules():
        if isinstance(module, zoo.nn.ZooLayer):
            module.reset_parameters()
    assert state_equal(direct, lazy)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
def test_lower_precision_equals_float32_cast(dtype):
    f32 = zoo.create("unet", init="kaiming", seed=0, **SMALL["unet"])
    low = zoo.create("unet", init="kaiming", seed=0, dtype=dtype, **SMALL["unet"])
    for key, value in f32.state_dict().items():
        other = low.state_dict()[key]
        expected = value.to(dtype) if value.is_floating_point() else value
        assert other.dtype == expected.dtype and torch.equal(other, expected), key


def test_thread_count_does_not_change_bits():
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = zoo.create("resnet18", seed=0, num_classes=3)
        torch.set_num_threads(2)
        two = zoo.create("resnet18", seed=0, num_classes=3)
    finally:
        torch.set_num_threads(threads)
    assert state_equal(one, two)


def test_blocks_are_seeded_independently():
    n = BLOCK_SIZE + 1000

    def uniforms(numel: int) -> torch.Tensor:
        return fill(torch.empty(numel, dtype=torch.float64), 42, uniform_block)

    for sampler in (uniforms, lambda numel: standard_normal(numel, 42)):
        whole = sampler(n)
        # The first block depends only on (seed, block index), not on what follows it.
        assert torch.equal(whole[:BLOCK_SIZE], sampler(BLOCK_SIZE))
        assert not torch.equal(whole[BLOCK_SIZE : BLOCK_SIZE + 1000], whole[:1000])
    assert block_seed(42, 1) != block_seed(42, 0)


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_is_deterministic(policy):
    a = zoo.create("unet", init=policy, seed=5, **SMALL["unet"])
    b = zoo.create("unet", init=policy, seed=5, **SMALL["unet"])
    assert state_equal(a, b)


def test_reset_parameters_redraws_the_same_values():
    model = zoo.create("mlp", seed=8, **SMALL["mlp"])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    model.reset_parameters()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    model.reset_parameters(init="xavier", seed=8)
    assert zoo.describe(model).policy == "xavier"
