"""docs/ is generated from the code; it must not be stale."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_fresh():
    stale = [
        str(path.relative_to(ROOT))
        for path, text in load_gen_docs().pages().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `python scripts/gen_docs.py`; stale: {stale}"


def test_import_zoo_does_not_import_timm_or_yaml():
    # timm (about 1 s) only where a timm encoder is used; yaml only where a preset is read
    code = "import sys, zoo; zoo.create('mlp'); print('timm' in sys.modules, 'yaml' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"
