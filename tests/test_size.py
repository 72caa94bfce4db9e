"""rigbench size: the command, its JSON, its bad-input lines, and that it predicts through the one model."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys

import pytest

from conftest import REPO, assert_user_error, run_cli
from rigbench import catalog
from rigbench import model as perf_model
from rigbench.errors import UserError
from rigbench.prices.cloud import load_prices
from rigbench.size import demand, load, plan
from rigbench.units import fmt_bytes, fmt_flops, fmt_params

TINY = str(REPO / "docs" / "examples" / "tiny_model.py")


@pytest.fixture(scope="module")
def tiny_doc():
    r = run_cli("size", TINY, "--gpus", "gtx-1080-ti,rtx-3090,2x rtx-3090", "--dataset-size", "50000", "--epochs",
                "10", "--deadline", "2h", "--json")
    assert r.code == 0, r.stderr
    return r.json()


def test_json_has_the_schema_cards_instances_and_bands(tiny_doc):
    doc = tiny_doc
    assert doc["schema"] == "rigbench.size/1"
    assert [c["id"] for c in doc["cards"]] == ["gtx-1080-ti", "rtx-3090", "2x-rtx-3090"]
    assert len(doc["instances"]) == len(load_prices().instances)
    card = doc["cards"][0]
    assert card["fits"] is True and card["batch"] == 256
    lo, hi = card["total_h_band"]
    assert lo < card["total_h"] < hi
    # run = dataset x epochs / throughput, in hours
    assert card["total_h"] == pytest.approx(50000 * 10 / card["samples_per_s"] / 3600, rel=1e-9)
    two = doc["cards"][2]
    assert two["samples_per_s"] < 2 * doc["cards"][1]["samples_per_s"]
    assert 0 < two["scaling_efficiency"] <= 1 and two["interconnect"]
    assert doc["model"]["params"] == _tiny_resnet_params()


def _tiny_resnet_params() -> int:
    """docs/examples/tiny_model.py by hand: 3x3 stem, two basic blocks per stage, 1x1 projection where the width
    changes, BatchNorm scale and shift per channel, a 512 -> 200 classifier."""
    def block(cin, cout):
        proj = cin * cout + 2 * cout if cin != cout else 0
        return cin * cout * 9 + 2 * cout + cout * cout * 9 + 2 * cout + proj

    total, cin = 3 * 64 * 9 + 2 * 64, 64
    for c in (64, 128, 256, 512):
        total += block(cin, c) + block(c, c)
        cin = c
    return total + 512 * 200 + 200


def test_cheapest_by_deadline_is_the_cheapest_instance_that_meets_it(tiny_doc):
    ok = [i for i in tiny_doc["instances"] if i["meets_deadline"] is True]
    assert tiny_doc["cheapest_by_deadline"] == min(ok, key=lambda i: i["total_usd"])["id"]


def test_instance_cost_is_billed_hours_times_the_on_demand_price(tiny_doc):
    for i in tiny_doc["instances"]:
        if i["total_usd"] is not None:
            assert i["total_usd"] == pytest.approx(i["billed_h"] * i["usd_per_hour"], rel=1e-12)
            # hours rounded up to the provider's increment: at most a minute more on these hours-long runs
            assert i["total_h"] <= i["billed_h"] <= i["total_h"] + 60 / 3600 + 1e-12


@pytest.mark.parametrize("card", ["gtx-1080-ti", "rtx-3090", "a100-sxm4-80gb", "h100-sxm"])
@pytest.mark.parametrize("precision", ["fp32", "amp"])
def test_a_demand_gets_the_same_time_through_size_as_through_compare(card, precision):
    """size's per-card time is rigbench.model's: for the demand compare uses, identical to compare's throughput."""
    cap = perf_model.capability_from_gpu(catalog.resolve(card))
    for w in ("resnet50", "bert-base"):
        per_sample_s, bound = plan.time_per_sample(cap, perf_model.demand(w), precision)
        pred = perf_model.predict(cap, w, precision)
        assert 1 / per_sample_s == pred.throughput
        assert bound == pred.bound


def test_deadline_parsing():
    assert plan.parse_deadline("3d") == 72
    assert plan.parse_deadline("36h") == 36
    assert plan.parse_deadline("90m") == 1.5
    assert plan.parse_deadline("2w") == 336
    assert plan.parse_deadline("5") == 5


def _write(tmp_path, text):
    p = tmp_path / "m.py"
    p.write_text(text)
    return str(p)


