"""Reading a vmas/1 bundle folder (VMAS.md §2): config.json and one safetensors file per component."""

import os

import safetensors_io

from . import config as vconfig
from . import model as vmodel


def read_config(folder):
    return vconfig.load(os.path.join(folder, "config.json"))


def read_component(folder, component):
    """Tensors of one component upcast to float32 (name -> numpy), plus metadata."""
    tensors, _, metadata = safetensors_io.read_f32(os.path.join(folder, f"{component}.safetensors"))
    return tensors, metadata


def load_component(folder, config, component):
    """The component's module with the bundle's weights (upcast exactly to float32)."""
    return vmodel.load(config, component, read_component(folder, component)[0])
