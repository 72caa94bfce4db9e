"""How much of a card's spec-sheet peak training reaches: efficiency factors and the power term.

Capability per precision = the peak FLOP/s of the units that run the tensor work (:func:`peak_tflops`), times the
efficiency factor of the card's ARCHITECTURE, the PRECISION and the workload FAMILY (convolutional or transformer;
``profiles/efficiency.toml``, each factor fitted to one published measurement named there: :func:`compute_factor`),
times the card's sustained clock fraction (board power per CUDA core against its architecture's fit card:
:func:`sustained_clock_fraction`), and for the transformer family times the gain of a workstation part's full-rate
FP32-accumulate tensor path (:func:`full_rate_gain`); memory bandwidth times a measured achievable fraction
(:func:`memory_factor`).

  fp32: "FP32 training" as NVIDIA's published numbers run it: TF32 tensor cores on Ampere and newer (cuDNN
        convolutions use TF32 by default; NVIDIA's NGC containers and DeepLearningExamples also run matrix
        multiplies in TF32 and label A100 results "TF32"), FP32 CUDA cores on earlier cards. Plain PyTorch
        leaves matmul TF32 off by default (since 1.12): set torch.backends.cuda.matmul.allow_tf32 to match.
  amp:  FP16/BF16 tensor cores with FP32 accumulate; a card without tensor cores runs autocast FP16 at its FP32
        rate at best (consumer Pascal's native FP16 is 1/64 of FP32, so frameworks compute in FP32), so AMP
        only halves its memory traffic.
"""

from __future__ import annotations

from functools import lru_cache

from rigbench import catalog, data
from rigbench.errors import UserError
from rigbench.model.demand import FAMILIES
from rigbench.units import shown

# workload family -> its section of profiles/efficiency.toml
FAMILY_SECTION = {"conv": "compute", "transformer": "transformer"}


@lru_cache(maxsize=1)
def load_efficiency() -> dict:
    """``profiles/efficiency.toml`` as a dict."""
    return data.load_toml("efficiency.toml")


def _sm_rate_bound() -> dict[str, float]:
    """SM versions whose training peak is set by SMs x clock: version -> tensor rate as a multiple of FP32."""
    return load_efficiency().get("peak", {}).get("sm_rate_bound", {})


def peak_tflops(gpu) -> dict[str, dict[str, float]]:
    """Peak TFLOP/s of the units that run conv and matmul work, per precision, from spec-sheet numbers."""
    fp32_conv = gpu.tf32_tflops if gpu.tf32_tflops else gpu.fp32_tflops
    if gpu.has_tensor_cores and gpu.fp16_tensor_tflops:
        amp = gpu.fp16_tensor_tflops
    else:
        amp = max(gpu.fp32_tflops, gpu.fp16_tflops or 0.0)
    sm_rate = _sm_rate_bound()
    if gpu.compute_capability in sm_rate and gpu.has_tensor_cores:
        # GeForce and workstation parts of one SM version train at the rate their SMs x clock set, not at the
        # doubled FP32-accumulate tensor rate the workstation spec sheet adds (profiles/efficiency.toml [peak]).
        fp32_conv, amp = gpu.fp32_tflops, sm_rate[gpu.compute_capability] * gpu.fp32_tflops
    return {"conv": {"fp32": fp32_conv, "amp": amp}, "matmul": {"fp32": fp32_conv, "amp": amp}}


def fp32_is_tf32(gpu) -> bool:
    """Whether the model's fp32 on this card means TF32 tensor cores (GA100, Hopper, B200) rather than FP32 CUDA
    cores: the card has a TF32 rate and its SM version is not one whose peak is set by SMs x clock (``peak_tflops``)."""
    return bool(gpu.tf32_tflops) and gpu.compute_capability not in _sm_rate_bound()


def _factor_lookup(architecture: str, precision: str, compute_capability: str | None,
                   family: str) -> tuple[dict, str, list[str], bool]:
    """(entry, key it came from, keys walked, borrowed?) for a factor of ``family`` (see compute_factor)."""
    eff = load_efficiency()
    if family not in FAMILY_SECTION:
        raise UserError(f"unknown workload family {shown(family)}; valid: {', '.join(FAMILIES)}")
    comp, fb = eff.get(FAMILY_SECTION[family], {}), eff.get("fallback", {})
    start = [f"{architecture}-{compute_capability}", architecture] if compute_capability else [architecture]
    seen: list[str] = []
    queue = list(start)
    while queue:
        key = queue.pop(0)
        if key in seen:
            continue
        seen.append(key)
        entry = comp.get(key, {}).get(precision)
        if entry is not None and "same_as" in entry:
            entry = {**comp[key][entry["same_as"]], "fit": entry["fit"]}
        if entry is not None:
            return entry, key, seen, key not in start
        if key in fb:
            nxt = fb[key].get(f"use_{precision}") or fb[key].get("use")
            if nxt:
                queue.insert(0, nxt)
    raise UserError(f"no {family} efficiency factor for {architecture} {precision} in profiles/efficiency.toml")