BAD = {
    "syntax": ("def build(:\n", "does not import: SyntaxError"),
    "import": ("import no_such_module_xyz\ndef build():\n    pass\n", "does not import: ModuleNotFoundError"),
    "raises": ("def build():\n    raise ValueError('no data here')\n", "raised ValueError: no data here"),
    "shape": ("def build():\n    return 3\n", "returned int; expected (model, example_batch"),
    "not_module": ("import torch\ndef build():\n    return 'x', torch.zeros(2, 3)\n", "expected a torch.nn.Module"),
    "no_factory": ("x = 1\n", "name the factory"),
    "batch_mismatch": ("import torch\ndef build():\n    return torch.nn.Linear(3, 2), (torch.zeros(4, 3), torch.zeros(5))\n",
                       "disagree on the batch size"),
    # an optimizer over a tensor the model does not have trained nothing, and was shown as "optimizer state 0 B"
    "foreign_optimizer": ("import torch\ndef build():\n    m = torch.nn.Linear(3, 2)\n    return m, torch.zeros(4, 3), None, "
                          "torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=0.1)\n",
                          "the optimizer (sgd) holds none of the model's parameters (1 tensor of its own); build it "
                          "over model.parameters()"),
    "foreign_optimizer_function": ("import torch\ndef build():\n    m = torch.nn.Linear(3, 2)\n    return m, "
                                   "torch.zeros(4, 3), None, lambda ps: torch.optim.Adam(torch.nn.Linear(3, 2)"
                                   ".parameters())\n", "the optimizer (adam) holds none of the model's parameters"),
    "forward_fails": ("import torch\ndef build():\n    return torch.nn.Linear(3, 2), torch.zeros(4, 7)\n",
                      "a training step fails: RuntimeError"),
    # one vector of 4 features read as 4 samples of none: the step fails inside the model, and the line says why
    "vector_batch": ("import torch\ndef build():\n    return torch.nn.Linear(4, 2), torch.randn(4)\n",
                     "(every tensor of the example batch has one dimension, read as the batch: 4 samples; a model "
                     "that takes vectors needs them shaped (samples, features), e.g. torch.randn(8, 4))"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_model_files_are_one_line_and_exit_2(cli, tmp_path, case):
    text, fragment = BAD[case]
    r = cli("size", _write(tmp_path, text), "--gpus", "rtx-3090")
    assert r.code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_an_optimizer_is_named_the_same_from_the_factory_as_from_the_option(cli, tmp_path):
    # the factory's torch.optim.SGD was shown as "SGD" where --optimizer sgd shows "sgd"
    own = _write(tmp_path, "import torch\ndef build():\n    m = torch.nn.Linear(3, 2)\n    return m, torch.zeros(4, 3), "
                           "None, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)\n")
    plain = str(tmp_path / "plain.py")
    (tmp_path / "plain.py").write_text("import torch\ndef build():\n    return torch.nn.Linear(3, 2), torch.zeros(4, 3)\n")
    for args in ((own,), (plain, "--optimizer", "sgd")):
        assert cli("size", *args, "--gpus", "rtx-3090", "--json").json()["model"]["optimizer"] == "sgd"
        assert ", sgd, fp32, batch 4 per GPU" in cli("size", *args, "--gpus", "rtx-3090").stdout.splitlines()[0]


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_a_saved_or_torchscript_model_file_is_refused_with_how_to_wrap_it(cli, tmp_path):
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    ts, full = tmp_path / "ts.pt", tmp_path / "full.pt"
    torch.jit.script(net).save(str(ts))
    torch.save(net, str(full))
    for path, kind, loader in ((ts, "a TorchScript file", f"torch.jit.load({str(ts)!r})"),
                               (full, "a saved model file", f"torch.load({str(full)!r}, weights_only=False)"),
                               (f"{full}:build", "a saved model file", "torch.load(")):
        r = cli("size", str(path), "--gpus", "rtx-3090")
        assert r.code == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert f"is {kind}; size does not read saved or TorchScript model files" in r.stderr
        assert "factory that builds or loads the model" in r.stderr and f"def build(): return {loader}" in r.stderr
    # the factory the line suggests runs
    wrap = _write(tmp_path, f"import torch\n\ndef build():\n    return torch.jit.load({str(ts)!r}), torch.randn(8, 8)\n")
    assert cli("size", wrap, "--gpus", "rtx-3090", "--json").json()["model"]["params"] == 8 * 16 + 16 + 16 * 4 + 4
    # with ':factory', a dotted module path whose last part looks like a suffix is still a module
    assert "module no_such_pkg_xyz.bin does not import" in cli("size", "no_such_pkg_xyz.bin:build").stderr


def test_a_state_dict_or_a_text_file_named_pt_is_refused_in_its_own_words(cli, tmp_path):
    import torch

    sd = tmp_path / "sd.pt"
    torch.save(torch.nn.Linear(8, 4).state_dict(), str(sd))
    r = cli("size", str(sd), "--gpus", "rtx-3090")
    assert_user_error(r, "is a saved state dict or checkpoint (weights without the model)",
                      f"model = MyModel(); model.load_state_dict(torch.load({str(sd)!r})); return model, ")
    assert "weights_only=False" not in r.stderr       # torch.load gives the dict, not a module to train
    # Python code renamed .pt: text, not an archive
    text = tmp_path / "m.pt"
    text.write_text("import torch\n\ndef build():\n    return torch.nn.Linear(8, 4), torch.randn(2, 8)\n")
    r = cli("size", str(text), "--gpus", "rtx-3090")
    assert_user_error(r, "is text, not a TorchScript archive or a torch.save file (a .py file renamed?)")
    assert "saved model file" not in r.stderr


def test_a_newline_in_the_model_path_is_written_as_backslash_n(cli, tmp_path):
    odd = tmp_path / "ti\nny.py"
    odd.write_text("import torch\n\ndef build():\n    return torch.nn.Linear(8, 4), torch.randn(2, 8)\n")
    r = cli("size", str(odd), "--gpus", "rtx-3090")
    assert r.code == 0 and r.stdout.startswith(f"{tmp_path}/ti\\nny.py:build: "), r.stdout
    assert_user_error(cli("size", f"{odd}:nope"), "ti\\nny.py has no function 'nope'")
    odd.write_text("x\n")
    assert_user_error(cli("size", str(odd)), "model file", "ti\\nny.py does not import: NameError")


@pytest.mark.parametrize("args, fragment", [
    (["no_such_pkg_xyz.models:build"], "module no_such_pkg_xyz.models does not import"),
    (["json:nope"], "has no function 'nope'"),
    (["/no/such/file.py"], "does not exist"),
    # not "is a saved model file; size does not read saved ... files" for a file that is not there
    (["/no/such/model.pt"], "model file '/no/such/model.pt' does not exist"),
    (["resnet50", "--seq", "64"], "takes images, not sequences"),
    ([TINY, "--deadline", "3d"], "--deadline needs the size of the run"),
    ([TINY, "--deadline", "soon", "--dataset-size", "10", "--epochs", "1"], "positive duration"),
    # seconds are no unit a deadline takes: the message names the units, not "positive"
    ([TINY, "--deadline", "1s", "--dataset-size", "10", "--epochs", "1"], "minutes (m or min), hours (h, or a bare"),
    ([TINY, "--gpus", "rtx-9999"], "unknown GPU"),
    ([TINY, "--gpus", "rtx-3090,,rtx-4090"], "--gpus 'rtx-3090,,rtx-4090' has an empty item"),
    ([TINY, "--gpus", "rtx-3090,"], "has an empty item"),
    ([TINY, "--gpus", " , "], "--gpus is empty"),
    # split as compare and cost --buy split 'Nx CARD': it was "unknown GPU '2x a100'"
    ([TINY, "--gpus", "rtx-3090,2x 2x a100"], "--gpus '2x 2x a100': the card count is given twice"),
    ([TINY, "--precision", "fp8"], "unknown precision"),
    ([TINY, "--optimizer", "lion"], "unknown optimizer"),
    ([TINY, "--dataset-size", "10"], "together"),
    ([TINY, "--plot", "out.txt"], "--plot"),
])
def test_bad_options_are_one_line_and_exit_2(cli, args, fragment):
    r = cli("size", *args)
    assert r.code == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def _model_path(tmp_path, kind, name):
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    else:
        return kind                                   # a device node itself
    return str(path)


@pytest.mark.parametrize("kind, name", [("/dev/zero", ""), ("/dev/urandom", ""), ("link to /dev/zero", "zz.pt"),
                                        ("link to /dev/zero", "zz.bin"), ("link to /dev/zero", "z.py"),
                                        ("fifo", "ff"), ("fifo", "ff2.pt"), ("fifo", "ff.py")])
def test_a_model_path_that_is_no_regular_file_is_refused_before_it_is_opened(tmp_path, kind, name):
    # zipfile read /dev/zero until the kernel killed the process, and waited on a FIFO for a writer for ever
    # (capped at 4 GiB of address space, so that a relapse fails here instead of taking the machine's memory)
    cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (4 * 2 ** 30, 4 * 2 ** 30))  # noqa: E731
    p = subprocess.run([sys.executable, "-m", "rigbench", "size", _model_path(tmp_path, kind, name), "--gpus",
                        "rtx-3090"], capture_output=True, text=True, timeout=60, preexec_fn=cap)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "is not a regular file but a" in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


def _stat_denied(monkeypatch, denied):
    """os.stat raising EACCES for the paths in ``denied``, as under a folder without search permission (the tests run
    as root, for whom chmod denies nothing)."""
    real = os.stat

    def stat(path, *args, **kwargs):
        if os.fspath(path) in denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "stat", stat)


