"""Host arrays shared by memcopy and stream_triad: one set of pages, and neither kernel's check sees the other."""

import gc

import numpy as np
import pytest
from rigbench.kernels import REGISTRY, host_arrays
from rigbench.kernels.base import KernelFault, RunContext


def test_a_slot_is_shared_while_held_and_freed_with_its_last_holder():
    big = host_arrays.shared(host_arrays.SECOND_INPUT, 1 << 20)
    smaller = host_arrays.shared(host_arrays.SECOND_INPUT, 1 << 16)
    assert np.shares_memory(big, smaller) and smaller.nbytes == 1 << 16
    # a larger request than the slot holds gets an array of its own, which the slot holds from then on
    larger = host_arrays.shared(host_arrays.SECOND_INPUT, 1 << 21)
    assert not np.shares_memory(big, larger)
    assert np.shares_memory(larger, host_arrays.shared(host_arrays.SECOND_INPUT, 1 << 20))
    # another slot is other memory
    assert not np.shares_memory(larger, host_arrays.shared(host_arrays.OUTPUT, 1 << 20))
    del big, smaller, larger
    gc.collect()
    assert host_arrays._slots[host_arrays.SECOND_INPUT]() is None     # nothing kept once no case holds it


def test_inputs_are_the_same_values_at_the_same_place():
    x = np.empty(20_000)
    host_arrays.fill_first_input(x)
    k = np.arange(20_000) % 8191 / 8191.0
    np.testing.assert_array_equal(x, 1.0 + k)
    host_arrays.fill_second_input(x)
    np.testing.assert_array_equal(x, 2.0 - k)
    host_arrays.fill_output(x)
    assert not x.any()
    # what memcopy copies is the first input's bytes, filled the same way: views, not a copy
    first = host_arrays.first_input_float64(20_001 * 4)
    assert first.shape == (10_001,) and first.dtype == np.float64
    np.testing.assert_array_equal(first, 1.0 + k[:10_001])


def test_memcopy_and_stream_triad_share_pages_and_both_verify_in_the_runners_order():
    memcopy, triad = REGISTRY["memcopy"], REGISTRY["stream_triad"]
    n64 = 1 << 16                                  # 512 KiB a float64 array: memcopy copies as many float32 bytes
    ctx = RunContext(usable_cores=2)
    copy = memcopy.prepare("cpu", "float32", {"n": 2 * n64, "itemsize": 4}, ctx)
    copy.run()
    copy.verify()                                  # round 1 of memcopy: timed, then checked at once
    t = triad.prepare("cpu", "float64", {"n": n64, "itemsize": 8}, ctx)
    assert np.shares_memory(t.b, host_arrays.shared(host_arrays.FIRST_INPUT, 8))     # memcopy's source
    assert np.shares_memory(t.a, host_arrays.shared(host_arrays.OUTPUT, 8))          # memcopy's destination
    t.run()
    t.verify()                                     # round 1 of stream_triad
    for _ in range(2):                             # rounds 2 and 3, interleaved: each rewrites the shared output
        copy.run()
        t.run()
    t.verify()
    copy.run()
    copy.verify()
    # the copy's check still catches a wrong copy: its destination holds the triad's sums, not its source
    t.run()
    with pytest.raises(KernelFault, match="differs from its source"):
        copy.verify()
    # and the triad's catches a wrong result: the copy's output is b, not b + 3c
    copy.run()
    with pytest.raises(KernelFault, match="relative error"):
        t.verify()
    t.close()
