"""Predicted peak training memory (rigbench size) against the memory a real training step uses, for five model shapes.

Run: .venv/bin/python tests/benchmarks/size_memory.py [--batch 32] [--device cpu|cuda] [--precision fp32|amp]

For each shape of docs/examples/shapes.py (a CNN, a transformer encoder, an MLP, an LSTM, a language model with tied
and reused weights) it predicts the peak from two traced steps at batches 2 and 4 (rigbench.size.demand, the same
path `rigbench size` takes) and measures one real, steady step at --batch (rigbench.size.measure): on a CPU the
allocator's own peak through torch.profiler, on CUDA torch.cuda.max_memory_allocated. It prints a table and exits 1
when any shape misses by more than 10 %. The prediction for CUDA counts 512-byte allocator blocks and foreach
optimizers, what torch does there; cuDNN/cuBLAS workspaces are not in it (the card's 10 % reserve is for them).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHAPES = ("cnn", "encoder", "mlp", "lstm", "tied")
TOLERANCE = 0.10


def _shapes():
    spec = importlib.util.spec_from_file_location("size_shapes", REPO / "docs" / "examples" / "shapes.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--precision", default="fp32", choices=("fp32", "amp"))
    args = ap.parse_args(argv)

    import torch

    from rigbench.errors import UserError
    from rigbench.size import demand, load, measure

    shapes = _shapes()
    target = "cuda" if args.device.startswith("cuda") else "cpu"
    if target == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: run with --device cpu", file=sys.stderr)
        return 2
    rows, worst, skipped, method = [], 0.0, [], "-"
    for name in SHAPES:
        t0 = time.perf_counter()
        torch.manual_seed(0)
        try:
            md = demand.measure(load._job_from(name, getattr(shapes, name)(), None), args.precision, target)
        except UserError as exc:                   # e.g. a kernel this CPU's torch has no bfloat16 version of
            skipped.append(f"{name}: not run: {exc}")
            continue
        predicted = md.peak_bytes(args.batch)
        torch.manual_seed(0)
        got = measure.peak_memory(load._job_from(name, getattr(shapes, name)(), None), args.batch, args.precision,
                                  args.device)
        method = got.method
        err = (predicted - got.peak_bytes) / got.peak_bytes
        worst = max(worst, abs(err))
        rows.append((name, md.params, predicted / 2**20, got.peak_bytes / 2**20, err, md.peak_phase(args.batch),
                     time.perf_counter() - t0))
    print(f"Peak training memory at batch {args.batch}, {args.precision}, {args.device} (torch {torch.__version__}); "
          f"measured: {method}")
    print(f"{'shape':<8} {'params':>10} {'predicted MiB':>14} {'measured MiB':>13} {'error':>7}  {'peak in':<9} {'s':>5}")
    for name, params, p, m, err, phase, secs in rows:
        print(f"{name:<8} {params:>10,} {p:>14.2f} {m:>13.2f} {err:>+7.1%}  {phase:<9} {secs:>5.1f}")
    for line in skipped:
        print(line)
    print(f"worst |error| {worst:.1%} (target {TOLERANCE:.0%})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
