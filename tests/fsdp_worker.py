"""Run by tests/test_fsdp.py: sharded init with FSDP2 on CPU processes (gloo)."""

import json
import os
import sys

import torch.distributed as dist
import torch.multiprocessing as mp
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard

import zoo
from zoo.digest import weights_digest


def worker(rank: int, world: int, port: int, cases: list, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    mesh = init_device_mesh("cpu", (world,))
    digests = {}
    for name, init, config in cases:
        model = zoo.create(name, init=init, seed=7, device="meta", **config)
        for module in list(model.modules())[1:]:
            if any(p.dim() > 1 for p in module.parameters(recurse=False)):
                fully_shard(module, mesh=mesh)
        fully_shard(model, mesh=mesh)
        model.to_empty(device="cpu")
        model.reset_parameters()
        state = model.state_dict()
        full = {k: (v.full_tensor() if hasattr(v, "full_tensor") else v) for k, v in state.items()}
        plain = zoo.create(name, device="meta", **config)
        plain.load_state_dict(full, assign=True)
        digests[f"{name}/{init}"] = weights_digest(plain)
    if rank == 0:
        with open(out, "w") as f:
            json.dump(digests, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    port, out = int(sys.argv[1]), sys.argv[2]
    cases = json.loads(sys.argv[3])
    mp.spawn(worker, args=(2, port, cases, out), nprocs=2)
