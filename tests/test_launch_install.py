"""The laptop install path: scripts/install_torch.sh picks the torch build for the machine.

Runs the script against a fake ``python`` (records the pip command it would run, answers the
"is torch importable" and "is PyTorch's CPU index reachable" probes as told) and fake ``uname`` /
``nvidia-smi`` on PATH, so no package is installed and no network is used.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install_torch.sh"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"

FAKE_PYTHON = """#!/bin/bash
if [ "$1" = -c ]; then
    case "$2" in
        *"import torch"*) [ -n "$FAKE_TORCH" ] && { echo "$FAKE_TORCH"; exit 0; }; exit 1 ;;
        *urlopen*) [ -n "$FAKE_INDEX_UP" ] && exit 0; exit 1 ;;
    esac
fi
echo "$*" >> "$FAKE_LOG"
[ -n "$FAKE_PIP_FAILS_ON_INDEX" ] && [[ "$*" == *--index-url* ]] && exit 1
exit 0
"""


def _install(tmp_path, mode=None, *, system="Linux", nvidia=False, torch="", index_up=False, index_fails=False):
    if Path("/proc/driver/nvidia/version").exists() and not nvidia:
        pytest.skip("this machine has an NVIDIA driver: the no-GPU case cannot be simulated")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python"
    python.write_text(FAKE_PYTHON)
    (bin_dir / "uname").write_text(f"#!/bin/bash\necho {system}\n")
    if nvidia:
        (bin_dir / "nvidia-smi").write_text("#!/bin/bash\nexit 0\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    # PATH: the fakes, then only the directories of the tools the script needs (no real nvidia-smi)
    tools = {str(Path(shutil.which(t)).parent) for t in ("bash", "cat")}
    log = tmp_path / "pip.log"
    log.unlink(missing_ok=True)
    env = {"PATH": os.pathsep.join([str(bin_dir), *sorted(tools)]), "FAKE_LOG": str(log), "FAKE_TORCH": torch,
           "FAKE_INDEX_UP": "1" if index_up else "", "FAKE_PIP_FAILS_ON_INDEX": "1" if index_fails else ""}
    if not nvidia and any(Path(d, "nvidia-smi").exists() for d in tools):
        pytest.skip("nvidia-smi lies beside bash here: the no-GPU case cannot be simulated")
    args = ["bash", str(SCRIPT), str(python)] + ([mode] if mode else [])
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    pip = log.read_text().splitlines() if log.exists() else []
    return result, pip


def test_linux_without_gpu_gets_the_cpu_build(tmp_path):
    result, pip = _install(tmp_path, index_up=True)
    assert result.returncode == 0, result.stderr
    assert pip == [f"-m pip install --timeout 10 --retries 1 --index-url {CPU_INDEX} torch>=2.2"]


def test_unreachable_cpu_index_falls_back_to_pypi(tmp_path):
    result, pip = _install(tmp_path, index_up=False)
    assert result.returncode == 0, result.stderr
    assert pip == ["-m pip install torch>=2.2"]
    assert "cannot be reached" in result.stderr


def test_failing_cpu_index_falls_back_to_pypi(tmp_path):
    result, pip = _install(tmp_path, index_up=True, index_fails=True)
    assert result.returncode == 0, result.stderr
    assert len(pip) == 2 and "--index-url" in pip[0] and pip[1] == "-m pip install torch>=2.2"


@pytest.mark.parametrize("kwargs", [dict(nvidia=True), dict(system="Darwin"), dict(system="MINGW64_NT-10.0"),
                                    dict(mode="cuda")], ids=["linux-gpu", "macos", "windows", "TORCH=cuda"])
def test_gpu_machines_macos_windows_and_override_get_pypis_default(tmp_path, kwargs):
    mode = kwargs.pop("mode", None)
    result, pip = _install(tmp_path, mode, index_up=True, **kwargs)
    assert result.returncode == 0, result.stderr
    assert pip == ["-m pip install torch>=2.2"]


def test_cpu_override_on_a_gpu_machine(tmp_path):
    result, pip = _install(tmp_path, "cpu", nvidia=True, index_up=True)
    assert result.returncode == 0, result.stderr
    assert pip and f"--index-url {CPU_INDEX}" in pip[0]


def test_an_installed_torch_is_kept(tmp_path):
    result, pip = _install(tmp_path, torch="2.13.0+cpu", index_up=True)
    assert result.returncode == 0 and pip == []
    assert "2.13.0+cpu is already installed" in result.stdout


def test_unknown_mode_is_refused(tmp_path):
    result, pip = _install(tmp_path, "rocm")
    assert result.returncode == 2 and pip == [] and "auto, cpu or cuda" in result.stderr


def test_makefile_runs_the_script_before_installing_the_package():
    makefile = (ROOT / "Makefile").read_text()
    assert "bash scripts/install_torch.sh $(BIN)/python $(TORCH)" in makefile
    assert "TORCH ?= auto" in makefile
    assert "$(VENV)/.installed-%: $(VENV)/.torch" in makefile
