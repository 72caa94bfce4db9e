"""The rules: each ``check = "name"`` of a profile is the function of that name here, ``(rule, machine) -> Check``."""

from __future__ import annotations

from typing import Callable

from rigbench.guidelines.checks.base import Check
from rigbench.guidelines.checks.build import (check_gpu_fit, check_pcie_lanes, check_price_band,
                                              check_price_vs_ready_made, check_psu)
from rigbench.guidelines.checks.cloud import check_cheapest_provider
from rigbench.guidelines.checks.cooling import check_cooling
from rigbench.guidelines.checks.hardware import (check_cloud_path, check_cores_per_gpu, check_cpu_class,
                                                 check_gpu_class, check_mac_egpu, check_nvidia_gpu, check_os_linux,
                                                 check_os_packages, check_preprocess_feed, check_ram_min,
                                                 check_ram_vs_gpu, check_storage_min, check_storage_ssd)
from rigbench.guidelines.machine import Machine

CHECKS: dict[str, Callable[[dict, Machine], Check]] = {
    "ram_min": check_ram_min, "nvidia_gpu": check_nvidia_gpu, "cpu_class": check_cpu_class,
    "storage_min": check_storage_min, "storage_ssd": check_storage_ssd, "os_linux": check_os_linux,
    "cloud_path": check_cloud_path, "gpu_class": check_gpu_class, "cores_per_gpu": check_cores_per_gpu,
    "preprocess_feed": check_preprocess_feed, "ram_vs_gpu": check_ram_vs_gpu, "cooling": check_cooling,
    "price_band": check_price_band, "cheapest_provider": check_cheapest_provider,
    "os_packages": check_os_packages, "price_vs_ready_made": check_price_vs_ready_made,
    "mac_egpu": check_mac_egpu, "pcie_lanes": check_pcie_lanes, "psu": check_psu, "gpu_fit": check_gpu_fit,
}