@pytest.mark.parametrize("name", ["m.py", "m.pt", "m.py:build"])
def test_a_model_path_that_cannot_be_looked_at_says_so(tmp_path, monkeypatch, name):
    # "model file X is not a regular file but not readable (Permission denied)": it may well be a regular file
    path = tmp_path / name.partition(":")[0]
    path.write_text("def build():\n    pass\n")
    _stat_denied(monkeypatch, {str(path)})
    with pytest.raises(UserError) as exc:
        load.load(str(tmp_path / name))
    assert str(exc.value) == f"cannot read {path}: Permission denied"


def test_a_model_too_large_for_this_machine_is_refused_before_it_runs(monkeypatch):
    """psutil is the boundary: a machine with 1 MiB free cannot hold the gradients of a 1 M-parameter model."""
    import psutil
    import torch


    class Free:
        available = 2**20

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Free())
    job = load._job_from("big", (torch.nn.Linear(1000, 1000), torch.zeros(2, 1000)), None)
    with pytest.raises(UserError, match="too large to trace on this machine"):
        demand.measure(job)


def test_a_model_whose_activations_cannot_fit_is_refused_before_it_runs(monkeypatch):
    """One 3x3 convolution to 64 channels on 600 x 600 images: at batch 4 its forward saves the input (4 x 3 x 600^2
    float32 = 17.28 MB) and the ReLU's output (4 x 64 x 600^2 x 4 = 368.64 MB), counted on the meta device without
    allocating either; with 256 MiB free the step is refused before it runs (a 6000 x 6000 image ran the machine
    into swap), with 1 GiB free it is traced."""
    import psutil
    import torch

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten(), torch.nn.Linear(64, 10))
    job = load._job_from("wide", (model, (torch.randn(2, 3, 600, 600), torch.randint(0, 10, (2,)))), None)
    saved = demand.saved_bytes_on_meta(job, 4)
    assert 368_640_000 + 17_280_000 <= saved < 368_640_000 + 17_280_000 + 10_000    # + the head's few small tensors

    class Free:
        available = 2**28

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Free())
    with pytest.raises(UserError, match=r"too large to trace on this machine: a training step at batch 4 saves 0.4 "
                                        r"GiB of activations for its backward \(counted without running it\)"):
        demand.measure(job)
    # a model the meta device cannot run (a value read back to Python) is left to the trace
    class ReadsBack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(x) * float(x.sum())

    assert demand.saved_bytes_on_meta(load._job_from("reads", (ReadsBack(), torch.zeros(2, 3)), None), 4) is None


def test_terminal_output_names_the_cheapest_option_and_the_error_band(cli):
    mlp = str(REPO / "docs" / "examples" / "shapes.py") + ":mlp"
    r = cli("size", mlp, "--gpus", "rtx-3090", "--dataset-size", "50000", "--epochs", "10")
    assert r.code == 0, r.stderr
    assert "Cheapest:" in r.stdout and "validation" in r.stdout and "rtx-3090" in r.stdout
    assert len(r.stdout.splitlines()) < 50


SHAPES = str(REPO / "docs" / "examples" / "shapes.py")


def test_plot_writes_a_png_of_time_against_cost(cli, tmp_path):
    out = tmp_path / "size.png"
    r = cli("size", SHAPES + ":mlp", "--gpus", "rtx-3090", "--dataset-size", "60000", "--epochs", "5",
            "--deadline", "1h", "--plot", str(out))
    assert r.code == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_seq_reaches_a_factory_that_takes_seq_len_and_scales_its_flops():
    """The encoder's tensor FLOPs per sequence grow with the sequence: linear layers in L, attention in L^2."""
    short = demand.measure(load.load(SHAPES + ":encoder", seq=16), "fp32", "cpu")
    long = demand.measure(load.load(SHAPES + ":encoder", seq=32), "fp32", "cpu")
    ratio = long.flops.per_sample / short.flops.per_sample
    assert 2.0 < ratio < 4.0


def test_amp_keeps_fp32_weights_and_adam_state_and_saves_smaller_activations():
    fp32 = demand.measure(load.load(SHAPES + ":mlp"), "fp32", "cpu")
    amp = demand.measure(load.load(SHAPES + ":mlp"), "amp", "cpu")
    assert amp.param_bytes == fp32.param_bytes == 4 * fp32.params        # fp32 master weights
    assert amp.optimizer_bytes == fp32.optimizer_bytes                    # two fp32 moments
    assert amp.saved_bytes.per_sample < fp32.saved_bytes.per_sample


