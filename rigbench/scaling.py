"""Data-parallel scaling: how fast N cards of one kind train together, predicted from their interconnect.

Two steps, each with its source in ``profiles/interconnects.toml``:

1. **All-reduce bus bandwidth.** A ring all-reduce of S bytes over n ranks moves S x 2(n-1)/n bytes through each
   rank's link, so at a bus bandwidth B it takes ``t = S x 2(n-1)/n / B`` (nccl-tests, doc/PERFORMANCE.md). B is
   the link's one-direction bandwidth (PCIe gen x lanes, or the card's NVLink) times the fraction nccl-tests runs
   achieve on such links.
2. **DDP step time.** ``step = compute + exposed_comm``: DistributedDataParallel all-reduces gradient buckets while
   backward still runs, so only what does not fit behind backward, and at least the last bucket, adds to the step:
   ``exposed_comm = max(comm(last bucket), comm(all gradients) - backward)``. Compute comes from
   ``rigbench.model.predict`` (or a measured single-card throughput).

Scaling efficiency = throughput_N / (N x throughput_1) = compute / step; ``1 - efficiency`` is what the interconnect
costs. Past ``[network] cards_per_node`` (8) the cards sit in several machines: the ring leaves each node over its
network adapters (InfiniBand or Ethernet, ``[network.links]``), and its bus bandwidth is the smaller of the in-node
link's and the node's total adapter bandwidth times the fraction nccl-tests runs achieve on such a fabric.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

from rigbench import catalog, data, model
from rigbench.errors import UserError
from rigbench.kernels.train import build_workload
from rigbench.units import shown


@functools.lru_cache(maxsize=1)
def load_interconnects() -> dict:
    """``profiles/interconnects.toml`` as a dict."""
    return data.load_toml("interconnects.toml")


# ---------------------------------------------------------------------------------------------------------- links

def pcie_link_gbps(gen: int, lanes: int) -> float:
    """Effective one-direction bandwidth of a PCIe link, GB/s: GT/s x encoding / 8 bits x lanes."""
    gens = load_interconnects()["pcie"]["gen"]
    spec = gens.get(str(int(gen)))
    if spec is None:
        raise UserError(f"unknown PCIe generation {gen!r}; known: {', '.join(sorted(gens))}")
    if int(lanes) < 1:
        raise UserError(f"PCIe lanes must be 1 or more, got {lanes!r}")
    return spec["gt_per_s"] * spec["encoding"] / 8.0 * int(lanes)


def _achieved(points: list[dict], n: int) -> tuple[float, str, bool]:
    """The achieved fraction for a ring of ``n`` cards: the first point covering n, else the last (extrapolated)."""
    for p in sorted(points, key=lambda p: p["max_cards"]):
        if n <= p["max_cards"]:
            return p["fraction"], p["source"], False
    last = max(points, key=lambda p: p["max_cards"])
    return last["fraction"], last["source"], True


@dataclass(frozen=True)
class Interconnect:
    """The link a ring all-reduce between N cards runs over, and what it achieves."""

    kind: str                 # "pcie" | "nvlink"
    name: str                 # "PCIe 3.0 x16", "NVLink (100 GB/s total)"
    link_gbps: float          # one direction, GB/s
    achieved_fraction: float  # of link_gbps, from nccl-tests published runs
    extrapolated: bool        # True when n is beyond the published runs the fraction comes from
    source: str

    @property
    def busbw_gbps(self) -> float:
        return self.link_gbps * self.achieved_fraction

    def describe(self) -> str:
        return f"{self.name}: {self.link_gbps:.1f} GB/s each way, all-reduce achieves {self.achieved_fraction:.0%}"


def interconnect_for(gpu: Any, n: int) -> Interconnect | None:
    """The link that bounds a ring of ``n`` cards of ``gpu``'s kind in one machine; None if the catalog lacks it.

    NVLink carries the ring for 2 cards (a bridge) and, for cards whose NVLink is of the data-centre class that
    connects every card of an 8-card board (``[nvlink] board_min_total_gbps``), for up to 8; otherwise the ring's
    slowest hop is PCIe through the CPU's root complex.
    """
    ic = load_interconnects()
    nv_total = getattr(gpu, "nvlink_gbps", None)
    nv = ic["nvlink"]
    if nv_total and (n <= nv["bridge_max_cards"] or (nv_total >= nv["board_min_total_gbps"] and n <= nv["board_max_cards"])):
        per_dir = nv_total / 2.0 if nv.get("spec_is_bidirectional", True) else float(nv_total)
        frac, src, extra = _achieved(nv["achieved"], n)
        return Interconnect("nvlink", f"NVLink ({nv_total:g} GB/s total)", per_dir, frac, extra, src)
    gen, lanes = getattr(gpu, "pcie_gen", None), getattr(gpu, "pcie_lanes", None)
    if not gen or not lanes:
        return None
    frac, src, extra = _achieved(ic["pcie"]["achieved"], n)
    return Interconnect("pcie", f"PCIe {int(gen)}.0 x{int(lanes)}", pcie_link_gbps(gen, lanes), frac, extra, src)


def network_names() -> tuple[str, ...]:
    """The fabrics ``[network.links]`` describes (ib-ndr-8x, ib-hdr-8x, ..., ethernet-10g)."""
    return tuple(load_interconnects()["network"]["links"])


def default_network(gpu: Any) -> str:
    """The fabric a multi-node run of ``gpu``'s kind is predicted over when none is named: the DGX fabric of its
    generation for data-centre boards (NVLink across the board), else one 100 Gb/s Ethernet adapter per node."""
    net = load_interconnects()["network"]
    nv = load_interconnects()["nvlink"]
    board = (getattr(gpu, "nvlink_gbps", None) or 0) >= nv["board_min_total_gbps"]
    arch = getattr(gpu, "architecture", None)
    if board and arch in net["default_for"]:
        return net["default_for"][arch]
    return net["default_for"]["other"]


def network_link(name: str) -> Interconnect:
    """The inter-node part of a ring over fabric ``name``: the node's adapters in GB/s, and their achieved fraction."""
    links = load_interconnects()["network"]["links"]
    if name not in links:
        raise UserError(f"unknown network {shown(name)}; valid: {', '.join(links)}")
    spec = links[name]
    return Interconnect("network", spec["name"], spec["node_gbit_per_s"] / 8.0, spec["fraction"], False, spec["source"])


