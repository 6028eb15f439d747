"""Regenerate tests/golden/digests.json: weight digests per model x policy x seed.

Changing these digests means changing weights users rely on: a breaking change that
needs a version bump and a release note. Run only on purpose:
    python scripts/gen_golden.py [--full]
(--full adds every registered model at its default size; a few minutes.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import zoo
from zoo.digest import weights_digest
from zoo.init import POLICY_NAMES

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "digests.json"

# Small configurations (fast) that still cover every layer type and policy branch.
SMALL = {
    "mlp": {"norm": "layernorm"},
    "unet": {"depth": 2, "base_width": 8},
    "resnet18": {"layers": [1, 1, 1, 1], "num_classes": 10},
    "resnet50": {"layers": [1, 1, 1, 1], "num_classes": 10},
}
SEEDS = (0, 1)


def digests(configs: dict[str, dict]) -> dict[str, str]:
    out = {}
    for name, config in configs.items():
        for policy in POLICY_NAMES:
            for seed in SEEDS:
                model = zoo.create(name, init=policy, seed=seed, **config)
                out[f"{name}/{policy}/{seed}"] = weights_digest(model)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    table = {"zoo_version": zoo.__version__, "small_configs": SMALL, "small": digests(SMALL)}
    if args.full:
        table["full"] = digests({name: {} for name in zoo.list_models()})
    else:  # keep the full table from the last --full run
        table["full"] = json.loads(GOLDEN.read_text()).get("full", {}) if GOLDEN.is_file() else {}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}: {len(table['small'])} small, {len(table['full'])} full digests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
