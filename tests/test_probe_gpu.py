"""GPU probe through an NVML stand-in filled with real cards' values, one scenario per failure mode."""

from __future__ import annotations

import pytest

from fixtures.probe.fake_nvml import FakeNvml
from rigbench import catalog
from rigbench.probe import gpu, nvml


def probe(fake):
    gpus, error, info = gpu.probe_gpus(fake)
    return gpus, error


def test_gtx_1080_ti_fields_as_nvml_reports_them():
    fake = FakeNvml(["gtx_1080_ti"])
    (g,), error = probe(fake)
    assert error is None
    assert g["name"] == "NVIDIA GeForce GTX 1080 Ti" and g["uuid"].startswith("GPU-")
    assert g["memory_total_bytes"] == 11 * 1024 ** 3
    assert g["compute_capability"] == "6.1"
    assert g["power_limit_w"] == 250.0 and g["power_draw_w"] == 61.0          # NVML reports milliwatts
    assert (g["pcie_generation"], g["pcie_width"]) == (3, 16)                 # what the link can do ...
    assert (g["pcie_generation_current"], g["pcie_width_current"]) == (1, 16)  # ... and what it runs at idle
    assert g["temperature_c"] == 34 and g["sm_clock_mhz"] == 139 and g["max_sm_clock_mhz"] == 1911
    assert g["memory_bus_width_bits"] == 352 and g["max_memory_clock_mhz"] == 5505
    assert g["throttle_reasons"] == ["gpu_idle"]
    assert g["driver_version"] == "535.183.01" and g["cuda_driver_version"] == "12.2"
    assert g["pci_bus_id"] == "00000000:01:00.0"
    assert fake.shutdowns == 1


def test_not_supported_fields_are_null_with_reason_never_a_crash():
    """GeForce: MIG NotSupported; a board without a power sensor; a driver without ClocksEventReasons."""
    (a, b), error = probe(FakeNvml(["gtx_1080_ti", "rtx_2080_ti"]))
    assert error is None
    assert a["mig_enabled"] is None and "not supported" in a["reasons"]["mig_enabled"]
    assert a["mig_devices"] == []
    assert b["compute_capability"] == "7.5" and b["power_draw_w"] is None
    assert "not supported" in b["reasons"]["power_draw_w"]
    assert b["throttle_reasons"] == ["sw_power_cap"]       # fell back to the older ThrottleReasons call
    assert (b["pcie_generation"], b["pcie_width_current"]) == (3, 8)
    assert b["error"] is None


def test_h100_with_mig_lists_instances_under_the_parent_by_uuid():
    (g,), error = probe(FakeNvml(["h100_sxm_mig"], driver="550.54.15", cuda=12040))
    assert error is None
    assert g["compute_capability"] == "9.0" and g["power_limit_w"] == 700.0
    assert g["memory_total_bytes"] == 81559 * 1024 ** 2
    assert (g["pcie_generation"], g["pcie_width"]) == (5, 16) and g["memory_bus_width_bits"] == 5120
    assert g["cuda_driver_version"] == "12.4" and g["mig_enabled"] is True
    assert [m["uuid"][:4] for m in g["mig_devices"]] == ["MIG-", "MIG-"]
    assert [m["gpu_instance_id"] for m in g["mig_devices"]] == [1, 2]
    assert all(m["memory_total_bytes"] == 40 * 1024 ** 3 for m in g["mig_devices"])
    assert len({m["uuid"] for m in g["mig_devices"]} | {g["uuid"]}) == 3


