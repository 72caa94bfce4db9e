"""What ``rigbench size MODEL`` trains: a built-in workload, ``package.module:factory`` or ``path/to/file.py[:factory]``.

A factory is a function that returns ``(model, example_batch)``, optionally followed by ``loss_fn`` and
``optimizer`` (``(model, batch, loss_fn, optimizer)``):

* ``model``: a ``torch.nn.Module``;
* ``example_batch``: a tensor (the model's input), a dict (keyword inputs), or ``(inputs, targets)`` where
  ``inputs`` is a tensor or a tuple of positional inputs. Every tensor in it has the batch as its first dimension:
  rigbench resizes the batch by repeating or dropping rows;
* ``loss_fn(outputs, targets)`` (or ``loss_fn(outputs)`` without targets); without one: cross-entropy for integer
  targets, mean squared error for float targets, the mean of the outputs without targets;
* ``optimizer``: a ``torch.optim.Optimizer`` over the model's parameters, or a function ``params -> Optimizer``;
  without one, ``--optimizer`` (Adam by default).

A factory may take ``seq_len`` (passed from ``--seq``). Every failure to get a model is a ``UserError`` naming the
cause: the CLI prints one line and exits 2.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import itertools
import os
import pickletools
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rigbench import model as perf_model
from rigbench.errors import UserError
from rigbench.files import not_a_regular_file
from rigbench.size import builtin
from rigbench.size.trace import describe_failure
from rigbench.units import one_line, shown

OPTIMIZERS = ("adam", "sgd")
# Names of files that hold a trained or exported model rather than Python code: torch.save and TorchScript
# (.pt, .pth, .ptl), Lightning checkpoints (.ckpt), PyTorch weights of Hugging Face models (.bin), pickles; and
# formats torch does not load into a module at all (safetensors: weights only; ONNX: another runtime's graph).
TORCH_SAVED_SUFFIXES = (".pt", ".pth", ".ptl", ".ckpt", ".bin", ".pkl", ".pickle")
OTHER_SAVED_SUFFIXES = (".safetensors", ".onnx")


@dataclass
class Job:
    """A model ready to train: its example batch, how to compute its loss, and its optimizer."""

    name: str
    model: Any
    batch: Any
    batch_size: int
    loss_fn: Callable | None
    optimizer: Any                  # an Optimizer, a function params -> Optimizer, or None (use --optimizer)
    optimizer_name: str             # "adam", "sgd"; the user's Optimizer's class name in lower case ("sgd"), or
    #                                 the name of the user's function params -> Optimizer, in lower case
    unit: str                       # what one sample is called: images, sequences, samples
    builtin: bool
    family: str | None = None       # rigbench.model's workload family; None: decided from the traced FLOPs

    def resized(self, n: int):
        """The example batch with ``n`` samples (rows repeated or dropped; fresh storage)."""
        return resize_batch(self.batch, n)

    def vector_hint(self) -> str:
        """Why a step may fail on an example batch whose every tensor has one dimension (``torch.randn(4)``): that
        dimension is read as the batch, so a model that takes one vector of 4 features is given 4 samples of none.
        Empty for any other batch."""
        import torch
        from torch.utils._pytree import tree_leaves

        tensors = [t for t in tree_leaves(self.batch) if isinstance(t, torch.Tensor)]
        if tensors and all(t.dim() == 1 for t in tensors):
            return (f" (every tensor of the example batch has one dimension, read as the batch: {self.batch_size} "
                    f"samples; a model that takes vectors needs them shaped (samples, features), e.g. "
                    f"torch.randn(8, {self.batch_size}))")
        return ""


def resize_batch(batch, n: int):
    import torch
    from torch.utils._pytree import tree_map

    def one(t):
        if not isinstance(t, torch.Tensor) or t.dim() == 0:
            return t
        idx = torch.arange(n) % t.shape[0]
        out = t.index_select(0, idx)
        if t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last):
            out = out.contiguous(memory_format=torch.channels_last)
        return out

    return tree_map(one, batch)


def split_batch(batch) -> tuple[Any, Any, bool]:
    """(inputs, targets, has_targets) of an example batch."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1], True
    return batch, None, False


