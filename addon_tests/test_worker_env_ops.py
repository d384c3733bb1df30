"""The 'Set Up Worker Environment' operator, headless: its synchronous path end to end.

It runs in a separate ``bpy`` process whose user folders all point into a temporary folder: the
operator writes the environment into Blender's user directory, which must not be the real user's.
The packages are swapped for the small ``six`` through the operator's ``packages`` property (the real
torch index is out of reach here); everything else is the code path a user's click takes after the
modal part. This file is also the script that process runs (see ``run_operator``).
"""

import json
import os
import subprocess
import sys

SCRIPTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
MISSING = "neural-render-nonexistent-pkg-xyz"


def run_operator(report_path):
    """In the separate process: register the operator, run it twice (works, fails), report."""
    sys.path.insert(0, SCRIPTS_DIR)
    import addon_path
    addon_path.install()

    import bpy
    from neural_render.blender import worker_env_ops, worker_session

    report = {"background": bpy.app.background}
    for cls in worker_env_ops.CLASSES:
        bpy.utils.register_class(cls)
    try:
        report["result"] = sorted(bpy.ops.neural_render.setup_worker_env(packages="six"))
        report["target_dir"] = worker_env_ops.target_dir()
        report["prepared_python"] = worker_session.prepared_env_python()
        report["running_after"] = worker_env_ops.is_running()
        try:
            bpy.ops.neural_render.setup_worker_env(packages=MISSING)
            report["failure"] = None
        except RuntimeError as error:  # an operator's ERROR report raises when called from Python
            report["failure"] = str(error)
    finally:
        for cls in reversed(worker_env_ops.CLASSES):
            bpy.utils.unregister_class(cls)
    report["registered_after_unregister"] = "setup_worker_env" in dir(bpy.ops.neural_render)
    with open(report_path, "w", encoding="utf-8") as file:
        json.dump(report, file)


if __name__ == "__main__":
    run_operator(sys.argv[1])
    sys.exit(0)


import pytest  # noqa: E402  (the script above runs without pytest)


@pytest.fixture(scope="module")
def blender_home(tmp_path_factory):
    return tmp_path_factory.mktemp("blender-user")


@pytest.fixture(scope="module")
def report(blender_home):
    home = str(blender_home)
    env = dict(os.environ)
    env["BLENDER_USER_RESOURCES"] = home
    for variable, folder in (("BLENDER_USER_CONFIG", "config"), ("BLENDER_USER_SCRIPTS", "scripts"),
                             ("BLENDER_USER_EXTENSIONS", "extensions"),
                             ("BLENDER_USER_DATAFILES", "datafiles")):
        env[variable] = os.path.join(home, folder)
    report_path = os.path.join(home, "report.json")
    done = subprocess.run([sys.executable, os.path.abspath(__file__), report_path], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and os.path.isfile(report_path), (
        f"the operator script crashed\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}")
    with open(report_path, encoding="utf-8") as file:
        data = json.load(file)
    data["stdout"] = done.stdout
    return data


def test_runs_synchronously_and_finishes_in_background_mode(report):
    assert report["background"]
    assert report["result"] == ["FINISHED"]
    assert not report["running_after"], "execute returned while the setup was still running"
    # Background mode has no status bar: progress goes to stdout instead.
    assert "Neural Render:   0% Creating the virtual environment" in report["stdout"], report["stdout"]


def test_environment_lands_where_the_worker_session_looks(report, blender_home):
    assert report["target_dir"].startswith(str(blender_home)), report["target_dir"]
    assert report["prepared_python"].startswith(report["target_dir"])
    done = subprocess.run([report["prepared_python"], "-c", "import six"], capture_output=True, text=True)
    assert done.returncode == 0, f"the prepared Python cannot import what was installed: {done.stderr}"


def test_failure_is_reported_as_one_line_with_the_log(report):
    assert report["failure"] is not None, "a failed setup returned without an error report"
    failure = report["failure"].strip()
    assert "\n" not in failure
    assert f"No matching distribution found for {MISSING}" in failure, failure
    log_path = failure.rsplit("(log: ", 1)[1].rstrip(")")
    assert os.path.isfile(log_path), f"the log named in the error does not exist: {log_path}"
    # The environment from the first run still works.
    assert subprocess.run([report["prepared_python"], "-c", "import six"]).returncode == 0


def test_unregisters_cleanly(report):
    assert not report["registered_after_unregister"]