def test_gpus_are_matched_by_uuid_not_index():
    gpus, _ = probe(FakeNvml(["rtx_2080_ti", "gtx_1080_ti", "h100_sxm_mig"]))
    ti = gpu.find_gpu(gpus, "GPU-5f2a4c1e-9b3d-4e7a-8c21-0d6f3b9a1e42")
    assert ti["name"] == "NVIDIA GeForce GTX 1080 Ti" and ti["index"] == 1
    # torch reports UUIDs without the "GPU-" prefix
    assert gpu.find_gpu(gpus, "a81c0e57-3f6b-4d29-b4e0-7c9d12f3a6b8")["name"] == "NVIDIA GeForce RTX 2080 Ti"
    mig = gpu.find_gpu(gpus, "MIG-2a3b4c5d-6e7f-5a8b-9c0d-1e2f3a4b5c6d")
    assert mig["gpu_instance_id"] == 2
    assert gpu.find_gpu(gpus, "GPU-00000000-0000-0000-0000-000000000000") is None


def test_lost_gpu_is_reported_and_the_others_still_listed():
    """NVML_ERROR_GPU_IS_LOST on one of two GPUs (fell off the bus)."""
    gpus, error = probe(FakeNvml(["gtx_1080_ti", "rtx_2080_ti"], lost={1}))
    assert error is None and len(gpus) == 2
    assert gpus[0]["name"] == "NVIDIA GeForce GTX 1080 Ti" and gpus[0]["error"] is None
    assert gpus[1]["uuid"] is None and "lost" in gpus[1]["error"] and "reboot" in gpus[1]["error"]
    assert set(gpu.GPU_FIELDS) <= set(gpus[1]) and gpus[1]["memory_total_bytes"] is None   # same keys, all null


def test_gpu_lost_while_reading_fields():
    fake = FakeNvml(["gtx_1080_ti"], overrides={"gtx_1080_ti": {"temperature_c": "GPU_IS_LOST",
                                                                 "sm_clock_mhz": "GPU_IS_LOST"}})
    (g,), _ = probe(fake)
    assert g["temperature_c"] is None and "lost" in g["error"]
    assert g["memory_total_bytes"] == 11 * 1024 ** 3


def test_missing_library_says_install_the_driver():
    gpus, error = probe(FakeNvml(init_error="LIBRARY_NOT_FOUND"))
    assert gpus == [] and error == nvml.MSG_NO_LIBRARY
    assert "install the NVIDIA driver" in error and "libnvidia-ml.so" in error


def test_driver_library_mismatch_says_reload_or_reboot():
    gpus, error = probe(FakeNvml(init_error="LIB_RM_VERSION_MISMATCH"))
    assert gpus == [] and "mismatch" in error and "reload the driver or reboot" in error


def test_driver_not_loaded_and_no_permission_have_their_own_advice():
    assert "modprobe" in probe(FakeNvml(init_error="DRIVER_NOT_LOADED"))[1]
    assert "permission" in probe(FakeNvml(init_error="NO_PERMISSION"))[1]


def test_no_device_says_so():
    gpus, error = probe(FakeNvml([]))
    assert gpus == [] and "no GPU" in error and "--gpus all" in error


def test_a_card_outside_the_catalog_gives_null_catalog_id_with_the_reason():
    # An NVML name no catalog row answers to (a made-up future card).
    (g,), _ = probe(FakeNvml(["gtx_1080_ti"], overrides={"gtx_1080_ti": {"name": "NVIDIA Imaginary X9000"}}))
    assert g["catalog_id"] is None and "not in the GPU catalog" in g["reasons"]["catalog_id"]


def test_catalog_id_comes_from_the_catalog():
    (g,), _ = probe(FakeNvml(["rtx_2080_ti"]))
    assert g["catalog_id"] == catalog.match_nvml_name("NVIDIA GeForce RTX 2080 Ti")


def test_binding_is_nvidia_ml_py_not_the_deprecated_pynvml_package():
    import pynvml

    assert nvml._binding_warning(pynvml) is None, pynvml.__file__
    old = type("M", (), {"__file__": "/site-packages/pynvml/__init__.py"})
    assert "deprecated" in nvml._binding_warning(old)


def test_real_machine_without_gpu_reports_gpu_error():
    gpus, error, _ = gpu.probe_gpus()
    if gpus:
        pytest.skip("this machine has an NVIDIA GPU; the no-GPU path is checked by the stand-in tests")
    assert gpus == [] and error