# ----------------------------------------------------------------------------------------------- all-reduce, DDP

def allreduce_time_s(size_bytes: float, n: int, busbw_gbps: float) -> float:
    """Seconds for a ring all-reduce of ``size_bytes`` over ``n`` ranks at bus bandwidth ``busbw_gbps``."""
    if n <= 1:
        return 0.0
    return size_bytes * 2.0 * (n - 1) / n / (busbw_gbps * 1e9)


def busbw_from_time(size_bytes: float, n: int, seconds: float) -> tuple[float, float]:
    """(algbw, busbw) in GB/s of an all-reduce of ``size_bytes`` over ``n`` ranks that took ``seconds``."""
    algbw = size_bytes / seconds / 1e9
    return algbw, algbw * 2.0 * (n - 1) / n


def ddp_step(compute_s: float, grad_bytes: float, n: int, busbw_gbps: float, *, bucket_bytes: float | None = None,
             backward_fraction: float | None = None) -> dict:
    """One DDP step of ``n`` cards: compute, the gradient all-reduce, and the part of it backward cannot hide."""
    ddp = load_interconnects()["ddp"]
    bucket = ddp["bucket_cap_bytes"] if bucket_bytes is None else bucket_bytes
    bwd = ddp["backward_fraction"] if backward_fraction is None else backward_fraction
    comm_s = allreduce_time_s(grad_bytes, n, busbw_gbps)
    last_bucket_s = allreduce_time_s(min(grad_bytes, bucket), n, busbw_gbps)
    exposed_s = max(last_bucket_s, comm_s - compute_s * bwd) if n > 1 else 0.0
    step_s = compute_s + exposed_s
    return {"compute_s": compute_s, "comm_s": comm_s, "exposed_comm_s": exposed_s, "step_s": step_s,
            "scaling_efficiency": compute_s / step_s}


