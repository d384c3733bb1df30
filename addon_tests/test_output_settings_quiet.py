"""Switching a scene's output to EXR and back (render capture, light-stage capture) puts every setting
back and does not make Blender warn: reading the output's linear colour space while it is unset (no
colour override) prints "current value '-1' matches no enum", which the demo used to show."""

import os
import subprocess
import sys

SCRIPT = r'''
import sys
sys.path.insert(0, sys.argv[1])
import addon_path
addon_path.install()
import bpy
from neural_render.blender import render_capture
from neural_render.blender.relight import capture
for override in (False, True):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    settings = scene.render.image_settings
    if override:
        settings.color_management = "OVERRIDE"
        settings.linear_colorspace_settings.name = "ACEScg"
    before = (settings.file_format, settings.color_depth, settings.color_management)
    for switch in (render_capture._exr_output, capture._exr_output):
        with switch(scene):
            assert settings.file_format == "OPEN_EXR"
        after = (settings.file_format, settings.color_depth, settings.color_management)
        assert after == before, (after, before)
        if override:
            assert settings.linear_colorspace_settings.name == "ACEScg"
print("settings restored")
'''


def test_the_exr_output_switch_restores_settings_without_blender_warnings(tmp_path):
    scripts = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
    path = tmp_path / "switch.py"
    path.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(path), scripts], capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "settings restored" in done.stdout, output
    assert "matches no enum" not in output, output