def test_a_package_module_factory_in_the_current_folder_is_found(cli, tmp_path):
    (tmp_path / "mymodels.py").write_text(
        "import torch\n\ndef build():\n    return torch.nn.Linear(16, 4), (torch.randn(8, 16), torch.randint(0, 4, (8,)))\n")
    r = cli("size", "mymodels:build", "--gpus", "rtx-3090", "--json", cwd=tmp_path)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["model"]["params"] == 16 * 4 + 4
    assert doc["model"]["batch"] == 8
    # per sample: forward 2*16*4 FLOPs; backward computes the weight gradient only (the input needs none), 2*16*4
    assert doc["model"]["flops_per_step"] == 8 * (2 * 16 * 4 + 2 * 16 * 4)


def test_a_loss_that_is_not_a_number_is_sized_and_warned_about(cli, tmp_path):
    """Memory and work do not depend on the values, so a model whose loss is NaN is still sized; the warning says the
    model as given would not learn. A finite loss gets no such warning."""
    nan = _write(tmp_path, "import torch\n\ndef build():\n    return torch.nn.Linear(4, 4), "
                           "torch.full((8, 4), float('nan'))\n")
    r = cli("size", nan, "--gpus", "rtx-3090", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["cards"][0]["fits"] is True
    assert any("the loss was not a finite number" in w for w in doc["warnings"]), doc["warnings"]
    ok = tmp_path / "ok.py"
    ok.write_text("import torch\n\ndef build():\n    return torch.nn.Linear(4, 4), torch.ones(8, 4)\n")
    r = cli("size", str(ok), "--gpus", "rtx-3090", "--json")
    assert r.code == 0 and not any("finite" in w for w in r.json()["warnings"]), r.stderr


MLP_8 = ("import torch\n\ndef build():\n    return torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), "
         "torch.nn.Linear(64, 4)), (torch.randn(8, 32), torch.randint(0, 4, (8,)))\n")


def test_the_launch_floor_is_the_kernels_times_the_launch_time():
    """21 kernels at 5 us are 105 us: a roofline step shorter than that is raised to it, a longer one kept."""
    assert perf_model.launch_floor_seconds(21) == pytest.approx(105e-6)
    assert perf_model.floored_step_seconds(1e-6, 21) == (pytest.approx(105e-6), True)
    assert perf_model.floored_step_seconds(1e-3, 21) == (1e-3, False)


def test_a_small_model_is_launch_bound_never_faster_than_its_kernel_launches(tmp_path, cli):
    """A 2,372-parameter MLP at batch 8: the roofline gives an H200 35 ns a step, faster than one kernel launch.
    Counted by hand, its step launches 21 kernels: forward addmm, relu, addmm; the loss _log_softmax and nll_loss;
    backward ones_like (the loss's gradient), nll_loss and log_softmax backward, mm twice (the second layer's weight
    and input gradients) and sum (its bias), threshold_backward (the ReLU), mm and sum (the first layer: no input
    gradient); Adam's foreach update lerp, mul, addcmul, sqrt, div, add, addcdiv (the step counts stay on the host).
    21 x 5 us = 105 us a step, 8 / 105 us = 76,190 samples/s on every card, with no validation range."""
    path = _write(tmp_path, MLP_8)
    md = demand.measure(load.load(path), "fp32", "cuda")
    assert md.kernels_at(8) == 21
    rep = plan.plan(md, batch=8, gpus=["h200", "rtx-3090"], dataset_size=10, epochs=1)
    for o in rep.cards:
        assert o.bound == "launch" and o.uncertainty is None and "launch-bound" in o.uncertainty_basis
        assert o.step_s == pytest.approx(105e-6)
        assert o.samples_per_s == pytest.approx(76_190.476, rel=1e-6)
        assert rep.band(o, o.total_h) is None
    r = cli("size", path, "--gpus", "h200,rtx-3090", "--dataset-size", "10", "--epochs", "1")
    assert r.code == 0, r.stderr
    flat = " ".join(r.stdout.split())     # where the screen wraps depends on the temporary folder's name
    assert "0.105" in flat and "76,190" in flat and "or more" in flat
    assert "Launch-bound" in flat and "21 kernels" in flat
    assert "The cloud table lists every instance of the price list: --gpus narrows the cards table only." in flat
    assert "Ranges:" not in r.stdout          # no card's range applies


def test_a_run_shorter_than_a_batch_takes_one_whole_step_and_a_batch_past_the_dataset_is_refused(tmp_path, cli):
    """The launch-bound MLP above (105 us a step at batch 8, 76,190 samples/s): half an epoch of 10 samples is 5
    samples, 65.6 us by the throughput, but a step runs whole: 105 us. Two cards at batch 8 each hold 16 samples, more
    than the dataset's 10: an epoch is one step of the pair, and the row says so. A --batch above --dataset-size is
    refused before the model is traced."""
    path = _write(tmp_path, MLP_8)
    md = demand.measure(load.load(path), "fp32", "cuda")
    rep = plan.plan(md, batch=8, gpus=["rtx-3090", "2x rtx-3090"], dataset_size=10, epochs=0.5)
    one, two = rep.cards
    assert 5 / one.samples_per_s == pytest.approx(65.625e-6, rel=1e-6)
    assert one.total_h * 3600 == pytest.approx(105e-6) and one.epoch_h * 3600 == pytest.approx(10 / 76_190.476)
    assert one.note is None
    assert two.epoch_h * 3600 == pytest.approx(two.step_s) and two.total_h * 3600 == pytest.approx(two.step_s)
    assert "2 cards x batch 8 is more than the 10 samples of the dataset" in two.note
    with pytest.raises(UserError, match=r"^batch 16 per GPU is more than the 10 samples of --dataset-size: one step "
                                        r"would hold the whole dataset; give --batch 10 or less$"):
        plan.check_request(16, 10, 1, None)
    r = cli("size", path, "--batch", "16", "--dataset-size", "10", "--epochs", "1")
    assert r.code == 2 and r.stderr.count("\n") == 1 and "give --batch 10 or less" in r.stderr


def test_what_a_model_file_prints_is_shown_on_stderr_with_its_control_characters_escaped(cli, tmp_path):
    path = _write(tmp_path, 'import sys\nimport torch\nprint("HELLO \\x1b[31mred")\n'
                            'def build():\n    print("built \\x07", file=sys.stderr)\n'
                            '    return torch.nn.Linear(8, 2), torch.randn(4, 8)\n')
    for extra in ([], ["--json"]):
        r = cli("size", path, "--gpus", "rtx-3090", *extra)
        assert r.code == 0, r.stderr
        assert "HELLO" not in r.stdout and "\x1b" not in r.stdout and "\x07" not in r.stdout
        assert "HELLO \\x1b[31mred" in r.stderr and "built \\x07" in r.stderr
        assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    r.json()                               # --json: stdout is one JSON document


def test_counts_are_shown_in_a_unit_that_fits_their_size(cli, tmp_path):
    """Parameters whole below a million, FLOPs by prefix. Linear(8, 2) at batch 4: 18 parameters; forward
    2 x 8 x 2 x 4 = 128 FLOPs, backward the weight gradient only, 128: 256 FLOP a step."""
    assert [fmt_params(n) for n in (1, 18, 2372, 999_999, 11.3e6, 1.5e9)] == [
        "1 parameter", "18 parameters", "2,372 parameters", "999,999 parameters", "11.3 M parameters",
        "1.5 B parameters"]
    assert [fmt_flops(x) for x in (256, 77_824, 999.6, 3.409e12)] == ["256 FLOP", "77.8 kFLOP", "1.00 kFLOP",
                                                                       "3.41 TFLOP"]
    path = _write(tmp_path, "import torch\ndef build():\n    return torch.nn.Linear(8, 2), torch.randn(4, 8)\n")
    r = cli("size", path, "--gpus", "rtx-3090")
    assert r.code == 0, r.stderr
    flat = " ".join(r.stdout.split())     # the screen wraps where the model's path (a temporary folder) ends
    assert "18 parameters," in flat and "per step 256 FLOP of tensor work" in flat


def test_bytes_and_flops_share_one_unit_rule():
    # one helper picks the unit of both: bytes keep their one decimal (none for plain bytes), FLOPs their 3
    # significant digits, each past its last unit stays in it, and NaN stays in the first
    assert [fmt_bytes(n) for n in (0, 1023, 1024, 1536, 25_769_803_776, 2**60, -2048)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "24.0 GiB", "1024.0 PiB", "-2.0 KiB"]
    assert [fmt_bytes(n, binary=False) for n in (999, 1000, 25_769_803_776, 10**12, 2**60)] == [
        "999 B", "1.0 kB", "25.8 GB", "1.0 TB", "1152.9 PB"]
    assert [fmt_flops(x) for x in (0, -5e6, 1e21, 1e25)] == ["0 FLOP", "-5.00 MFLOP", "1,000 EFLOP",
                                                           "10,000,000 EFLOP"]
    assert fmt_bytes(None) == "-"
    assert (fmt_bytes(math.nan), fmt_flops(math.nan), fmt_bytes(math.inf)) == ("nan B", "nan FLOP", "inf PiB")


def test_bytes_are_rounded_before_their_unit_is_chosen():
    # as FLOPs are: 1023.96 KiB printed '1024.0 KiB', 999,999 MB '1000.0 GB', 1023.6 B '1024 B'
    assert [fmt_bytes(n) for n in (1023.4, 1023.6, 1023.96 * 1024, 1023.94 * 1024)] == [
        "1023 B", "1.0 KiB", "1.0 MiB", "1023.9 KiB"]
    assert [fmt_bytes(n, binary=False) for n in (999_999e6, 999.94e9, -999.96e3)] == ["1.0 TB", "999.9 GB", "-1.0 MB"]


RNNS = '''
import torch, torch.nn as nn

B, T, I, H = 3, 5, 12, 8


class Fused(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = getattr(nn, kind)(I, H, num_layers=2, batch_first=True)
        self.head = nn.Linear(H, 2)

    def forward(self, x):
        o, _ = self.rnn(x)
        return self.head(o[:, -1])


class Cells(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.head = nn.LSTMCell(I, H), nn.LSTMCell(H, H), nn.Linear(H, 2)

    def forward(self, x):
        h1 = c1 = h2 = c2 = x.new_zeros(x.shape[0], H)
        for t in range(x.shape[1]):
            h1, c1 = self.c1(x[:, t], (h1, c1))
            h2, c2 = self.c2(h1, (h2, c2))
        return self.head(h2)


def batch():
    return torch.randn(B, T, I), torch.randint(0, 2, (B,))


def lstm():
    return Fused("LSTM"), batch()


def gru():
    return Fused("GRU"), batch()


def cells():
    return Cells(), batch()
'''


def _rnn_flops(tmp_path, factory, batch=4):
    p = tmp_path / "rnns.py"
    p.write_text(RNNS)
    return demand.measure(load.load(f"{p}:{factory}"), "fp32", "cuda").flops.at(batch)


def test_an_lstm_counts_its_gates_like_the_same_network_of_lstm_cells(tmp_path):
    # torch.nn.LSTM's documented equations: 4 gates, each W_ih x_t + W_hh h_(t-1), per time step and layer
    B, T, I, H = 4, 5, 12, 8
    fused, cells = _rnn_flops(tmp_path, "lstm", B), _rnn_flops(tmp_path, "cells", B)
    forward = 2 * B * T * 4 * H * (I + H) + 2 * B * T * 4 * H * (H + H)
    head = 3 * 2 * B * H * 2
    assert fused == pytest.approx(3 * forward + head, rel=1e-12)
    # LSTMCell's matrix products, one by one: the same, but there the first layer's input and each layer's initial
    # (zero) state need no gradient, while the fused kernel computes both anyway
    assert fused - cells == pytest.approx(2 * B * T * 4 * H * I + 2 * (2 * B * 4 * H * H), rel=1e-12)


def test_a_gru_counts_three_gates(tmp_path):
    B, T, I, H = 4, 5, 12, 8
    flops = _rnn_flops(tmp_path, "gru", B)
    forward = 2 * B * T * 3 * H * (I + H) + 2 * B * T * 3 * H * (H + H)
    # at least the forward and the weights' gradients; at most the input's gradient as well
    assert 2 * forward <= flops <= 3 * forward + 3 * 2 * B * H * 2


def test_a_fused_rnn_operator_without_a_formula_is_refused_not_shown_without_its_work(tmp_path, monkeypatch):
    import torch
    from torch.utils import flop_counter as fc

    from rigbench.size import trace

    monkeypatch.setattr(trace, "flop_counter", lambda: fc.FlopCounterMode(display=False))
    p = tmp_path / "rnns.py"
    p.write_text(RNNS)
    job = load.load(f"{p}:lstm")
    if not hasattr(torch.ops.aten, "mkldnn_rnn_layer"):
        pytest.skip("this torch runs nn.LSTM without a fused CPU operator")
    with pytest.raises(UserError, match="cannot count the work of the fused recurrent"):
        demand.measure(job, "fp32", "cuda")


MLP_DTYPES = '''
import torch, torch.nn as nn


def mlp(dtype):
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4)).to(dtype), (
        torch.randn(8, 32, dtype=dtype), torch.randint(0, 4, (8,)))


def f64():
    return mlp(torch.float64)


def bf16():
    return mlp(torch.bfloat16)


def f32():
    return mlp(torch.float32)
'''


def test_a_float64_model_is_refused_the_catalog_has_no_fp64_rates(cli, tmp_path):
    p = tmp_path / "dtypes.py"
    p.write_text(MLP_DTYPES)
    assert "fp64" not in (REPO / "profiles" / "gpus.csv").read_text().splitlines()[0].lower()
    r = cli("size", f"{p}:f64", "--gpus", "rtx-4090")
    assert_user_error(r, "rigbench sizes float32 / mixed-precision training; this model's parameters are float64")


def test_a_bfloat16_model_is_timed_and_labelled_on_the_16_bit_path(cli, tmp_path):
    p = tmp_path / "dtypes.py"
    p.write_text(MLP_DTYPES)
    bf16 = demand.measure(load.load(f"{p}:bf16"), "fp32", "cuda")
    f32 = demand.measure(load.load(f"{p}:f32"), "fp32", "cuda")
    assert (bf16.weights_dtype, bf16.precision) == ("bfloat16", "amp")
    assert (f32.weights_dtype, f32.precision) == ("float32", "fp32")
    assert bf16.param_bytes < f32.param_bytes       # 2 bytes a weight (each tensor rounded to 512-byte blocks)
    r = cli("size", f"{p}:bf16", "--gpus", "rtx-4090")
    assert r.code == 0, r.stderr
    assert "bfloat16 weights, timed as amp" in " ".join(r.stdout.split())
    doc = cli("size", f"{p}:bf16", "--gpus", "rtx-4090", "--json").json()
    assert (doc["model"]["precision"], doc["model"]["weights_dtype"]) == ("amp", "bfloat16")


def test_bfloat16_weights_are_not_predicted_on_a_card_without_bfloat16(cli, tmp_path):
    # the GTX 1080 Ti (Pascal) and RTX 2080 Ti (Turing) have no bfloat16 arithmetic (the catalog's bf16 column is
    # empty before Ampere); the RTX 4090 has it
    p = tmp_path / "dtypes.py"
    p.write_text(MLP_DTYPES)
    doc = cli("size", f"{p}:bf16", "--gpus", "gtx-1080-ti,rtx-2080-ti,rtx-4090", "--json").json()
    cards = {c["id"]: c for c in doc["cards"]}
    for old in ("gtx-1080-ti", "rtx-2080-ti"):
        assert cards[old]["samples_per_s"] is None and "no bfloat16" in cards[old]["note"]
    assert cards["rtx-4090"]["samples_per_s"] > 0
    # a float16 model runs on each card's 16-bit rate, Pascal's included
    f16 = (tmp_path / "f16.py")
    f16.write_text(MLP_DTYPES.replace("def f32():", "def f16():\n    return mlp(torch.float16)\n\n\ndef f32():"))
    doc = cli("size", f"{f16}:f16", "--gpus", "gtx-1080-ti", "--json").json()
    assert doc["cards"][0]["samples_per_s"] > 0


def test_an_explicit_fp32_is_refused_for_16_bit_weights(cli, tmp_path):
    p = tmp_path / "dtypes.py"
    p.write_text(MLP_DTYPES)
    r = cli("size", f"{p}:bf16", "--gpus", "rtx-4090", "--precision", "fp32")
    assert_user_error(r, "--precision fp32: ")
    assert "weights are bfloat16" in r.stderr
    assert cli("size", f"{p}:bf16", "--gpus", "rtx-4090", "--precision", "amp").code == 0


def _option(total_h, uncertainty=0.065, bound="compute", usd=1.0):
    return plan.Option(id=f"x{total_h}", kind="instance", gpu_id="a6000", gpu_count=1, memory_bytes=1, fits=True,
                       max_batch=1, batch=1, peak_bytes=1, step_s=1, samples_per_s=1, bound=bound,
                       uncertainty=uncertainty, total_h=total_h, total_usd=usd)


def test_a_run_meets_the_deadline_only_when_its_whole_range_does():
    # 69.7 h +/- 6.5 % is 65.2 to 74.2 h: against 72 h it may or may not finish
    assert plan.deadline_verdict(_option(69.7), 72.0) == plan.MAYBE
    assert plan.deadline_verdict(_option(60.0), 72.0) is True          # 63.9 h at most
    assert plan.deadline_verdict(_option(80.0), 72.0) is False         # 74.8 h at least
    # a launch-bound time is a floor: under the deadline it is a maybe, over it a no
    assert plan.deadline_verdict(_option(1.0, None, "launch"), 72.0) == plan.MAYBE
    assert plan.deadline_verdict(_option(80.0, None, "launch"), 72.0) is False


def test_the_cheapest_by_the_deadline_is_a_sure_one_before_a_maybe():
    sure, maybe = _option(60.0, usd=50.0), _option(69.7, usd=40.0)
    for o in (sure, maybe):
        o.meets_deadline = plan.deadline_verdict(o, 72.0)
    rep = plan.SizeReport(name="m", unit="samples", precision="fp32", optimizer="adam", batch=1, demand=None,
                          cards=[], instances=[maybe, sure], samples=1.0, dataset_size=1, epochs=1.0, deadline_h=72.0,
                          prices_date="2026-01-21", prices_age_days=0, stale_after_days=90)
    assert rep.cheapest is sure
    rep.instances = [maybe]
    assert rep.cheapest is maybe


def _report(instances, deadline_h=72.0):
    return plan.SizeReport(name="m", unit="samples", precision="fp32", optimizer="adam", batch=4000, demand=None,
                           cards=[], instances=instances, samples=1.0, dataset_size=1, epochs=1.0,
                           deadline_h=deadline_h, prices_date="2026-01-21", prices_age_days=0, stale_after_days=90)


def test_the_cheapest_runs_the_batch_asked_and_a_smaller_batch_is_named_apart():
    # an instance that cannot hold batch 4000 runs its largest (1993): cheaper, but another run than the one asked
    small, fit = _option(1.0, usd=1.38), _option(2.0, usd=1.92)
    small.fits, small.batch = False, 1993
    for o in (small, fit):
        o.meets_deadline = plan.deadline_verdict(o, 24.0)
    rep = _report([small, fit], 24.0)
    assert rep.cheapest is fit and rep.cheapest_at_smaller_batch is None and rep.fits_asked
    rep.instances = [small]
    assert rep.cheapest is None and rep.cheapest_at_smaller_batch is small and not rep.fits_asked


def test_screen_and_json_name_only_an_instance_that_fits_the_batch(cli):
    args = ("size", TINY, "--gpus", "rtx-3090", "--dataset-size", "100000", "--epochs", "90", "--deadline", "1d")
    doc = cli(*args, "--batch", "4000", "--json").json()
    by = {i["id"]: i for i in doc["instances"]}
    assert by[doc["cheapest_by_deadline"]]["fits"] is True and doc["cheapest_at_smaller_batch"] is None
    assert doc["fits_asked"] is True
    fits = [i for i in doc["instances"] if i["fits"] and i["meets_deadline"] is True]
    assert doc["cheapest_by_deadline"] == min(fits, key=lambda i: i["total_usd"])["id"]
    out = cli(*args, "--batch", "4000").stdout
    assert f"Cheapest by 24.0 h: {doc['cheapest_by_deadline']} " in " ".join(out.split())
    # no instance holds batch 100,000: the screen says so and names the cheapest at its own smaller batch
    doc = cli(*args, "--batch", "100000", "--json").json()
    smaller = doc["cheapest_at_smaller_batch"]
    assert doc["cheapest_by_deadline"] is None and smaller["batch"] < 100000 and doc["fits_asked"] is False
    assert {i["id"]: i for i in doc["instances"]}[smaller["id"]]["batch"] == smaller["batch"]
    out = " ".join(cli(*args, "--batch", "100000").stdout.split())
    assert "No instance fits batch 100000 per GPU." in out and "Cheapest by" not in out
    assert (f"At a smaller batch (not the one asked), cheapest by 24.0 h: {smaller['id']} " in out
            and f"at batch {smaller['batch']} per GPU:" in out)


def test_a_short_run_costs_at_least_the_providers_billing_minimum(cli, tmp_path):
    path = _write(tmp_path, MLP_8)
    doc = cli("size", path, "--gpus", "rtx-3090", "--dataset-size", "1000", "--epochs", "1", "--json").json()
    price = {i.key: i.on_demand_usd_per_hour for i in load_prices().instances}
    by = {i["id"]: i for i in doc["instances"]}
    aws = by["aws:g4dn.xlarge"]
    assert aws["total_h"] < 1 / 3600                                          # well under a second of work
    # AWS bills per second with a 60 s minimum: one minute at the hourly price
    assert aws["billed_h"] == pytest.approx(60 / 3600)
    assert aws["total_usd"] == pytest.approx(price["aws:g4dn.xlarge"] * 60 / 3600, rel=1e-12)
    lam = by["lambda:gpu_1x_a10"]                                             # Lambda: whole minutes
    assert lam["total_usd"] == pytest.approx(price["lambda:gpu_1x_a10"] / 60, rel=1e-12)
    # the rate per million samples is a rate, not a run: not rounded
    assert aws["usd_per_million"] == pytest.approx(price["aws:g4dn.xlarge"] * 1e6 / aws["samples_per_s"] / 3600)


def test_a_short_card_name_says_which_card_it_took(cli, tmp_path):
    r = cli("size", _write(tmp_path, MLP_8), "--gpus", "a100", "--json")
    assert r.code == 0, r.stderr
    note = catalog.lookup("a100").note()
    assert f"rigbench: note: {note}" in r.stderr and "took a100-sxm4-40gb" in note
    assert r.json()["notes"] == [note] and r.json()["cards"][0]["id"] == "a100-sxm4-40gb"


@pytest.mark.parametrize("text", [
    "import torch\n\ndef f():\n    return torch.nn.Embedding(1000, 16, sparse=True), torch.randint(0, 1000, (4, 10))\n",
    "import torch\n\ndef f():\n    return torch.nn.Linear(8, 2), torch.eye(4, 8).to_sparse()\n",
])
def test_sparse_tensors_are_refused_as_the_tracers_limit(cli, tmp_path, text):
    r = cli("size", _write(tmp_path, text) + ":f", "--optimizer", "sgd", "--gpus", "rtx-3090")
    assert_user_error(r, "rigbench cannot size models with sparse tensors (sparse=True embeddings or sparse inputs)")


def test_times_are_written_without_exponents_in_the_unit_that_fits():
    from rigbench.cli.size import _count, _fmt_h

    assert _fmt_h(1.3e-05 / 3600) == "13 us"
    assert _fmt_h(0.013 / 3600) == "13 ms"
    assert _fmt_h(13 / 3600) == "13 s"
    assert _fmt_h(0.42) == "25 min"
    assert _fmt_h(18200 * 24) == "18,200 d"
    assert (_count(1, "samples"), _count(1000, "images")) == ("1 sample", "1,000 images")


def test_launch_bound_rows_tie_say_so_and_their_dollars_are_a_floor(cli, tmp_path):
    r = cli("size", _write(tmp_path, MLP_8))
    assert r.code == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "all tie at the launch floor; the first 12 in catalog order" in out and "the fastest 12" not in out
    assert "the tables show the time and cost per 1M samples" in out
    rows = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("aws:g4dn.xlarge")]
    assert rows and rows[0].count("or more") == 2                         # the time and the dollars


