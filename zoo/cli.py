"""The ``zoo`` command line. Thin: every command calls the public API.

    zoo list [PATTERN]
    zoo create NAME --init POLICY --seed N [--set key=value ...] [--weights CKPT] -o FILE
    zoo describe NAME|FILE [--init POLICY] [--seed N] [--format table|markdown|json]
    zoo inspect FILE
    zoo diagnose NAME --init kaiming --init xavier --input-shape 8,3,64,64 [--plot out.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

import zoo
from zoo.errors import ConfigError, ZooError
from zoo.init import POLICY_NAMES


def _parse_sets(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are read as YAML scalars/lists (``hidden=[64,64]``)."""
    out = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes key=value, got {pair!r}")
        try:
            out[key] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise ConfigError(f"--set {key}: cannot read value {raw!r}") from None
    return out


def _init_arg(raw: str | None) -> Any:
    """A policy name, or a JSON policy dict ({"base": ..., "rules": {...}})."""
    if raw is None or not raw.lstrip().startswith("{"):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        raise ConfigError(f"--init: invalid JSON policy ({err})") from None


def _is_file(target: str) -> bool:
    """A checkpoint (file, save_pretrained folder or sharded folder), not a model name."""
    return target.endswith(".safetensors") or Path(target).exists()


def cmd_list(args: argparse.Namespace) -> None:
    names = zoo.list_models(args.pattern)
    if not names:
        print(f"no model matches {args.pattern!r}; known: {', '.join(zoo.list_models())}")
        return
    for name in names:
        print(name)


def cmd_create(args: argparse.Namespace) -> None:
    model = zoo.create(
        args.name,
        init=_init_arg(args.init),
        seed=args.seed,
        dtype=args.dtype,
        config=args.config,
        weights=args.weights,
        strict=not args.non_strict,
        **_parse_sets(args.set),
    )
    if args.weights is not None:
        print(model.zoo_load_report)
    path = zoo.save(model, args.output)
    count = sum(p.numel() for p in model.parameters())
    print(f"wrote {path} ({model.arch}, {count:,} parameters)")


def cmd_describe(args: argparse.Namespace) -> None:
    if _is_file(args.target):
        if args.init or args.seed is not None or args.set:
            raise ConfigError("--init/--seed/--set apply to a model NAME, not to a file")
        model = zoo.load(args.target, device="meta")
    else:
        model = zoo.create(
            args.target, init=_init_arg(args.init), seed=args.seed, device="meta",
            **_parse_sets(args.set),
        )
    report = zoo.describe(model)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    elif args.format == "markdown":
        print(report.to_markdown())
    else:
        print(report.to_table())


def cmd_inspect(args: argparse.Namespace) -> None:
    from zoo.io import read_index

    metadata, index = read_index(args.file)
    print(f"file: {args.file}")
    for key in sorted(metadata):
        print(f"  {key}: {metadata[key]}")
    total = sum(_numel(info.shape) for info in index.values())
    print(f"tensors: {len(index)}, elements: {total:,}")
    width = max((len(k) for k in index), default=4)
    for key, info in index.items():
        dtype = str(info.dtype).removeprefix("torch.")
        print(f"  {key.ljust(width)}  {dtype:8}  {'x'.join(map(str, info.shape)) or 'scalar'}")


def cmd_diagnose(args: argparse.Namespace) -> None:
    try:
        shape = tuple(int(s) for s in args.input_shape.split(","))
    except ValueError:
        raise ConfigError(
            f"--input-shape takes comma-separated sizes like 8,3,64,64, got {args.input_shape!r}"
        ) from None
    inits = [_init_arg(i) for i in (args.init or ["default"])]
    result = zoo.diagnose(args.name, input_shape=shape, inits=inits, seed=args.seed or 0,
                          **_parse_sets(args.set))
    print(result.to_table())
    if args.plot:
        print(f"wrote {result.plot(args.plot, title=f'{args.name}, input {shape}')}")


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoo",
        description="PyTorch architectures with explicit, deterministic init policies.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    policies = ", ".join(POLICY_NAMES)

    p = sub.add_parser("list", help="list registered models (wildcards allowed)")
    p.add_argument("pattern", nargs="?", default="*", help="e.g. 'res*' (default: all)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("create", help="create a model and save it as .safetensors")
    p.add_argument("name", nargs="?", help="registered model name (see `zoo list`)")
    p.add_argument("--init", help=f"policy: {policies}, or a JSON policy dict (default: default)")
    p.add_argument("--seed", type=int, help="seed (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="config override, repeatable, e.g. --set num_classes=10")
    p.add_argument("--config", help="YAML preset (see configs/)")
    p.add_argument("--dtype", help="float32 (default), bfloat16, float16 or float64")
    p.add_argument("--weights", help="start from this checkpoint (.safetensors file or folder "
                   "from zoo, timm or torchvision); a head of another size is re-initialized")
    p.add_argument("--non-strict", action="store_true",
                   help="with --weights: initialize what the file lacks instead of failing")
    p.add_argument("-o", "--output", required=True, help="output .safetensors file")
    p.set_defaults(func=cmd_create)

    p = sub.add_parser("describe", help="per-parameter init report of a model name or a file")
    p.add_argument("target", help="model NAME or a zoo .safetensors FILE")
    p.add_argument("--init", help=f"policy for a NAME: {policies}")
    p.add_argument("--seed", type=int, help="seed for a NAME (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="config override for a NAME, repeatable")
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("diagnose", help="per-layer activation/gradient std under init policies")
    p.add_argument("name", help="registered model name")
    p.add_argument("--init", action="append", help=f"policy, repeatable: {policies}")
    p.add_argument("--input-shape", required=True, help="e.g. 8,3,64,64 (batch first)")
    p.add_argument("--seed", type=int, help="seed for the weights and the input (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="config override, repeatable")
    p.add_argument("--plot", help="also draw a PNG (needs matplotlib: pip install 'zoo[plot]')")
    p.set_defaults(func=cmd_diagnose)

    p = sub.add_parser("inspect", help="metadata and tensor table of a .safetensors file")
    p.add_argument("file")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "create" and args.name is None and args.config is None and args.weights is None:
        print("zoo create: error: give a model NAME, --config PATH or --weights FOLDER "
              "(a zoo.save_pretrained folder)", file=sys.stderr)
        return 2
    try:
        args.func(args)
    except ZooError as err:
        print(f"zoo {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
    return 0
