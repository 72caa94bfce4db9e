"""The kernel contract's shared helpers: Numba's on-disk cache, and compiling without one where nothing is writable;
the TF32 switches a CUDA case sets and puts back."""

import os
import subprocess
import sys
import textwrap

import pytest

from rigbench.kernels.base import tf32_switches

_MODULE = textwrap.dedent("""
    from rigbench.kernels.base import njit_cached

    @njit_cached(nogil=True)
    def add_one(x):
        return x + 1
""")


def _run(folder, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import mod; print(mod.add_one(41))"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    return {**env, **extra}


def test_a_cached_kernel_keeps_its_machine_code_next_to_its_source(tmp_path):
    (tmp_path / "mod.py").write_text(_MODULE)
    r = _run(tmp_path, _env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"
    assert list((tmp_path / "__pycache__").glob("mod.add_one-*.nbi")), "Numba wrote no cache index"


def test_without_a_writable_cache_folder_the_kernel_compiles_in_process(tmp_path):
    """A read-only install run with a read-only home: the source folder cannot take a __pycache__ (a file stands
    there) and the user's cache folder is under /proc. Numba refuses cache=True then; the kernel still runs."""
    (tmp_path / "mod.py").write_text(_MODULE)
    (tmp_path / "__pycache__").write_text("not a folder")
    r = _run(tmp_path, _env(HOME="/proc/rigbench-none", XDG_CACHE_HOME="/proc/rigbench-none"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"


def test_tf32_switches_set_only_what_they_are_given_and_put_it_back():
    torch = pytest.importorskip("torch", reason="the switches are torch's")
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    before = (matmul.allow_tf32, cudnn.allow_tf32)
    try:
        matmul.allow_tf32, cudnn.allow_tf32 = False, True       # PyTorch's defaults since 1.12
        restore = tf32_switches(matmul=True)
        assert (matmul.allow_tf32, cudnn.allow_tf32) == (True, True)
        cudnn.allow_tf32 = False                                 # another case's business: left as it is
        restore()
        assert (matmul.allow_tf32, cudnn.allow_tf32) == (False, False)
        restore = tf32_switches(matmul=True, cudnn=True)
        assert (matmul.allow_tf32, cudnn.allow_tf32) == (True, True)
        restore()
        restore()                                                # a second call changes nothing
        assert (matmul.allow_tf32, cudnn.allow_tf32) == (False, False)
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = before