def test_no_card_fitting_is_said_not_shown_as_an_empty_table(cli, tmp_path):
    r = cli("size", _write(tmp_path, MLP_8), "--batch", "2147483647", "--gpus", "rtx-3090")
    assert r.code == 0, r.stderr
    assert "No card fits batch 2147483647" in " ".join(r.stdout.split()) and "step ms" not in r.stdout


def test_a_model_with_two_colons_and_an_empty_model_are_refused_clearly(cli, tmp_path):
    path = _write(tmp_path, MLP_8)
    assert_user_error(cli("size", f"{path}:build:extra"), "has more than one ':'")
    r = cli("size", "")
    assert_user_error(r, "MODEL is empty: give a value")
    assert "leave it out" not in r.stderr


def test_the_plot_names_the_instances_worth_renting_and_others_only_where_they_fit():
    from types import SimpleNamespace

    from rigbench.plots import pyplot
    from rigbench.size.plot import pareto_front, place_labels
    # (hours, USD): b is beaten by a on both (faster and cheaper), d by c; a, c and e each win for some deadline
    opts = {n: SimpleNamespace(id=n, total_h=h, total_usd=u)
            for n, h, u in [("a", 1.0, 5.0), ("b", 2.0, 6.0), ("c", 3.0, 2.0), ("d", 3.0, 2.5), ("e", 9.0, 1.0)]}
    assert [o.id for o in pareto_front(list(opts.values()))] == ["a", "c", "e"]
    fig, ax = pyplot().subplots(figsize=(4, 3))
    # twenty instances on one spot and two apart: one of the pile is named, with both loners
    points = [(f"pile-{i}", 1.0, 1.0) for i in range(20)] + [("far-1", 100.0, 100.0), ("far-2", 1.0, 100.0)]
    for _, x, y in points:
        ax.plot(x, y, "o")
    ax.set_xscale("log")
    ax.set_yscale("log")
    assert place_labels(ax, points, keep=["far-1"]) == 3
    assert sorted(t.get_text() for t in ax.texts) == ["far-1", "far-2", "pile-0"]


