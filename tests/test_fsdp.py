"""FSDP2 sharded init on 2 CPU processes equals the single-process model, bit for bit."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

import zoo
from zoo.digest import weights_digest

CASES = [
    ["mlp", "kaiming", {"in_features": 10, "hidden": [33, 17], "out_features": 5, "norm": "layernorm"}],
    ["unet", "xavier", {"depth": 2, "base_width": 8, "norm": "groupnorm"}],
    ["mlp", "orthogonal", {"in_features": 12, "hidden": [9], "out_features": 3}],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo")
def test_fsdp2_sharded_init_equals_single_process(tmp_path):
    out = tmp_path / "digests.json"
    worker = Path(__file__).with_name("fsdp_worker.py")
    result = subprocess.run(
        [sys.executable, str(worker), str(free_port()), str(out), json.dumps(CASES)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sharded = json.loads(out.read_text())
    for name, init, config in CASES:
        single = zoo.create(name, init=init, seed=7, **config)
        assert sharded[f"{name}/{init}"] == weights_digest(single), (name, init)


def test_a_shard_is_drawn_alone_and_equals_the_slice():
    import torch

    from zoo.init.distributions import Normal, TruncatedNormal, Uniform
    from zoo.init.seeding import BLOCK_SIZE

    n = 3 * BLOCK_SIZE + 123
    for dist_ in (Normal(0.0, 1.0), Uniform(-1.0, 2.0), TruncatedNormal(0.0, 1.0, -2.0, 2.0)):
        whole = dist_.sample((n,), seed=5)
        for start, stop in ((0, 10), (BLOCK_SIZE - 3, BLOCK_SIZE + 7), (2 * BLOCK_SIZE + 1, n)):
            part = torch.empty(stop - start)
            dist_.fill_(part, 5, start)
            assert torch.equal(part, whole[start:stop])
