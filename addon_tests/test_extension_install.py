"""The built zip installs into Blender like a user's would, and enabling/disabling leaks nothing.

The zip is built with Blender's own extension tool (scripts/setup/build_extension.py), then installed with
``bpy.ops.extensions.package_install_files`` into the *User Default* repository. That happens in a
separate ``bpy`` process whose user folders (config, scripts, extensions) all point into a temporary
folder, so the real user's Blender setup is never read or written, and the pytest process's own
``bpy`` (shared by the other tests) never sees the extension.

This file is also the probe that the separate process runs: ``python test_extension_install.py ZIP
REPORT.json`` installs, enables, disables and re-enables, and writes what it saw; the tests below
judge the report.
"""

import json
import os
import subprocess
import sys
import zipfile

PACKAGE_ID = "neural_render_suite"
REPO_MODULE = "user_default"
MODULE_NAME = f"bl_ext.{REPO_MODULE}.{PACKAGE_ID}"
CYCLES = 2  # disable/re-enable rounds

# Every user folder Blender knows an override for; all of them go into the test's temporary folder.
USER_FOLDER_VARIABLES = {
    "BLENDER_USER_RESOURCES": "",
    "BLENDER_USER_CONFIG": "config",
    "BLENDER_USER_SCRIPTS": "scripts",
    "BLENDER_USER_EXTENSIONS": "extensions",
    "BLENDER_USER_DATAFILES": "datafiles",
}


# ---------------------------------------------------------------------------------------------------
# The probe: runs in its own bpy process (never imported by pytest's bpy-using code paths).

def _snapshot(package_prefix):
    """Everything an add-on can leave registered in Blender, in a JSON-friendly form."""
    import bpy

    types, props, ours = [], {}, []
    for name in dir(bpy.types):
        cls = getattr(bpy.types, name, None)
        types.append(name)
        if getattr(cls, "__module__", "").startswith(package_prefix):
            ours.append(name)
        rna = getattr(cls, "bl_rna", None)
        if rna is not None:
            props[name] = sorted(rna.properties.keys())
    operators = sorted(f"{module}.{op}" for module in dir(bpy.ops) for op in dir(getattr(bpy.ops, module)))
    handlers = {}
    for name in dir(bpy.app.handlers):
        functions = getattr(bpy.app.handlers, name)
        if isinstance(functions, list):
            handlers[name] = [f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', f)}"
                              for f in functions]
    keyconfig = bpy.context.window_manager.keyconfigs.addon
    keymap_items = sum(len(km.keymap_items) for km in keyconfig.keymaps) if keyconfig else 0
    return {"types": types, "props": props, "ours": ours, "operators": operators,
            "handlers": handlers, "keymap_items": keymap_items,
            "timers": _registered_timers(package_prefix)}


def _registered_timers(package_prefix):
    """Functions of our modules that are registered as bpy.app.timers (timers can't be listed)."""
    import bpy
    import types

    found = []
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(package_prefix):
            continue
        for name, value in list(vars(module).items()):
            candidates = [value]
            if isinstance(value, type):
                candidates = [vars(value)[attr] for attr in vars(value)]
            for function in candidates:
                if isinstance(function, (types.FunctionType, types.MethodType)):
                    if bpy.app.timers.is_registered(function):
                        found.append(f"{module_name}.{name}")
    return sorted(set(found))


def _class_states(module):
    """For each class in the add-on's CLASSES: (name, is it registered as Blender sees it).

    ``is_registered`` is Blender's own flag; where Blender also offers a lookup by name it must agree:
    operators through ``bpy.ops.<category>.<name>``, UI classes (panels, menus, lists) through
    ``bpy.types``. Property groups and add-on preferences have no such lookup.
    """
    import bpy

    ui_bases = (bpy.types.Panel, bpy.types.Menu, bpy.types.UIList, bpy.types.Header)
    states = []
    for cls in module.CLASSES:
        registered = cls.is_registered
        label = cls.__name__
        if issubclass(cls, bpy.types.Operator):
            label = f"{cls.__name__} ({cls.bl_idname})"
            category, _, op_name = cls.bl_idname.partition(".")
            try:
                getattr(getattr(bpy.ops, category), op_name).get_rna_type()
            except (KeyError, AttributeError):
                registered = False
        elif issubclass(cls, ui_bases):
            registered = registered and hasattr(bpy.types, getattr(cls, "bl_idname", cls.__name__))
        states.append([label, registered])
    return states


def _installed_files(directory):
    files = []
    for root, _dirs, names in os.walk(directory):
        for name in names:
            files.append(os.path.relpath(os.path.join(root, name), directory).replace(os.sep, "/"))
    return sorted(files)


