"""Golden digests: the weights of (model, config, policy, seed) never change silently.

If one of these fails, an initializer now draws other values: that breaks every user
who relies on reproducing weights. Do it only on purpose, with a version bump and a
release note, then run `python scripts/gen_golden.py` (and `--full`).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import zoo
from zoo.digest import weights_digest

GOLDEN = json.loads((Path(__file__).parent / "golden" / "digests.json").read_text())
SMALL = GOLDEN["small_configs"]


def check(table: dict, configs: dict, keys: list[str], device: str = "cpu") -> list[str]:
    wrong = []
    for key in keys:
        name, policy, seed = key.split("/")
        model = zoo.create(name, init=policy, seed=int(seed), device=device, **configs[name])
        if weights_digest(model) != table[key]:
            wrong.append(key)
    return wrong


def test_small_configs_match_the_golden_table():
    assert len(GOLDEN["small"]) == len(SMALL) * len(zoo.init.POLICY_NAMES) * 2
    assert check(GOLDEN["small"], SMALL, sorted(GOLDEN["small"])) == []


@pytest.mark.slow
def test_full_size_models_match_the_golden_table():
    full = GOLDEN["full"]
    assert {k.split("/")[0] for k in full} == set(zoo.list_models())
    assert check(full, {n: {} for n in zoo.list_models()}, sorted(full)) == []


def test_digests_do_not_depend_on_threads_or_meta():
    keys = [k for k in GOLDEN["small"] if k.startswith(("resnet50/", "unet/")) and k.endswith("/0")]
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert check(GOLDEN["small"], SMALL, keys) == []
    finally:
        torch.set_num_threads(threads)
    for key in keys[:4]:
        name, policy, seed = key.split("/")
        model = zoo.create(name, init=policy, seed=int(seed), device="meta", **SMALL[name])
        model.to_empty(device="cpu")
        model.reset_parameters()
        assert weights_digest(model) == GOLDEN["small"][key], key


def test_digests_do_not_depend_on_the_cpu_vector_instruction_set():
    # ATEN_CPU_CAPABILITY=default disables AVX2/AVX-512 kernels; torch's own float32
    # normal_ changes bits there, zoo's samplers must not.
    keys = [k for k in GOLDEN["small"] if k.endswith("/0")]
    code = (
        "import json, sys; sys.path.insert(0, 'tests'); import test_golden as g; "
        f"print(json.dumps(g.check(g.GOLDEN['small'], g.SMALL, {keys!r})))"
    )
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_weights_equal_cpu_weights():
    for name, config in SMALL.items():
        for policy in zoo.init.POLICY_NAMES:
            cpu = zoo.create(name, init=policy, seed=0, **config)
            gpu = zoo.create(name, init=policy, seed=0, device="cuda", **config)
            assert weights_digest(cpu) == weights_digest(gpu), (name, policy)
