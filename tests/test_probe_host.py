"""OS, virtualisation, container, power source and software versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata

from fixtures.probe.trees import materialize
from rigbench.probe import host, software


def test_laptop_os_and_battery(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    o = host.probe_os(root, cpu_flags={"avx2"}, environ={})
    assert o["distribution"] == "Ubuntu 22.04.4 LTS" and o["distribution_id"] == "ubuntu"
    assert o["release"] == "6.5.0-35-generic" and o["system"] == "Linux"
    assert o["virtualization"] == "none" and o["container"] is None
    h = host.probe_host(root)
    assert h["power"]["on_battery"] is True and h["hostname"] == "xps15"


def test_on_mains_when_adapter_online(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    (root / "sys/class/power_supply/AC/online").write_text("1\n")
    assert host.power(root)["on_battery"] is False


def test_no_power_supply_is_null_with_reason(tmp_path):
    p = host.power(tmp_path)
    assert p["on_battery"] is None and "power_supply" in p["reason"]


def test_kubernetes_pod_on_gce(tmp_path):
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    o = host.probe_os(root, cpu_flags={"hypervisor"}, environ={"KUBERNETES_SERVICE_HOST": "10.96.0.1"})
    assert o["virtualization"] == "google" and o["container"] == "kubernetes"
    # without the env variable, the kubepods cgroup still says so
    assert host.probe_os(root, {"hypervisor"}, environ={})["container"] == "kubernetes"


def test_docker_and_ec2(tmp_path):
    docker = materialize("docker-v1-ryzen-5800x", tmp_path / "d")
    assert host.probe_os(docker, set(), environ={})["container"] == "docker"
    ec2 = materialize("aws-graviton2-c6g", tmp_path / "e")
    o = host.probe_os(ec2, set(), environ={})
    assert o["virtualization"] == "amazon" and o["distribution"] == "Amazon Linux 2023"
    assert o["dmi_product_name"] == "c6g.large"


def test_hypervisor_flag_without_dmi(tmp_path):
    o = host.probe_os(tmp_path, cpu_flags={"hypervisor", "avx2"}, environ={})
    assert o["virtualization"] == "unknown-vm" and "hypervisor" in o["virtualization_source"]


def test_software_versions_from_metadata_match_installed_packages():
    s = software.probe_software()
    assert s["python"] == platform.python_version()
    assert s["numpy"] == metadata.version("numpy") and s["nvidia_ml_py"] == metadata.version("nvidia-ml-py")
    assert s["rigbench"] == metadata.version("rigbench")
    assert s["torch"] == metadata.version("torch")


def test_torch_cuda_runtime_read_from_version_file_without_importing_torch():
    cuda, reason = software.torch_cuda_runtime()
    path = metadata.distribution("torch").locate_file("torch/version.py")
    text = open(path, encoding="utf-8").read()
    expected = None
    for line in text.splitlines():
        if line.startswith("cuda") and "=" in line:
            value = line.split("=", 1)[1].strip().strip("'\"")
            expected = None if value == "None" else value
    assert cuda == expected
    if cuda is None:
        assert reason


def test_real_os_matches_uname():
    o = host.probe_os()
    assert o["system"] == os.uname().sysname and o["release"] == os.uname().release


def test_hypervisor_named_by_its_clock_source_when_dmi_is_absent(tmp_path):
    # A Firecracker micro-VM (this project's machines): no DMI, but the kernel offers KVM's paravirtual clock.
    clocks = tmp_path / "sys/devices/system/clocksource/clocksource0"
    clocks.mkdir(parents=True)
    (clocks / "available_clocksource").write_text("tsc kvm-clock \n")
    o = host.probe_os(tmp_path, cpu_flags={"hypervisor", "avx2"}, environ={})
    assert o["virtualization"] == "kvm" and "kvm-clock" in o["virtualization_source"]


def test_chassis_type_is_null_with_a_reason_on_the_recorded_trees(tmp_path):
    """None of the recorded trees holds /sys/class/dmi/id/chassis_type: the probe says so instead of guessing."""
    for tree in ("laptop-i7-8750h", "aws-graviton2-c6g", "k8s-xeon-8481c-cgroup2", "docker-v1-ryzen-5800x"):
        c = host.probe_os(materialize(tree, tmp_path / tree), set(), environ={})["chassis"]
        assert c["type"] is None and c["class"] is None and "chassis_type" in c["reason"], tree


def test_chassis_type_by_the_smbios_table(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    path = root / "sys/class/dmi/id/chassis_type"
    for value, name, cls in ((10, "Notebook", "laptop"), (9, "Laptop", "laptop"), (31, "Convertible", "laptop"),
                             (3, "Desktop", "desktop"), (7, "Tower", "desktop"), (35, "Mini PC", "desktop"),
                             (23, "Rack Mount Chassis", "server"), (17, "Main Server Chassis", "server")):
        path.write_text(f"{value}\n")
        assert host.chassis(root) == {"type": value, "name": name, "class": cls, "reason": None}
    path.write_text("1\n")                  # "Other": what many hypervisors write; names no kind of machine
    c = host.chassis(root)
    assert (c["type"], c["name"], c["class"]) == (1, "Other", None) and "no kind of machine" in c["reason"]
    path.write_text("notebook\n")
    assert host.chassis(root)["type"] is None and "not a number" in host.chassis(root)["reason"]