def forward(model, batch):
    inputs, _, _ = split_batch(batch)
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def loss_of(job: Job, outputs, batch):
    """The scalar loss of one step."""
    import torch
    import torch.nn.functional as F

    _, targets, has_targets = split_batch(batch)
    if job.loss_fn is not None:
        return job.loss_fn(outputs, targets) if has_targets else job.loss_fn(outputs)
    from torch.utils._pytree import tree_leaves

    outs = [t for t in tree_leaves(outputs) if isinstance(t, torch.Tensor) and t.is_floating_point()]
    if not outs:
        raise UserError(f"{one_line(job.name)}: the model returned no floating-point tensor to compute a loss from; "
                        "return a loss_fn from the factory")
    if has_targets and isinstance(targets, torch.Tensor) and len(outs) == 1:
        out = outs[0]
        if not targets.is_floating_point():
            return F.cross_entropy(out.reshape(-1, out.shape[-1]).float(), targets.reshape(-1))
        return F.mse_loss(out.float(), targets.float())
    return sum(t.float().mean() for t in outs)


@contextlib.contextmanager
def _users_code(failed: str):
    """Run code of the user's model: whatever it raises, a sys.exit() too, is the user's to fix and becomes one
    UserError, ``failed`` followed by the exception's type and first line. Ctrl-C stays Ctrl-C."""
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise UserError(f"{failed} {describe_failure(exc)}") from None


def _import_factory(spec: str) -> tuple[Callable, str]:
    """The factory function named by ``spec``; a clear UserError for every way it can be missing."""
    path_part, sep, attr = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if spec.endswith(".py") and os.path.isfile(spec):
        path_part, sep, attr = spec, "", ""          # a file whose own name holds a colon (run:3.py)
    elif sep and ":" in path_part and not os.path.isfile(path_part):
        # 'file.py:build:extra': a module name holds no colon and the file is not there; importlib would otherwise
        # fail with "the 'package' argument is required"
        raise UserError(f"model {shown(spec)} has more than one ':'; write package.module:factory or "
                        "path/to/file.py[:factory], with one ':' before the factory")
    if path_part.endswith(".py") or (not sep and spec.endswith(".py")):
        file = Path(path_part if sep else spec)
        kind = not_a_regular_file(file)
        if kind is not None:
            raise UserError(_not_a_model_file(file, kind))
        mod_name = f"rigbench_user_model_{abs(hash(str(file.resolve())))}"
        loader_spec = importlib.util.spec_from_file_location(mod_name, file)
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[mod_name] = module
        where = str(file)
        try:
            with _users_code(f"model file {one_line(file)} does not import:"):
                loader_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(mod_name, None)          # a half-imported module is not kept
            raise
        if not attr:
            attr = _only_factory(module, where)
    else:
        # with ':factory' the part before it may be a module path ('models.bin:build'): only a file there is one
        saved = path_part if sep else spec
        named = saved.lower().endswith(TORCH_SAVED_SUFFIXES + OTHER_SAVED_SUFFIXES)
        # Checked before anything opens it: zipfile reads /dev/zero until memory runs out and waits on a FIFO for a
        # writer. Nothing there and a folder are left to the import (a module path, a package).
        kind = not_a_regular_file(saved)
        if kind not in (None, "nothing", "a directory (a folder)") or (named and not sep and kind == "nothing"):
            # "nothing": a typo in the path of a saved model, said as the .py branch says it
            raise UserError(_not_a_model_file(saved, kind))
        if (named and (not sep or kind is None)) or (kind is None and _torch_archive(saved)):
            raise UserError(_saved_model_message(saved))
        if not sep or not attr or not path_part:
            raise UserError(f"model {shown(spec)}: write a built-in workload ({', '.join(builtin.BUILTINS)}), "
                            "package.module:factory, or path/to/file.py[:factory]")
        where = path_part
        # The current folder is where a user's package lives; the console script does not put it on the path.
        added = os.getcwd() not in sys.path
        if added:
            sys.path.insert(0, os.getcwd())
        try:
            with _users_code(f"module {one_line(path_part)} does not import:"):
                module = importlib.import_module(path_part)
        finally:
            if added:
                sys.path.remove(os.getcwd())
    factory = getattr(module, attr, None)
    if factory is None:
        raise UserError(f"{one_line(where)} has no function {attr!r}")
    if not callable(factory):
        raise UserError(f"{one_line(where)}:{attr} is not a function")
    return factory, f"{where}:{attr}"


