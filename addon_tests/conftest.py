"""Shared pytest setup: import the add-on's packages as ``neural_render.*`` without Blender's __init__
(scripts/addon_path.py)."""

import os
import sys

import pytest

import addon_path  # scripts/ is on sys.path: pytest.ini's ``pythonpath``

addon_path.install()


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long quality runs; CI skips them with -m 'not slow'")


@pytest.fixture(scope="session")
def bpy_data_dir():
    """The datafiles folder of the installed bpy module (HDRIs, matcaps)."""
    import importlib.util
    spec = importlib.util.find_spec("bpy")
    return os.path.join(os.path.dirname(spec.origin), "5.0", "datafiles")


@pytest.fixture(scope="session")
def hdri_paths(bpy_data_dir):
    folder = os.path.join(bpy_data_dir, "studiolights", "world")
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".exr"))


@pytest.fixture(scope="module")
def addon():
    """The whole add-on registered in the bpy module for one test module (every capability's operators,
    panels and scene properties), unregistered afterwards."""
    from neural_render.blender import registration
    registration.register()
    yield
    registration.unregister()


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op thread for a test module: on a CPU shared with other processes torch's thread pool
    oversubscribes and small convolutions get ~20x slower; restored afterwards."""
    import torch
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def cli(monkeypatch):
    """``neural-render``'s ``main(argv)``. engine.ConsoleProgress binds sys.stderr when its module is
    imported; under pytest that is the first test's capture, closed by now: point it at this test's."""
    from cli import engine, main
    monkeypatch.setattr(engine.ConsoleProgress.__init__, "__defaults__", (sys.stderr,))
    return main.main
