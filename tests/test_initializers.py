"""Each initializer's samples against its formula; the functional form; gains."""

import math

import pytest
import torch

import zoo
from zoo.init import Fans, gain
from zoo.init import initializers as I


def stats(t: torch.Tensor) -> tuple[float, float]:
    t = t.double()
    return t.mean().item(), t.std().item()


SHAPE = (512, 256)  # 131k samples: std of the sample std ~ 0.2 %
FANS = Fans(256.0, 512.0, 256, 512)


@pytest.mark.parametrize(
    "init, std",
    [
        (I.KaimingNormal(), math.sqrt(2) / math.sqrt(256)),
        (I.KaimingNormal(mode="fan_out"), math.sqrt(2) / math.sqrt(512)),
        (I.KaimingNormal(nonlinearity="tanh"), (5 / 3) / math.sqrt(256)),
        (I.KaimingUniform(), math.sqrt(2) / math.sqrt(256)),
        (I.XavierNormal(), math.sqrt(2 / (256 + 512))),
        (I.XavierUniform(gain=2.0), 2 * math.sqrt(2 / (256 + 512))),
        (I.LecunNormal(), 1 / math.sqrt(256)),
        (I.Normal(std=0.3), 0.3),
        (I.Uniform(-0.5, 0.5), 1 / math.sqrt(12)),
    ],
)
def test_measured_std_matches_formula(init, std):
    resolved = init.resolve(SHAPE, FANS, nonlinearity="relu")
    assert resolved.distribution.std == pytest.approx(std, rel=1e-12)
    values = resolved.distribution.sample(SHAPE, seed=3)
    mean, measured = stats(values)
    n = values.numel()
    assert abs(mean) < 6 * std / math.sqrt(n)
    assert measured == pytest.approx(std, rel=6 / math.sqrt(2 * n))
    assert values.dtype == torch.float32 and values.device.type == "cpu"


def test_uniform_bounds_hold_and_are_reached():
    for init in (I.KaimingUniform(), I.XavierUniform(), I.Uniform(-0.2, 0.7)):
        d = init.resolve(SHAPE, FANS, "relu").distribution
        v = init.resolve(SHAPE, FANS, "relu").distribution.sample(SHAPE, 0)
        low, high = d.bounds
        assert v.min() >= low and v.max() <= high
        width = high - low
        assert v.min() < low + 0.001 * width and v.max() > high - 0.001 * width


def test_trunc_normal_bounds_in_units_of_std_and_actual_std():
    d = I.TruncNormal(std=0.02).resolve(SHAPE).distribution
    v = d.sample(SHAPE, 0)
    assert v.min() >= -0.04 and v.max() <= 0.04
    # Truncating N(0, 1) at ±2 leaves a standard deviation of 0.8796.
    assert d.std == pytest.approx(0.02 * 0.879626, rel=1e-5)
    assert stats(v)[1] == pytest.approx(d.std, rel=0.01)
    asym = I.TruncNormal(std=1.0, a=-1.0, b=3.0).resolve(SHAPE).distribution
    w = asym.sample(SHAPE, 1)
    assert w.min() >= -1.0 and w.max() <= 3.0
    assert stats(w)[0] == pytest.approx(asym.mean, abs=0.01)
    assert stats(w)[1] == pytest.approx(asym.std, rel=0.01)


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (16, 4, 3, 3), (8, 8)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    g = 1.7
    v = I.Orthogonal(gain=g)(shape, seed=5).double().reshape(shape[0], -1)
    rows, cols = v.shape
    gram = v @ v.t() if rows <= cols else v.t() @ v
    assert torch.allclose(gram, g * g * torch.eye(min(rows, cols), dtype=torch.float64), atol=1e-5)
    d = I.Orthogonal(gain=g).resolve(shape, None).distribution
    assert v.pow(2).mean().sqrt().item() == pytest.approx(d.std, rel=1e-5)


def test_constants():
    assert torch.equal(I.Zeros()((3, 4)), torch.zeros(3, 4))
    assert torch.equal(I.Ones()((5,)), torch.ones(5))
    assert torch.equal(I.Constant(0.25)((2,)), torch.full((2,), 0.25))


def test_torch_default_matches_pytorch_bounds_for_conv_transpose():
    # PyTorch's own counting for a transposed conv weight (in, out/g, k, k): fan_in = out/g*k*k.
    layer = torch.nn.ConvTranspose2d(8, 6, 4, stride=2)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)
    report = zoo.init.apply(layer, "torch", seed=0)
    assert report["weight"].high == pytest.approx(1 / math.sqrt(fan_in))
    assert report["bias"].high == pytest.approx(1 / math.sqrt(fan_in))
    assert layer.weight.abs().max() <= 1 / math.sqrt(fan_in)


def test_functional_form_is_pure():
    a = I.KaimingNormal()((64, 32), seed=9)
    b = I.KaimingNormal()((64, 32), seed=9)
    c = I.KaimingNormal()((64, 32), seed=10)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_fan_based_initializer_refuses_1d():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        I.XavierUniform()((10,))


@pytest.mark.parametrize("bad", ["nope", {"name": "normal", "sd": 1}, 3.0, {"std": 1}])
def test_as_initializer_errors_name_the_problem(bad):
    with pytest.raises(zoo.UnknownPolicyError, match="known|valid|initializer"):
        I.as_initializer(bad)


def test_gains():
    assert gain("relu") == pytest.approx(math.sqrt(2))
    assert gain("tanh") == pytest.approx(5 / 3)
    assert gain("selu") == pytest.approx(0.75)
    assert gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    # Variance-preserving gains: E[(gain * f(x))^2] = 1 for x ~ N(0, 1), measured here.
    x = torch.randn(2_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for name, fn in (("gelu", torch.nn.functional.gelu), ("silu", torch.nn.functional.silu)):
        second_moment = (gain(name) * fn(x)).pow(2).mean().item()
        assert second_moment == pytest.approx(1.0, rel=0.01)
    with pytest.raises(zoo.UnknownPolicyError, match="known: .*relu"):
        gain("swishy")