def _not_a_model_file(path, kind: str) -> str:
    """The one line for a model path that is no regular file (``kind`` from files.not_a_regular_file)."""
    if kind == "nothing":
        return f"model file {shown(str(path))} does not exist"
    if kind == "a directory (a folder)":
        return f"model file {shown(str(path))} is a folder; give the Python file in it"
    if kind.startswith("a symbolic link"):
        return f"model file {shown(str(path))} is {kind}; give the Python file itself"
    return (f"model file {shown(str(path))} is not a regular file but {kind}; give a Python file "
            "(path/to/file.py[:factory])")


def _torch_archive(path: str) -> str | None:
    """"torchscript" or "torch.save" for a file either writes, None for anything else. Both write a zip of one
    folder (``data.pkl`` and the tensors); TorchScript's also holds the module's code under ``code/`` (PyTorch's
    serialization notes, torch.jit.save and torch.save)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        return None
    if any("/code/" in n for n in names):
        return "torchscript"
    return "torch.save" if any(n.endswith("/data.pkl") for n in names) else None


def _saved_state_dict(path: str) -> bool:
    """Whether a torch.save archive holds a dict at its top (a state_dict, or a checkpoint of several): its pickle
    then starts with an empty dict or ``collections.OrderedDict``, a saved module with the module's class. Read
    with pickletools, which only lists the opcodes and runs nothing of the file."""
    try:
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            ops = pickletools.genops(z.open(name))
            first = [(op.name, arg) for op, arg, _ in itertools.islice(ops, 2)]
    except (OSError, StopIteration, ValueError, zipfile.BadZipFile):
        return False
    top = first[-1] if first and first[0][0] == "PROTO" else (first[0] if first else None)
    return top in (("EMPTY_DICT", None), ("GLOBAL", "collections OrderedDict"))


def _text_file(path: str) -> bool:
    """Whether the file's first 8 KiB are UTF-8 text (no NUL byte): Python code, say, not an archive or pickle."""
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return False
    if not head or b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3         # a character cut in two at the 8 KiB mark
    return True


def _saved_model_message(path: str) -> str:
    """A saved model file is not read: size runs the model's Python code to trace real training steps, and a
    saved file holds weights (and TorchScript's own code) without the example batch, loss and optimizer a step
    needs. The one line says how to wrap it in a factory (docs/size.md, MODEL)."""
    kind = _torch_archive(path)
    wrap = ("size does not read saved or TorchScript model files: wrap it in a .py file with a factory that "
            "builds or loads the model and returns (model, example_batch), e.g. def build(): ")
    then = "; then rigbench size that_file.py (docs/size.md)"
    # a pickle of protocol 0 is text too: only the suffixes a pickle does not use
    if kind is None and not path.lower().endswith((".pkl", ".pickle")) and _text_file(path):
        return (f"model {shown(path)} is text, not a TorchScript archive or a torch.save file (a .py file renamed?); "
                f"give the model's Python file, ending in .py, as path/to/file.py[:factory] (docs/size.md)")
    if kind == "torch.save" and _saved_state_dict(path):
        # a state_dict is weights by parameter name: torch.load gives a dict, not a module to train
        return (f"model {shown(path)} is a saved state dict or checkpoint (weights without the model); "
                f"{wrap}model = MyModel(); model.load_state_dict(torch.load({path!r})); "
                f"return model, torch.randn(8, 3, 224, 224){then}")
    if kind == "torchscript":
        what, build = "a TorchScript file", f"torch.jit.load({path!r})"
    elif kind == "torch.save" or path.lower().endswith(TORCH_SAVED_SUFFIXES):
        what, build = "a saved model file", f"torch.load({path!r}, weights_only=False)"
    else:
        what, build = "a saved model file", "MyModel()"
    return (f"model {shown(path)} is {what}; {wrap}return {build}, torch.randn(8, 3, 224, 224) (a file of weights: "
            f"build the model, then load_state_dict){then}")


