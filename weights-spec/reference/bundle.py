"""Reading a bundle folder (SPEC §2): config.json and one safetensors file per component."""

import os

import config as config_mod
import safetensors_io


def read_config(folder):
    return config_mod.load(os.path.join(folder, "config.json"))


def read_component(folder, component):
    """Tensors of one component upcast to float32 (name -> numpy), plus metadata."""
    tensors, _, metadata = safetensors_io.read_f32(os.path.join(folder, f"{component}.safetensors"))
    return tensors, metadata