# ------------------------------------------------------------------------------------------------- workloads

def workload_params(workload_id: str) -> tuple[int, str]:
    """(parameter count, source) of a workload: from the profile, or counted from the suite's own model."""
    table = load_interconnects()["workloads"]
    if workload_id in table:
        return int(table[workload_id]["params"]), table[workload_id]["source"]
    kinds = {"train_cnn": "cnn", "train_transformer": "transformer"}
    if workload_id in kinds:
        w = build_workload(kinds[workload_id], quick=False, device="cpu")
        return sum(p.numel() for p in w.model.parameters()), "counted from rigbench.kernels.train"
    if workload_id in model.workload_ids():
        # a workload the model predicts (bert-base-squad, bert-large-squad) without a row above: the parameters the
        # model itself counts from its architecture, the count its optimizer step and memory already use
        return int(model.demand(workload_id).params), ("counted by rigbench.model from the architecture in "
                                                       "profiles/workloads.toml")
    valid = sorted({*table, *kinds, *model.workload_ids()})
    raise UserError(f"unknown workload {shown(workload_id)}; valid: {', '.join(valid)}")


def workload_batch(workload_id: str) -> tuple[int | None, str]:
    """The per-card batch a data-parallel run of this workload uses by reference, with its source."""
    table = load_interconnects()["workloads"]
    if workload_id in table and "batch_per_gpu" in table[workload_id]:
        return int(table[workload_id]["batch_per_gpu"]), table[workload_id]["batch_source"]
    return None, "no reference batch: the model's largest batch that fits"


def _single_card(gpu: Any, workload_id: str, precision: str) -> tuple[float | None, str, int | None, str | None]:
    """(samples/s of one card, unit, max batch, why no samples/s) from rigbench.model: None and the model's reason
    where not one sample fits the card."""
    p = model.predict(model.capability_from_gpu(gpu), workload_id, precision)
    return (None if p.throughput is None else float(p.throughput)), p.unit, p.max_batch, p.reason