def probe(zip_path, report_path):
    import bpy  # first: importing bpy puts Blender's script modules (addon_utils) on sys.path
    import addon_utils

    report = {"user_config": bpy.utils.user_resource("CONFIG"),
              "user_scripts": bpy.utils.user_resource("SCRIPTS"),
              "error": None, "stage": "install"}

    def save():
        with open(report_path, "w", encoding="utf-8") as file:
            json.dump(report, file, indent=1)

    def raise_error(error):
        raise error

    repo = next((r for r in bpy.context.preferences.extensions.repos if r.module == REPO_MODULE), None)
    if repo is None:
        report["error"] = f"no '{REPO_MODULE}' extension repository in this Blender"
        return save()
    report["repo_directory"] = repo.directory
    prefix = MODULE_NAME
    baseline = _snapshot(prefix)
    installed = os.path.join(repo.directory, PACKAGE_ID)
    try:
        try:
            bpy.ops.extensions.package_install_files(filepath=zip_path, repo=REPO_MODULE,
                                                     enable_on_install=True)
        finally:
            # Enabling can fail after the files were installed: their list is still worth judging.
            if os.path.isdir(installed):
                report["installed_files"] = _installed_files(installed)
        module = sys.modules.get(MODULE_NAME)
        if module is None:
            report["error"] = f"{MODULE_NAME} was not imported by the install"
            return save()
        report["enabled_in_preferences"] = MODULE_NAME in bpy.context.preferences.addons
        addon = bpy.context.preferences.addons.get(MODULE_NAME)
        report["has_preferences"] = addon is not None and addon.preferences is not None
        report["classes"] = [_class_states(module)]
        enabled = _snapshot(prefix)
        report["rounds"] = []
        for round_number in range(1, CYCLES + 1):
            # Filled in as it goes, so a failing re-enable still reports what disable left behind.
            this_round = {}
            report["rounds"].append(this_round)
            report["stage"] = f"disable #{round_number}"
            addon_utils.disable(MODULE_NAME, default_set=True, handle_error=raise_error)
            this_round["disabled_classes"] = _class_states(module)
            this_round["disabled_in_preferences"] = MODULE_NAME in bpy.context.preferences.addons
            this_round["leaks"] = _leaks(baseline, _snapshot(prefix))
            report["stage"] = f"re-enable #{round_number}"
            addon_utils.enable(MODULE_NAME, default_set=True, handle_error=raise_error)
            this_round["enabled_classes"] = _class_states(module)
            this_round["missing_after_enable"] = _leaks(_snapshot(prefix), enabled)
        report["stage"] = "done"
    except Exception as error:  # reported with its stage; the test shows it
        report["error"] = f"{type(error).__name__}: {error}"
    return save()


def _leaks(before, after):
    """What ``after`` has that ``before`` has not (types, operators, properties, handlers, …)."""
    leaks = []
    leaks += [f"bpy.types.{name}" + (" (defined by the add-on)" if name in after["ours"] else "")
              for name in sorted(set(after["types"]) - set(before["types"]))]
    leaks += [f"bpy.ops.{name}" for name in sorted(set(after["operators"]) - set(before["operators"]))]
    for type_name, names in after["props"].items():
        extra = set(names) - set(before["props"].get(type_name, names))
        leaks += [f"bpy.types.{type_name}.{name}" for name in sorted(extra)]
    for handler, functions in after["handlers"].items():
        extra = list(functions)
        for function in before["handlers"].get(handler, []):
            if function in extra:
                extra.remove(function)
        leaks += [f"bpy.app.handlers.{handler}: {function}" for function in extra]
    if after["keymap_items"] > before["keymap_items"]:
        leaks.append(f"{after['keymap_items'] - before['keymap_items']} add-on keymap items")
    leaks += [f"bpy.app.timers: {name}" for name in after["timers"] if name not in before["timers"]]
    return leaks


if __name__ == "__main__":
    probe(sys.argv[1], sys.argv[2])
    sys.exit(0)


# ---------------------------------------------------------------------------------------------------
# The tests (pytest side).

import pytest  # noqa: E402  (the probe above runs without pytest)

from setup import build_extension  # noqa: E402  (scripts/ is on sys.path: pytest.ini)


def isolated_blender_env(home):
    env = dict(os.environ)
    for variable, folder in USER_FOLDER_VARIABLES.items():
        env[variable] = os.path.join(str(home), folder) if folder else str(home)
    return env


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    return build_extension.build_extension(str(tmp_path_factory.mktemp("dist")))


@pytest.fixture(scope="module")
def blender_home(tmp_path_factory):
    return tmp_path_factory.mktemp("blender-user")


@pytest.fixture(scope="module")
def report(built_zip, blender_home):
    report_path = os.path.join(str(blender_home), "report.json")
    done = subprocess.run([sys.executable, os.path.abspath(__file__), built_zip, report_path],
                          env=isolated_blender_env(blender_home), capture_output=True, text=True,
                          timeout=600)
    output = f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    assert done.returncode == 0 and os.path.isfile(report_path), f"the install probe crashed\n{output}"
    with open(report_path, encoding="utf-8") as file:
        data = json.load(file)
    data["output"] = output
    return data