def compute_factor(architecture: str, precision: str, compute_capability: str | None = None,
                   family: str = "conv") -> tuple[float, str]:
    """(efficiency, where it came from) for an architecture (optionally one SM version of it), a precision and a
    workload family ("conv": ResNet-50 fits, ``[compute]``; "transformer": BERT fits, ``[transformer]``).

    Looks up ``<arch>-<cc>`` (e.g. ``ampere-8.6``: GA10x's SM differs from GA100's) before ``<arch>``; a key with
    no fitted factor follows its documented ``[fallback]`` (``use`` or ``use_<precision>``).
    """
    entry, key, seen, borrowed = _factor_lookup(architecture, precision, compute_capability, family)
    fb = load_efficiency().get("fallback", {})
    how = entry["fit"] if not borrowed else f"borrowed from {key}: " + "; ".join(
        fb[k]["why"] for k in seen if k in fb)
    return float(entry["factor"]), how


def factor_key(gpu) -> tuple[str, bool]:
    """(the efficiency key whose factors ``gpu`` uses, whether they are borrowed from another architecture):
    ('ampere-8.6', False) for an RTX 3090, ('ada', True) for an RTX 5090, ('pascal', True) for a Tesla K80."""
    _, key, _, borrowed = _factor_lookup(gpu.architecture, "fp32", gpu.compute_capability, "conv")
    return key, borrowed


def sustained_clock_fraction(gpu, alpha: float | None = None) -> tuple[float, str]:
    """(sustained / boost clock, how) from the card's board power per CUDA-core cycle at boost clock against its
    architecture's fit card.

    The efficiency factors are fitted on cards that run near their boost clock (the GeForce flagship or the
    data-centre card of each architecture). Holding a clock f on N cores takes dynamic power ~ N x f x V^2, so what
    a card has to hold ITS boost clock is its board power per core and per boost-clock cycle, W / (cores x boost
    MHz). A card with less than the fit card cannot hold boost under tensor load: its clock falls to
    ``(W per core-cycle / the fit card's) ** alpha`` of boost, never above 1 (alpha below 1 because V falls with
    f). Per cycle, so that a part whose spec sheet already quotes a lower boost clock for its power (a laptop's
    Max-Q clocks, a 70 W T4) is not charged again for the power that lower clock saves; per CUDA core rather than
    per SM, so that GP100's 64-core SMs compare with GP102's 128-core ones. The V^2 saving of a lower clock is not
    counted (the voltage-frequency curves are not published). ``alpha`` is fitted on the named rows of ``[power]``
    in ``profiles/efficiency.toml`` and nowhere else."""
    pw = load_efficiency().get("power")
    if not pw:
        return 1.0, "no power term"
    units = gpu.cuda_cores or gpu.sm_count
    if not gpu.tdp_w or not units or not gpu.boost_clock_mhz:
        return 1.0, "no power term: board power, core count or boost clock not published"
    key, _ = factor_key(gpu)
    ref_id = load_efficiency()["compute"][key]["fp32"].get("fit_gpu")
    if ref_id is None:
        return 1.0, f"no power term: {key} has no fit card"
    ref = catalog.resolve(ref_id)
    ref_units = ref.cuda_cores if gpu.cuda_cores else ref.sm_count
    # watts per core per MHz of boost clock (shown in uW per core-MHz)
    w = gpu.tdp_w / (units * gpu.boost_clock_mhz)
    w_ref = ref.tdp_w / (ref_units * ref.boost_clock_mhz)
    per = "CUDA core" if gpu.cuda_cores else "SM"
    if w >= w_ref:
        return 1.0, (f"{w * 1e6:.2f} uW per {per} per boost MHz >= {w_ref * 1e6:.2f} of {ref.id} (the {key} fit card): "
                     "boost clock held")
    a = float(pw["alpha"]) if alpha is None else alpha
    frac = (w / w_ref) ** a
    return frac, (f"{gpu.tdp_w:g} W / ({units} {per}s x {gpu.boost_clock_mhz:g} MHz boost) = {w * 1e6:.2f} uW per "
                  f"{per} per MHz vs {w_ref * 1e6:.2f} of {ref.id}: sustained clock {frac:.0%} of boost (alpha {a:.3f})")


