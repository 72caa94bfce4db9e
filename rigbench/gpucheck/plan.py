"""The steps of one gpu-check run, in order, each with its command, time limit and checks."""

from __future__ import annotations

import re
from pathlib import Path

from rigbench.gpucheck.checks import (FAIL, PASS, SKIP, check_compare, check_distributed, check_figures,
                                      check_gpu_paths, check_packages, check_probe_against_smi, check_recommend,
                                      check_tests, make_check, model_band)
from rigbench.gpucheck.runner import KILL_GRACE_S, MIN_STEP_S, Step, first_gpu, probe_gpus
from rigbench.gpucheck.smi import smi_command, smi_retry

_PACKAGES_CODE = ("import importlib.metadata as m, json, sys\n"
                  "def v(d):\n"
                  "    try:\n"
                  "        return m.version(d)\n"
                  "    except m.PackageNotFoundError:\n"
                  "        return None\n"
                  "print(json.dumps({d: v(d) for d in sys.argv[1:]}))")


def requirement_names(lines: list[str]) -> list[str]:
    """Distribution names of requirement lines ('torch>=2.1' -> 'torch'; markers and extras dropped)."""
    out = []
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split(";")[0])
        if m:
            out.append(m.group(1))
    return out


def plan(work: Path, python: list[str], *, cpu_suite: bool = True, requirements: list[str] | None = None,
         tests: list[Path] | None = None) -> list[Step]:
    """The steps of one run; ``python`` is the command that runs rigbench ([sys.executable, '-m', 'rigbench']), its
    first item the interpreter; ``requirements``: distribution names checked first (setup.cfg's install_requires);
    ``tests``: the repository's test files whose GPU tests skip without a GPU, run with pytest after the probe."""
    rb = list(python)
    tests_report = work / "tests-gpu.xml"
    bench_cuda, bench_dist, bench_cpu = work / "bench-cuda.json", work / "bench-distributed.json", work / "bench-cpu.json"

    def need(*names):
        def deco(fn):
            def build(ctx, timeout_s):
                missing = [n for n in names if n not in ctx]
                if missing:
                    return f"needs the output of {', '.join(missing)}, which did not come"
                return fn(ctx, timeout_s)
            return build
        return deco

    def smi_check(ctx, rows):
        if not rows:
            return [make_check("nvidia-smi", "GPUs listed", FAIL, "nvidia-smi lists no GPU")]
        return [make_check("nvidia-smi", "GPUs listed", PASS,
                       "; ".join(f"{r.get('index')}: {r.get('name')}" for r in rows))]

    def probe_check(ctx, doc):
        if doc.get("gpu_error"):
            return [make_check("probe", "NVML", FAIL, doc["gpu_error"])]
        if "nvidia-smi" not in ctx:
            return [make_check("probe", "NVML facts vs nvidia-smi", SKIP, "no nvidia-smi output to hold them against")]
        return check_probe_against_smi(probe_gpus(ctx), ctx["nvidia-smi"])

    @need("probe")
    def build_bench_cuda(ctx, timeout_s):
        if not probe_gpus(ctx):
            return "the probe found no NVIDIA GPU"
        return [*rb, "bench", "--device", "cuda:0", "--out", str(bench_cuda)]

    def bench_cuda_check(ctx, doc):
        cc = first_gpu(ctx).get("compute_capability")
        return check_figures(doc, "bench-cuda", "cuda:0") + check_gpu_paths(doc, "cuda:0", cc)

    @need("probe")
    def build_dist(ctx, timeout_s):
        n = len(probe_gpus(ctx))
        if not n:
            return "the probe found no NVIDIA GPU"
        inner = max(MIN_STEP_S, timeout_s - sum(KILL_GRACE_S) - 10)  # rigbench's own timeout stops its workers first
        return [*rb, "bench", "--distributed", "--nproc", str(n), "--timeout", f"{inner:.0f}", "--out", str(bench_dist)]

    @need("bench-cuda")
    def build_recommend(ctx, timeout_s):
        return [*rb, "recommend", str(bench_cuda), "--json"]

    @need("probe", "bench-cuda")
    def build_compare(ctx, timeout_s):
        cid = first_gpu(ctx).get("catalog_id")
        if not cid:
            return f"{first_gpu(ctx).get('name')!r} is not in the GPU catalog: the model has no prediction for it"
        return [*rb, "compare", cid, str(bench_cuda), "--device", "cuda:0", "--workload", "train_cnn",
                "--workload", "train_transformer", "--json"]

    steps = [Step("packages", 30, lambda ctx, t: [rb[0], "-c", _PACKAGES_CODE, *requirements],
                  "rigbench's requirements in this python", check=lambda ctx, doc: check_packages(doc))] \
        if requirements else []
    steps += [
        Step("nvidia-smi", 30, lambda ctx, t: smi_command(), "the driver's view of each GPU", parse="csv",
             check=smi_check, retry=smi_retry),
        Step("probe", 60, lambda ctx, t: [*rb, "probe", "--json"], "rigbench probe: NVML facts vs nvidia-smi",
             check=probe_check),
    ]
    if tests:
        steps.append(Step("tests-gpu", 120, lambda ctx, t: [rb[0], "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                                            f"--junitxml={tests_report}", *map(str, tests)],
                          "the GPU tests of the repository (kernels against float64, the probe against NVML)",
                          out=tests_report, parse="junit", check=lambda ctx, doc: check_tests(doc), ok_codes=(0, 1)))
    steps += [
        Step("bench-cuda", 240, build_bench_cuda, "default suite on cuda:0 (gemm dtypes, conv2d, attention, copies, "
             "Numba triad, training fp32/amp)", out=bench_cuda, check=bench_cuda_check, ok_codes=(0, 130)),
        Step("bench-distributed", 110, build_dist, "bench --distributed, one rank per GPU (NCCL)", out=bench_dist,
             check=lambda ctx, doc: check_distributed(doc, len(probe_gpus(ctx))), ok_codes=(0, 1, 130)),
        Step("recommend", 60, build_recommend, "recommend on the cuda:0 results", check=lambda ctx, doc:
             check_recommend(doc)),
        Step("compare", 60, build_compare, "compare: measured training throughput vs the model's prediction",
             check=lambda ctx, doc: check_compare(doc, model_band(), ctx.get("bench-cuda"))),
    ]
    if cpu_suite:
        steps.append(Step("bench-cpu", 200, lambda ctx, t: [*rb, "bench", "--device", "cpu", "--out", str(bench_cpu)],
                          "default suite on the CPU's cores", out=bench_cpu,
                          check=lambda ctx, doc: check_figures(doc, "bench-cpu", "cpu"), ok_codes=(0, 130)))
    return steps