# 21 M parameters (1024 -> 4096 -> 4096 -> 10): at batch 64 a step's compute is short beside its gradient all-reduce
WIDE_MLP = ("import torch, torch.nn as nn\n\ndef build():\n    m = nn.Sequential(nn.Linear(1024, 4096), nn.ReLU(), "
            "nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 10))\n"
            "    return m, (torch.randn(64, 1024), torch.randint(0, 10, (64,)))\n")


def test_n_cards_no_faster_than_one_are_named_with_the_all_reduce_that_makes_them_so(cli, tmp_path):
    args = ("size", _write(tmp_path, WIDE_MLP), "--gpus", "rtx-3090,2x rtx-3090", "--dataset-size", "1000000",
            "--epochs", "10")
    doc = cli(*args, "--json").json()
    one, two = doc["cards"]
    v = two["versus_one_card"]
    assert doc["not_faster_than_one_card"] == ["2x-rtx-3090"] and v["not_faster"] is True
    assert v["one_card_samples_per_s"] == pytest.approx(one["samples_per_s"], rel=1e-12)
    assert v["speedup"] == pytest.approx(two["samples_per_s"] / one["samples_per_s"], rel=1e-12) and v["speedup"] < 1
    # the scaling model's step: compute plus the part of the all-reduce backward does not hide; two cards are no
    # faster than one once that part is as long as the compute (N - 1 steps of it)
    assert two["step_s"] == pytest.approx(v["compute_s"] + v["exposed_comm_s"], rel=1e-12)
    assert v["exposed_comm_s"] >= v["compute_s"] and v["hidden_comm_s"] + v["exposed_comm_s"] == pytest.approx(v["comm_s"])
    assert v["grad_bytes"] == doc["model"]["params"] * 4
    assert one["versus_one_card"] is None
    assert "One rtx-3090 is the better buy for this model" in v["note"]
    assert set(doc["per_card"]["fields"]) == {"memory_bytes", "max_batch", "batch", "peak_bytes"}
    out = " ".join(cli(*args).stdout.split())
    assert v["note"] in out and "is predicted slower than one rtx-3090" in out
    assert "memory/card" in out and "Nx rows: memory and max batch are per card" in out