def issue_fraction(gpu) -> tuple[float, str]:
    """(the part of the spec FP32 rate one warp instruction per scheduler per clock reaches, how): 2/3 on Kepler's
    SMX (four schedulers of 32 lanes for 192 cores, without dual issue), 1 on every later SM (one scheduler per 32
    cores). ``[issue]`` of ``profiles/efficiency.toml``: read from the SM's layout, not fitted."""
    table = load_efficiency().get("issue", {})
    entry = table.get(gpu.architecture)
    if not isinstance(entry, dict) or not gpu.sm_count or not gpu.cuda_cores:
        return 1.0, "one warp scheduler per 32 FP32 cores: the spec rate at one instruction per clock"
    lanes = int(entry["schedulers_per_sm"]) * int(table["lanes_per_scheduler"])
    per_sm = gpu.cuda_cores / gpu.sm_count
    frac = min(1.0, lanes / per_sm)
    return frac, (f"{entry['schedulers_per_sm']} warp schedulers x {table['lanes_per_scheduler']} lanes for "
                  f"{per_sm:g} cores per SM: {frac:.3f} of the spec rate without dual issue ({entry['source']})")


def spec_tensor_tflops(gpu, precision: str) -> float | None:
    """The spec sheet's tensor rate with FP32 accumulate for a precision: TF32 for fp32, FP16 for amp; None on a card
    without tensor cores or without the figure."""
    if not gpu.has_tensor_cores:
        return None
    return gpu.tf32_tflops if precision == "fp32" else gpu.fp16_tensor_tflops


def full_rate_gain(gpu, precision: str, share: float | None = None) -> tuple[float, str]:
    """(speed-up of the transformer family's tensor work, how) on a card whose spec tensor rate with FP32 accumulate
    is above the SM-and-clock rate its architecture's factors are fitted against (:func:`peak_tflops`): the
    workstation and data-centre parts of Turing, GA10x and Ada. Only ``share`` of the tensor time runs in the tensor
    pipe, so the gain is ``1 / (1 - share + share x SM-rate peak / spec peak)``: 1 where the two peaks are equal
    (GeForce, GA100, Hopper, B200). ``share`` per architecture is fitted on the rows of ``[tensor_share]`` in
    ``profiles/efficiency.toml`` (default the fitted value; 0 for an architecture not fitted)."""
    spec = spec_tensor_tflops(gpu, precision)
    sm_rate = peak_tflops(gpu)["matmul"][precision]
    # GeForce spec sheets print TF32 rounded (RTX 3090: 35.6 against 35.58 FP32): equal within 1 % is equal
    if not spec or spec <= sm_rate * 1.01:
        return 1.0, "spec tensor rate = the SM-rate peak: no full-rate gain"
    key, _ = factor_key(gpu)
    if share is None:
        entry = load_efficiency().get("tensor_share", {}).get(key)
        if entry is None:
            return 1.0, f"full-rate tensor path not fitted for {key}: no gain"
        share = float(entry["share"])
    gain = 1.0 / (1.0 - share + share * sm_rate / spec)
    return gain, (f"spec tensor {spec:g} vs SM-rate {sm_rate:g} TFLOP/s, {share:.3f} of the tensor time in the tensor "
                  f"pipe ({key}): x{gain:.3f}")


def memory_factor() -> tuple[float, str]:
    m = load_efficiency()["memory"]
    return float(m["factor"]), m["source"]


def step_host_seconds() -> float:
    """Host time per parameter tensor of an optimizer update that waits on the host once per tensor
    (``[step] host_s_per_synced_tensor``, fitted: :func:`rigbench.model.validation.fit_step_host`)."""
    return float(load_efficiency()["step"]["host_s_per_synced_tensor"])


def launch_seconds() -> tuple[float, str]:
    """(host seconds one kernel launch takes at least, source): ``[launch]`` of ``profiles/efficiency.toml``, a cited
    lower bound, not a fit."""
    e = load_efficiency()["launch"]
    return float(e["s_per_kernel"]), e["source"]


def gemm_reference(gpu, precision: str) -> tuple[float, str] | None:
    """(fraction of the model's peak a typical card of this architecture reaches in a large gemm, source), from
    ``[gemm_reference.<arch>[-<cc>].<precision>]`` in ``profiles/efficiency.toml``; None where none is published."""
    ref = load_efficiency().get("gemm_reference", {})
    for key in (f"{gpu.architecture}-{gpu.compute_capability}", gpu.architecture):
        e = ref.get(key, {}).get(precision)
        if e is not None:
            return float(e["fraction"]), str(e["source"])
    return None
