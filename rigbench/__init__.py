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

# The command modules, so that ``import rigbench`` is enough to call them. None imports torch or numba.
from rigbench import bench, cost, probe  # noqa: E402  (after __version__, which they read)
from rigbench.comparison import compare  # noqa: E402
from rigbench.guidelines import recommendation as recommend  # noqa: E402

__all__ = ["__version__", "bench", "compare", "cost", "probe", "recommend"]
