"""The GPU acceptance run behind ``make gpu-check``: every GPU path of rigbench on a real NVIDIA card, checked.

One run, in this order, each step a separate process with its own timeout inside one global time budget:

1. ``nvidia-smi --query-gpu=... --format=csv``: the driver's own view of each GPU (:data:`~rigbench.gpucheck.smi.SMI_FIELDS`);
2. ``rigbench probe --json``: its NVML facts are checked against nvidia-smi's, field by field (:data:`~rigbench.gpucheck.checks.SMI_TO_PROBE`);
3. ``rigbench bench --device cuda:0``: the default suite on the first GPU (every GEMM dtype the card has, conv2d,
   attention, copies, the Numba CUDA triad beside memcopy, training steps in fp32 and amp);
4. ``rigbench bench --distributed``: one rank per GPU over NCCL;
5. ``rigbench recommend`` and ``rigbench compare`` on the results file of step 3: the card's measured training
   throughput against the model's prediction for the same catalog card, as a ratio, held to the model's band;
6. ``rigbench bench --device cpu``: the CPU suite on the machine's cores.

A step that crashes, fails or runs out of time is recorded with what it left (a bench results file is rewritten
after every measurement, so a stopped run keeps its figures) and the run goes on; the steps that need its output
are skipped with the reason. Each check has one of four outcomes: ``pass``, ``explained`` (not a clean figure, but
rigbench says why: a skipped case, an invalid figure with its reasons, a field neither tool can read), ``fail`` and
``skip`` (its input is missing because an earlier step failed, which is itself a failure there). The run passes when
no check and no step failed.

One module per concern:

- :mod:`~rigbench.gpucheck.smi`: the nvidia-smi query, its retry without a field an older driver refuses, its CSV;
- :mod:`~rigbench.gpucheck.checks`: every check (probe against nvidia-smi, figures, GPU paths, distributed, compare
  against the model's band, recommend, packages);
- :mod:`~rigbench.gpucheck.runner`: running one step (process group, timeout, SIGINT first) and the whole budget;
  the process boundary is the hardware boundary for tests: :func:`~rigbench.gpucheck.runner.execute` takes the
  command ``runner`` and an argv ``rewrite`` (the dry run replays recorded outputs through the same runner, timeouts
  included);
- :mod:`~rigbench.gpucheck.plan`: the steps of one run, in the order above;
- :mod:`~rigbench.gpucheck.summary`: the ``rigbench.gpucheck/1`` report, the one-screen summary, the files written.

``tests/benchmarks/gpu_check.py`` (``make gpu-check``) starts it.
"""
