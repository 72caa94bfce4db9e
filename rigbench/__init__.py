"""rigbench: size and benchmark machine-learning hardware.

The library is importable on its own; ``rigbench.cli`` only parses, calls and renders.

- ``rigbench.probe``: what this machine has (CPU, memory, disks, NVIDIA GPUs, software).
- ``rigbench.bench``: the timing engine, the runner and the results-file schema.
- ``rigbench.kernels``: the benchmark kernels (PyTorch, Numba, I/O).
- ``rigbench.catalog`` / ``rigbench.model``: GPU spec catalog and the capability x demand model.
- ``rigbench.guidelines``: the laptop/desktop/DIY/cloud rules of the hardware guide.
- ``rigbench.cost`` / ``rigbench.prices``: buy-or-rent arithmetic and the price lists it reads.

The commands are functions too, returning the documents ``--json`` prints (docs/api.md)::

    import rigbench
    machine = rigbench.probe()                  # rigbench.probe/1
    run = rigbench.bench(quick=True)            # rigbench.results/1
    plan = rigbench.cost(buy="rtx-2080-ti", rent="aws:p3.2xlarge", hours_per_month=80)   # rigbench.cost/1
    cards = rigbench.compare(["gtx-1080-ti", "rtx-2080-ti"])   # rigbench.compare/1
    verdict = rigbench.recommend(spec="ram=32GB,gpu=rtx-2070")   # rigbench.recommend/2
"""

__version__ = "0.1.0"

import importlib

# The commands as functions, loaded on first use (PEP 562 module ``__getattr__``) so that ``import rigbench`` and
# ``rigbench probe`` do not pay for the benchmark engine, the model and the price lists: name -> (module, attribute);
# attribute None means the module itself, which is callable (rigbench.api.callable_module).
COMMANDS = {
    "probe": ("rigbench.probe", None),
    "bench": ("rigbench.bench", None),
    "cost": ("rigbench.cost", None),
    "compare": ("rigbench.comparison", "compare"),
    "recommend": ("rigbench.guidelines", "recommendation"),
}


def __getattr__(name: str):
    if name not in COMMANDS:
        raise AttributeError(f"module 'rigbench' has no attribute {name!r}")
    module_name, attribute = COMMANDS[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *COMMANDS])


__all__ = ["__version__", "bench", "compare", "cost", "probe", "recommend"]