def section(report, key):
    """A part of the report, or a failure saying where the probe stopped and why."""
    if key not in report:
        pytest.fail(f"the probe stopped at '{report['stage']}' before '{key}': {report['error']}\n"
                    f"{report['output']}")
    return report[key]


def test_zip_root_is_the_manifest_and_the_addon_package(built_zip):
    names = zipfile.ZipFile(built_zip).namelist()
    assert os.path.basename(built_zip) == "neural_render_suite-0.1.0.zip"
    for required in ("blender_manifest.toml", "__init__.py", "blender/__init__.py", "blender/stylegan/__init__.py",
                     "worker/__init__.py", "worker/main.py", "protocol/__init__.py"):
        assert required in names, f"{required} missing from the zip's root; it holds: {names}"
    unwanted = [name for name in names
                if name.startswith(("addon/", "addon_tests/", "tests/", "scripts/", "docs/", ".venv/",
                                    ".git/", "dist/"))
                or "__pycache__/" in name or name.endswith(".pyc") or "/." in f"/{name}"]
    assert not unwanted, f"the zip ships files that are not part of the add-on: {unwanted}"


def test_build_command_prints_the_zip_path(tmp_path):
    script = os.path.join(os.path.dirname(build_extension.__file__), "build_extension.py")
    done = subprocess.run([sys.executable, script, "--output-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "neural_render_suite-0.1.0.zip")
    assert zipfile.is_zipfile(done.stdout.strip())


def test_build_fails_with_one_line_naming_the_manifest(tmp_path):
    with open(build_extension.MANIFEST, encoding="utf-8") as file:
        text = file.read()
    assert 'tags = ["Render", "Compositing"]' in text
    bad = tmp_path / "blender_manifest.toml"
    bad.write_text(text.replace('tags = ["Render", "Compositing"]', 'tags = ["Render", "Neural Magic"]'),
                   encoding="utf-8")
    with pytest.raises(build_extension.BuildError) as caught:
        build_extension.build_extension(str(tmp_path / "out"), manifest_path=str(bad))
    message = str(caught.value)
    assert "\n" not in message
    assert "Neural Magic" in message and str(bad) in message, message
    assert not (tmp_path / "out" / "neural_render_suite-0.1.0.zip").exists()


def test_install_uses_only_the_temporary_user_folders(report, blender_home):
    home = str(blender_home)
    for key in ("repo_directory", "user_config", "user_scripts"):
        value = section(report, key)
        assert value.startswith(home), f"{key} is {value}, outside the test's {home}"


def test_installed_package_has_worker_and_protocol_and_no_dev_files(report):
    files = section(report, "installed_files")
    for required in ("__init__.py", "blender_manifest.toml", "worker/main.py", "protocol/__init__.py",
                     "blender/worker_env.py"):
        assert required in files, f"{required} is not in the installed extension: {files}"
    dev_files = [f for f in files if f.split("/")[0] in ("tests", "addon_tests", "scripts", "docs")]
    assert not dev_files, f"development files were installed: {dev_files}"


def test_enabling_registers_every_class(report):
    assert section(report, "enabled_in_preferences"), "enable_on_install did not enable the add-on"
    assert report["has_preferences"], "the add-on's preferences are not available after enabling"
    classes = section(report, "classes")[0]
    assert classes, "the add-on's CLASSES is empty"
    missing = [name for name, registered in classes if not registered]
    assert not missing, f"listed in CLASSES but not registered after enabling: {missing}"


@pytest.mark.parametrize("round_number", range(1, CYCLES + 1))
def test_disable_removes_everything_and_enable_brings_it_back(report, round_number):
    rounds = section(report, "rounds")
    if len(rounds) < round_number:
        section(report, f"round {round_number}")  # fails, saying where the probe stopped
    this_round = rounds[round_number - 1]
    round_report = {**report, **this_round}  # so ``section`` can say where the probe stopped
    still = [name for name, registered in section(round_report, "disabled_classes") if registered]
    assert not still, f"still registered after disable #{round_number}: {still}"
    assert not this_round["leaks"], f"left behind after disable #{round_number}: {this_round['leaks']}"
    assert not this_round["disabled_in_preferences"], "the add-on stayed in the preferences after disable"
    missing = [name for name, registered in section(round_report, "enabled_classes") if not registered]
    assert not missing, f"not registered again after re-enable #{round_number}: {missing}"
    assert not this_round["missing_after_enable"], (
        f"registered after the first enable but not after re-enable #{round_number}: "
        f"{this_round['missing_after_enable']}")


def test_the_probe_finished_without_errors(report):
    assert report["error"] is None, f"probe failed at '{report['stage']}': {report['error']}\n{report['output']}"
