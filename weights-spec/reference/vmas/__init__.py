"""PyTorch reference of the VMAs family, format vmas/1 (weights-spec/VMAS.md).

Modules import the shared reference (config.py, model.py, sampling.py, safetensors_io.py, ...) as top-level
modules, so weights-spec/reference must be on the import path: run tools from that folder
(`python3 -m vmas.export ...`) or set PYTHONPATH to it.
"""
