"""safetensors save / load: model files that rebuild themselves, and checkpoint loading.

Loading rebuilds the architecture on the meta device and assigns the file's tensors:
nothing is initialized that the file overwrites, and a failed check leaves no model
half-built. Saving writes a temporary file and renames it over the target.
"""

from zoo.io.adapt import adapt_stem
from zoo.io.files import read_index
from zoo.io.model_file import load, save, save_pretrained, zoo_metadata
from zoo.io.report import LoadReport
from zoo.io.weights import load_into_meta_model, load_weights

__all__ = [
    "LoadReport", "adapt_stem", "load", "load_into_meta_model", "load_weights", "read_index",
    "save", "save_pretrained", "zoo_metadata",
]
