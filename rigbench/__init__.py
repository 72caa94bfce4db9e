"""rigbench: size and benchmark machine-learning hardware.

The library is importable on its own; ``rigbench.cli`` only parses, calls and renders.

- ``rigbench.probe``: what this machine has (CPU, memory, disks, NVIDIA GPUs, software).
- ``rigbench.bench``: the timing engine, the runner and the results-file schema.
- ``rigbench.kernels``: the benchmark kernels (PyTorch, Numba, I/O).
- ``rigbench.catalog`` / ``rigbench.model``: GPU spec catalog and the capability x demand model.
- ``rigbench.guidelines``: the laptop/desktop/DIY/cloud rules of the brief.
- ``rigbench.cost``: buy-or-rent arithmetic.
"""

__version__ = "0.1.0"
