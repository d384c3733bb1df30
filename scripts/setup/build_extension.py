#!/usr/bin/env python3
"""Build the installable extension zip: ``dist/neural_render-<version>.zip``.

The extension's package is the ``addon/`` folder while the manifest sits at the repository root, and
Blender's extension tool packs exactly one folder whose root holds ``blender_manifest.toml``. So the
manifest and the contents of ``addon/`` are staged in a temporary folder, the tool builds the zip from
there (applying the manifest's ``paths_exclude_pattern``) and then validates the finished zip.

Blender's tool is used, not a hand-made zip, so what it accepts is what Blender's installer accepts.
It ships in the ``bpy`` wheel (``bpy/<version>/scripts/addons_core/bl_pkg/cli/blender_ext.py``) and in
every Blender (``blender --command extension``); either works.

    python scripts/setup/build_extension.py [--output-dir DIR] [--blender PATH]

Prints the zip's path; exits 0, or 1 with a one-line error on stderr.
"""

import argparse
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # scripts/setup/..
MANIFEST = os.path.join(REPO_ROOT, "blender_manifest.toml")
ADDON_DIR = os.path.join(REPO_ROOT, "addon")
DEFAULT_OUTPUT_DIR = os.path.join(REPO_ROOT, "dist")

# Where the tool and Blender's list of extension tags live inside a Blender scripts folder.
_TOOL_IN_SCRIPTS = os.path.join("addons_core", "bl_pkg", "cli", "blender_ext.py")
_TAGS_IN_SCRIPTS = os.path.join("modules", "_bpy_internal", "extensions", "tags.py")


class BuildError(Exception):
    """The zip could not be built or did not validate; the message is one line."""


def read_manifest(path=MANIFEST):
    with open(path, "rb") as file:
        manifest = tomllib.load(file)
    missing = [key for key in ("id", "version") if key not in manifest]
    if missing:
        raise BuildError(f"{path}: missing {', '.join(missing)}")
    return manifest


def zip_name(manifest):
    return f"{manifest['id']}-{manifest['version']}.zip"


def _bpy_scripts_dir():
    """The scripts folder of the installed ``bpy`` module, found without importing bpy (slow)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        return None
    for package_dir in spec.submodule_search_locations:
        for scripts in sorted(glob.glob(os.path.join(package_dir, "[0-9]*.[0-9]*", "scripts"))):
            if os.path.isfile(os.path.join(scripts, _TOOL_IN_SCRIPTS)):
                return scripts
    return None


def tool_command(blender=None):
    """The command prefix that runs Blender's extension tool (subcommand and arguments follow).

    With the ``bpy`` module the tool runs as a plain script; it then needs Blender's tag list passed
    explicitly, which ``blender --command extension`` applies by itself.
    """
    if blender:
        return [blender, "--factory-startup", "--command", "extension"]
    scripts = _bpy_scripts_dir()
    if scripts is None:
        raise BuildError("Blender's extension tool not found: install the bpy module in this Python "
                         "or pass --blender /path/to/blender")
    return [sys.executable, os.path.join(scripts, _TOOL_IN_SCRIPTS),
            "--valid-tags", os.path.join(scripts, _TAGS_IN_SCRIPTS)]


def _with_subcommand(prefix, subcommand):
    """Insert the subcommand before options: the tool's ``--valid-tags`` belongs to the subcommand."""
    if "--valid-tags" in prefix:
        at = prefix.index("--valid-tags")
        return [*prefix[:at], subcommand, *prefix[at:]]
    return [*prefix, subcommand]


def _run_tool(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise BuildError(_one_line_error(done.stdout + "\n" + done.stderr))
    return done.stdout


def _one_line_error(output):
    """The tool's first error line, else its last line: what a person needs to fix the manifest."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line
    return lines[-1] if lines else "Blender's extension tool failed without a message"


def stage_package(stage_dir, manifest_path=MANIFEST, addon_dir=ADDON_DIR):
    """Copy the manifest and the contents of addon/ into ``stage_dir`` (the zip's future root)."""
    shutil.copy2(manifest_path, os.path.join(stage_dir, "blender_manifest.toml"))
    # Caches are skipped here already (they can be large); the manifest's patterns filter the rest.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for entry in os.listdir(addon_dir):
        source = os.path.join(addon_dir, entry)
        target = os.path.join(stage_dir, entry)
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=ignore)
        elif not entry.endswith(".pyc"):
            shutil.copy2(source, target)


def build_extension(output_dir=DEFAULT_OUTPUT_DIR, blender=None, manifest_path=MANIFEST,
                    addon_dir=ADDON_DIR):
    """Build and validate the extension zip in ``output_dir``; return the zip's path.

    ``manifest_path`` and ``addon_dir`` exist for tests that build a deliberately broken package.
    """
    manifest = read_manifest(manifest_path)
    output_dir = os.path.abspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    zip_path = os.path.join(output_dir, zip_name(manifest))
    prefix = tool_command(blender)
    with tempfile.TemporaryDirectory(prefix="neural-render-build-") as stage_dir:
        stage_package(stage_dir, manifest_path, addon_dir)
        try:
            _run_tool([*_with_subcommand(prefix, "build"),
                       "--source-dir", stage_dir, "--output-filepath", zip_path])
        except BuildError as error:
            # Name the manifest the person edits, not its staged copy that is about to vanish.
            staged = os.path.join(stage_dir, "blender_manifest.toml")
            raise BuildError(str(error).replace(staged, os.path.abspath(manifest_path))) from None
    if not os.path.isfile(zip_path):
        raise BuildError(f"Blender's extension tool reported success but wrote no {zip_path}")
    _run_tool([*_with_subcommand(prefix, "validate"), zip_path])
    return zip_path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build dist/neural_render-<version>.zip for Blender.")
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, help="where the zip goes (default: dist/)")
    parser.add_argument("--blender", help="a Blender executable to build with instead of the bpy module")
    args = parser.parse_args(argv)
    try:
        print(build_extension(args.output_dir, blender=args.blender))
    except (BuildError, OSError, subprocess.TimeoutExpired, tomllib.TOMLDecodeError) as error:
        print(f"build_extension: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