def test_n_cards_faster_than_one_get_no_such_note(tiny_doc):
    two = tiny_doc["cards"][2]
    assert two["versus_one_card"]["not_faster"] is False and two["versus_one_card"]["note"] is None
    assert two["versus_one_card"]["speedup"] > 1 and tiny_doc["not_faster_than_one_card"] == []


def _price_rows(tmp_path) -> str:
    """Ten cheap rows of one date and a dear one, the list's oldest, dated by the day it was fetched."""
    rows = ["provider,instance,gpu_id,gpu_count,vcpus,ram_gb,on_demand_usd_per_hour,spot_usd_per_hour,region,"
            "price_date,source,date_basis"]
    rows += [f"test,a{i},rtx-3090,1,8,32,{1 + i / 100:.2f},,r,2024-06-01,t,published" for i in range(10)]
    rows.append("test,old,rtx-3090,1,8,32,9.0,,r,2024-01-15,t,fetched")
    p = tmp_path / "prices.csv"
    p.write_text("\n".join(rows) + "\n")
    return str(p)


def test_the_cloud_heading_dates_the_rows_it_shows(cli, tmp_path):
    args = ("size", _write(tmp_path, MLP_8), "--gpus", "rtx-3090", "--dataset-size", "1000", "--epochs", "1",
            "--prices", _price_rows(tmp_path))
    # the cheapest 10 share one date: the list's own, older date (its dear row's) is none of theirs
    out = " ".join(cli(*args).stdout.split())
    assert "Cloud, on-demand prices of 2024-06-01; the cheapest 10 of 11" in out and "2024-01-15" not in out.split(
        "WARNING")[0]
    # every row: the range, the fetched row's date marked as cost marks it
    out = " ".join(cli(*args, "--all").stdout.split())
    assert "Cloud, on-demand prices of 2024-01-15 (fetched: may be older) to 2024-06-01 " in out
    doc = cli(*args, "--json").json()
    assert doc["prices"]["dated"] == "2024-01-15 (fetched: may be older) to 2024-06-01"
    assert doc["prices"]["date"] == "2024-01-15"


@pytest.mark.parametrize("name", ["2× rtx-3090", "2 × rtx-3090", "2✕rtx-3090", "2ｘ rtx-3090"])
def test_gpus_reads_the_multiplication_sign_as_a_count(name):
    # '2× rtx-3090' was refused for its '×' as a character no card name has, with no word of the count
    assert [(g.id, n) for g, n in plan.resolve_cards([name])] == [("rtx-3090", 2)]