def _only_factory(module, where: str) -> str:
    """The factory of a file named without ``:factory``: a function called ``build``, ``make_model`` or ``factory``."""
    for name in ("build", "make_model", "factory"):
        if callable(getattr(module, name, None)):
            return name
    raise UserError(f"{one_line(where)}: name the factory as {one_line(where)}:FUNCTION (no function called build, "
                    "make_model or factory)")


def load(spec: str, *, seq: int | None = None, optimizer: str | None = None) -> Job:
    """The ``Job`` for a MODEL argument. ``optimizer`` (``--optimizer``) is refused when the factory brings one."""
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise UserError(f"unknown optimizer {shown(optimizer)}; valid: {', '.join(OPTIMIZERS)}")
    if seq is not None and seq < 1:
        raise UserError(f"--seq {seq}: a sequence length is 1 or more")
    if spec in builtin.BUILTINS:
        wl = perf_model.load_workloads_profile()["workloads"][spec]
        opt = optimizer or wl["optimizer"]
        if opt == "adam" and spec != "resnet50":
            opt = "adamw"               # the suite's models and BERT train with AdamW (decoupled weight decay)
        model, batch, loss_fn, _ = builtin.build(spec, builtin.default_batch(spec), seq)
        unit = wl["unit"].removesuffix("/s")
        return Job(spec, model, batch, builtin.default_batch(spec), loss_fn, None, opt, unit, True,
                   wl.get("family", "conv"))
    factory, name = _import_factory(spec)
    kwargs = {}
    if seq is not None:
        try:
            accepts = "seq_len" in inspect.signature(factory).parameters
        except (TypeError, ValueError):
            accepts = False
        if not accepts:
            raise UserError(f"--seq: {name} takes no seq_len argument; drop --seq or add seq_len to the factory")
        kwargs["seq_len"] = seq
    with _users_code(f"factory {name} raised"):
        got = factory(**kwargs)
    return _job_from(name, got, optimizer)