def predict_data_parallel(gpu: Any, n: int, workload_id: str, precision: str = "fp32", *,
                          batch_per_gpu: int | None = None, single_throughput: float | None = None,
                          network: str | None = None) -> dict:
    """Predicted training throughput of ``n`` cards of ``gpu``'s kind under DistributedDataParallel.

    ``gpu``: a catalog ``Gpu`` (or a name for ``rigbench.catalog.resolve``). ``single_throughput``: one card's
    samples/s if known (measured); otherwise ``rigbench.model.predict``. Returns ``throughput`` (samples/s of all n
    cards), ``unit``, ``throughput_1``, ``scaling_efficiency``, ``interconnect_cost`` (1 - efficiency),
    ``allreduce_busbw_gbps``, ``interconnect`` (text), ``comm_s_per_step`` (the whole gradient all-reduce),
    ``exposed_comm_s_per_step`` (the part backward does not hide), ``compute_s_per_step``, ``batch_per_gpu``,
    ``grad_bytes``, ``sources``; unknowable values are None with ``reason``. Past ``[network] cards_per_node``
    cards: ``nodes``, ``network`` (the fabric, ``network`` or :func:`default_network`) and the ring's bus bandwidth
    as the smaller of the in-node and the inter-node one.
    """
    if isinstance(gpu, str):
        gpu = catalog.resolve(gpu)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise UserError(f"number of cards must be a whole number >= 1, got {n!r}")
    ic = load_interconnects()
    grad_per_param = ic["ddp"]["grad_bytes_per_param"]
    if precision not in grad_per_param or precision == "source":
        valid = [k for k in grad_per_param if k != "source"]
        raise UserError(f"unknown precision {shown(precision)}; valid: {', '.join(valid)}")
    params, params_src = workload_params(workload_id)

    unit, max_batch, no_fit = "samples/s", None, None
    if single_throughput is None:
        single_throughput, unit, max_batch, no_fit = _single_card(gpu, workload_id, precision)
    if batch_per_gpu is None:
        batch_per_gpu, batch_src = workload_batch(workload_id)
        if max_batch:
            batch_per_gpu = min(batch_per_gpu, max_batch) if batch_per_gpu else max_batch
    else:
        batch_src = "given"
    name = getattr(gpu, "name", str(gpu))
    out: dict[str, Any] = {
        "gpu": name, "n": n, "workload": workload_id, "precision": precision, "unit": unit,
        "throughput_1": single_throughput, "batch_per_gpu": batch_per_gpu, "params": params,
        "grad_bytes": params * grad_per_param[precision],
        "sources": {"params": params_src, "batch": batch_src, "grad_bytes": grad_per_param["source"],
                    "overlap": ic["ddp"]["overlap_source"], "bucket": ic["ddp"]["bucket_source"],
                    "backward": ic["ddp"]["backward_source"]},
        "reason": None, "extrapolated": False,
    }
    if no_fit:
        # not one sample fits a card: data parallel copies the whole model to each, so n of them fit no better
        out.update(throughput=None, scaling_efficiency=None, interconnect_cost=None, allreduce_busbw_gbps=None,
                   interconnect=None, comm_s_per_step=None, exposed_comm_s_per_step=None, compute_s_per_step=None,
                   batch_per_gpu=0, reason=no_fit)
        return out
    if n == 1:
        out.update(throughput=single_throughput, scaling_efficiency=1.0, interconnect_cost=0.0,
                   allreduce_busbw_gbps=None, interconnect="none (one card)", comm_s_per_step=0.0,
                   exposed_comm_s_per_step=0.0,
                   compute_s_per_step=batch_per_gpu / single_throughput if batch_per_gpu else None)
        return out
    per_node = int(ic["network"]["cards_per_node"])
    nodes = -(-n // per_node)
    link = interconnect_for(gpu, min(n, per_node))
    net = None
    if nodes > 1:
        net_name = network or default_network(gpu)
        net = network_link(net_name)
        out.update(nodes=nodes, network=net_name)
    elif network is not None:
        network_link(network)                       # a bad name is an error even when one node needs no network
    if link is None or not batch_per_gpu or not single_throughput:
        why = ("the catalog has no PCIe generation/width or NVLink figure for " + name) if link is None else \
              "no per-card batch size or single-card throughput to size a step"
        out.update(throughput=None, scaling_efficiency=None, interconnect_cost=None, allreduce_busbw_gbps=None,
                   interconnect=None if link is None else link.describe(), comm_s_per_step=None,
                   exposed_comm_s_per_step=None, compute_s_per_step=None, reason=why)
        return out
    compute_s = batch_per_gpu / single_throughput
    busbw = link.busbw_gbps if net is None else min(link.busbw_gbps, net.busbw_gbps)
    step = ddp_step(compute_s, out["grad_bytes"], n, busbw)
    text = link.describe() if net is None else (
        f"{nodes} nodes of up to {per_node}: in each, {link.describe()}; between them {net.name}: "
        f"{net.link_gbps:.1f} GB/s per node, all-reduce achieves {net.achieved_fraction:.0%}")
    out.update(
        throughput=n * batch_per_gpu / step["step_s"], scaling_efficiency=step["scaling_efficiency"],
        interconnect_cost=1.0 - step["scaling_efficiency"], allreduce_busbw_gbps=busbw,
        interconnect=text, interconnect_detail=asdict(link), comm_s_per_step=step["comm_s"],
        exposed_comm_s_per_step=step["exposed_comm_s"], compute_s_per_step=compute_s,
    )
    out["sources"]["allreduce"] = link.source
    if net is not None:
        out["network_detail"] = asdict(net)
        out["sources"]["network"] = net.source
    # past one machine, or past the published all-reduce runs in one, the step time is the scaling model's own,
    # never checked against a published training run
    out["extrapolated"] = bool(link.extrapolated or net is not None)
    if link.extrapolated:
        out["reason"] = f"all-reduce efficiency for {min(n, per_node)} cards in a node extrapolated from smaller published runs"
    if net is not None:
        extra = "multi-node data parallel: predicted from the fabric's published all-reduce rate, not validated " \
                "against a published multi-node training run"
        out["reason"] = f"{out['reason']}; {extra}" if out["reason"] else extra
    return out