def _job_from(name: str, got, optimizer: str | None) -> Job:
    import torch

    shape = "(model, example_batch[, loss_fn[, optimizer]])"
    if not isinstance(got, (tuple, list)) or not 2 <= len(got) <= 4:
        raise UserError(f"factory {name} returned {type(got).__name__}; expected {shape}")
    model, batch = got[0], got[1]
    loss_fn = got[2] if len(got) > 2 else None
    opt = got[3] if len(got) > 3 else None
    if not isinstance(model, torch.nn.Module):
        raise UserError(f"factory {name} returned a {type(model).__name__} as the model; expected a torch.nn.Module "
                        f"first in {shape}")
    if not any(p.requires_grad for p in model.parameters()):
        raise UserError(f"factory {name}: the model has no trainable parameters")
    from torch.utils._pytree import tree_leaves

    tensors = [t for t in tree_leaves(batch) if isinstance(t, torch.Tensor)]
    if not tensors:
        raise UserError(f"factory {name}: the example batch holds no tensor; expected a tensor, a dict of tensors or "
                        "(inputs, targets)")
    if any(t.dim() == 0 for t in tensors):
        raise UserError(f"factory {name}: a tensor of the example batch is a scalar; every tensor needs the batch as "
                        "its first dimension")
    sizes = {int(t.shape[0]) for t in tensors}
    if 0 in sizes:
        # rigbench repeats the example's rows to make batches 2 and 4: with none there is nothing to repeat, and the
        # step failed as "RuntimeError: ZeroDivisionError"
        raise UserError(f"factory {name}: the example batch has 0 samples (a first dimension of 0); give at least one")
    if len(sizes) != 1:
        raise UserError(f"factory {name}: the example batch's tensors disagree on the batch size (first dimensions "
                        f"{sorted(sizes)}); every tensor needs the batch as its first dimension")
    devices = {t.device.type for t in tensors} | {p.device.type for p in model.parameters()}
    if devices != {"cpu"}:
        raise UserError(f"factory {name}: build the model and the batch on the CPU (found {', '.join(sorted(devices))}); "
                        "rigbench counts on the CPU and predicts for every card")
    if loss_fn is not None and not callable(loss_fn):
        raise UserError(f"factory {name}: the third item (loss_fn) is a {type(loss_fn).__name__}, not a function")
    if any(torch.nn.parameter.is_lazy(p) for p in model.parameters()):
        # lazy modules (nn.LazyLinear...) have no shape until they see an input: PyTorch's documented way to
        # initialise them is one dry run on a real batch, before an optimizer or a count reads the parameters
        with torch.no_grad(), _users_code(f"factory {name}: the dry run that shapes its lazy modules raised"):
            forward(model, batch)
        if any(torch.nn.parameter.is_lazy(p) for p in model.parameters()):
            raise UserError(f"factory {name}: a lazy module of the model is not used by its forward pass, so it has "
                            "no shape to size")
    if opt is not None:
        if optimizer is not None:
            raise UserError(f"--optimizer {optimizer}: factory {name} brings its own optimizer; drop --optimizer")
        if not (isinstance(opt, torch.optim.Optimizer) or callable(opt)):
            raise UserError(f"factory {name}: the fourth item (optimizer) is a {type(opt).__name__}; expected a "
                            "torch.optim.Optimizer or a function params -> Optimizer")
        opt_name = optimizer_name(opt) if isinstance(opt, torch.optim.Optimizer) else \
            getattr(opt, "__name__", "custom").lower()
    else:
        opt_name = optimizer or "adam"
    return Job(name, model, batch, sizes.pop(), loss_fn, opt, opt_name, "samples", False)


def optimizer_name(opt) -> str:
    """How the screen and the JSON name an optimizer: its class name in lower case, as ``--optimizer`` names the
    built-in ones (torch.optim.SGD -> "sgd", AdamW -> "adamw")."""
    return type(opt).__name__.lower()


def _check_holds_the_model(job: Job, opt) -> None:
    """An optimizer over none of the model's parameters (built over another model's, or a stray tensor) would
    train nothing: its state and its step would be counted for tensors the model does not have."""
    own = {id(p) for p in job.model.parameters()}
    held = [p for group in opt.param_groups for p in group["params"]]
    if not any(id(p) in own for p in held):
        raise UserError(f"{one_line(job.name)}: the optimizer ({optimizer_name(opt)}) holds none of the model's "
                        f"parameters ({len(held)} tensor{'s' if len(held) != 1 else ''} of its own); build it over "
                        "model.parameters()")


def make_optimizer(job: Job, target: str):
    """The optimizer of a step: the factory's, or --optimizer with the implementation torch picks on ``target``
    (``foreach`` on CUDA, one tensor at a time on a CPU: torch.optim's defaults)."""
    import torch

    params = [p for p in job.model.parameters() if p.requires_grad]
    foreach = target == "cuda"
    if isinstance(job.optimizer, torch.optim.Optimizer):
        _check_holds_the_model(job, job.optimizer)
        return job.optimizer
    if job.optimizer is not None:
        with _users_code(f"{one_line(job.name)}: the optimizer function raised"):
            opt = job.optimizer(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise UserError(f"{one_line(job.name)}: the optimizer function returned {type(opt).__name__}, not a "
                            "torch.optim.Optimizer")
        _check_holds_the_model(job, opt)
        return opt
    if job.optimizer_name == "sgd":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9, foreach=foreach)
    if job.optimizer_name == "adamw":
        return torch.optim.AdamW(params, lr=1e-3, foreach=foreach)
    return torch.optim.Adam(params, lr=1e-3, foreach=foreach)
