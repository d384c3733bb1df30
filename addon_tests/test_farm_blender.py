"""Write Farm Job in the real bpy: a scene whose animation is rendered on disk becomes a Deadline Cloud
job bundle and a Flamenco job; the bundle runs with ``openjd run``; a scene that is not ready is refused
with a message, and nothing in the scene changes."""

import json
import math
import os
import shutil
import subprocess
import sys

import pytest

from farm_fixtures import CLI, FRAMES, run_cli, shot  # noqa: F401

bpy = pytest.importorskip("bpy")


@pytest.fixture
def rendered_scene(addon, shot, tmp_path):
    """The scene set to render multilayer EXRs with the Vector pass into tmp/render/, its frames there
    (the test shot, put where Blender would have written it), and a style image on disk."""
    from fixtures.sample_styles import brush_painting
    from neural_render.worker.imageio.files import write_image
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, FRAMES
    scene.render.image_settings.media_type = "MULTI_LAYER_IMAGE"
    scene.render.image_settings.file_format = "OPEN_EXR_MULTILAYER"
    scene.render.filepath = str(tmp_path / "render" / "frame_####")
    bpy.context.view_layer.use_pass_vector = True
    for frame in range(1, FRAMES + 1):
        target = scene.render.frame_path(frame=frame)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(shot, f"frame_{frame:04d}.exr"), target)
    style_path = tmp_path / "oil.png"
    write_image(str(style_path), brush_painting(96, 96, seed=2))
    settings = scene.neural_render_stylize
    settings.styles.add().image = bpy.data.images.load(str(style_path))
    settings.output_directory = str(tmp_path / "stylized")
    return scene


def _write(capability, folder):
    return bpy.ops.neural_render.write_farm_job("EXEC_DEFAULT", capability=capability, directory=str(folder))


def test_a_rendered_shot_becomes_a_deadline_bundle_and_a_flamenco_job(rendered_scene, tmp_path):
    scene = rendered_scene
    scene.neural_render_farm.neural_render_cli = CLI
    scene.neural_render_farm.python = sys.executable
    assert _write("STYLIZE", tmp_path / "farm") == {"FINISHED"}
    job = tmp_path / "farm" / "stylize"
    listed = json.loads((job / "deadline" / "parameter_values.json").read_text())["parameterValues"]
    values = {entry["name"]: entry["value"] for entry in listed}
    assert values["Frames"] == str(tmp_path / "render")
    assert values["FrameStart"] == 1 and values["FrameEnd"] == FRAMES
    assert values["Preset"] == "instant", "the panel's animation preset"
    assert values["Temporal"] == "--temporal" and values["OutputDir"] == str(tmp_path / "stylized")
    assert os.path.isfile(values["Style"]) and os.path.dirname(values["Style"]) == str(job), "the style travels"
    template = json.loads((job / "deadline" / "template.json").read_text())
    assert template["specificationVersion"] == "jobtemplate-2023-09"
    flamenco_job = json.loads((job / "flamenco_job.json").read_text())
    assert flamenco_job["type"] == "neural-render-stylize"
    assert flamenco_job["settings"]["frames"] == values["Frames"] and flamenco_job["settings"]["temporal"] is True
    # The bundle runs as written (here: the first four frames, two tasks).
    values.update(FrameEnd=4, ChunkSize=2)
    done = subprocess.run([sys.executable, "-m", "openjd", "run", str(job / "deadline" / "template.json"),
                           "--job-param", json.dumps(values)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert sorted(os.listdir(tmp_path / "stylized")) == [f"frame_{number:04d}.exr" for number in range(1, 5)]


def test_a_shot_that_is_not_ready_is_refused_with_what_to_do(rendered_scene, tmp_path):
    scene = rendered_scene
    scene.frame_end = FRAMES + 1
    with pytest.raises(RuntimeError, match="render the animation first"):
        _write("STYLIZE", tmp_path / "farm")
    scene.frame_end = FRAMES
    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    with pytest.raises(RuntimeError, match="OpenEXR MultiLayer"):
        _write("STYLIZE", tmp_path / "farm")
    with pytest.raises(RuntimeError, match="light-stage set folder"):
        _write("RELIGHT", tmp_path / "farm")
    with pytest.raises(RuntimeError, match="GAN model file"):
        _write("GAN_WALK", tmp_path / "farm")
    assert not (tmp_path / "farm").exists(), "nothing is written for a refused job"


def _turning_world(scene, hdri):
    """The scene's world: the HDRI through a Mapping node keyframed from 0 to 90 degrees about Z over
    frames 1-5."""
    world = bpy.data.worlds.new("sky")
    scene.world = world
    tree = world.node_tree
    environment = tree.nodes.new("ShaderNodeTexEnvironment")
    environment.image = bpy.data.images.load(hdri)
    mapping = tree.nodes.new("ShaderNodeMapping")
    coordinates = tree.nodes.new("ShaderNodeTexCoord")
    tree.links.new(coordinates.outputs["Generated"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], environment.inputs["Vector"])
    tree.links.new(environment.outputs["Color"], tree.nodes["Background"].inputs["Color"])
    rotation = mapping.inputs["Rotation"]
    for frame, degrees in ((1, 0.0), (5, 90.0)):
        rotation.default_value = (0.0, 0.0, math.radians(degrees))
        rotation.keyframe_insert("default_value", frame=frame)
    return world


def test_the_world_animation_is_written_frame_by_frame_and_the_scene_left_as_it_was(addon, tmp_path, hdri_paths):
    from fixtures.analytic_light_set import write_lambertian_sphere_set
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end, scene.frame_current = 1, 5, 3
    _turning_world(scene, hdri_paths[0])
    scene.neural_render_relight.set_dir = str(write_lambertian_sphere_set(tmp_path / "set"))
    assert _write("RELIGHT", tmp_path / "farm") == {"FINISHED"}
    rows = json.loads((tmp_path / "farm" / "relight" / "world_animation.json").read_text())
    assert [row["frame"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["rotation"] == pytest.approx(0.0, abs=1e-4) and rows[-1]["rotation"] == pytest.approx(90.0, abs=1e-4)
    assert all(a["rotation"] < b["rotation"] for a, b in zip(rows, rows[1:])), "the keyframed turn, frame by frame"
    assert scene.frame_current == 3, "the current frame is restored"
    # The written job relights those frames, and the farm's result is one neural-render process's.
    listed = json.loads((tmp_path / "farm" / "relight" / "deadline" / "parameter_values.json").read_text())["parameterValues"]
    values = {entry["name"]: entry["value"] for entry in listed}
    assert values["World"] == hdri_paths[0]
    run_cli("relight-sequence", "--set", values["LightSet"], "--world", values["World"], "--animation",
            values["WorldAnimation"], "--out", str(tmp_path / "relit" / "f_####.exr"))
    assert sorted(os.listdir(tmp_path / "relit")) == [f"f_{number:04d}.exr" for number in range(1, 6)]


def test_a_relight_image_job_carries_the_image_the_world_s_turn_and_the_panel_s_settings(addon, tmp_path, hdri_paths):
    from neural_render.worker.imageio.files import write_image
    import numpy as np
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 5
    _turning_world(scene, hdri_paths[1])
    pixels = np.zeros((40, 48, 4), np.float32)
    pixels[8:32, 10:38] = (0.6, 0.4, 0.2, 1.0)
    write_image(str(tmp_path / "product.png"), pixels)
    panel = scene.neural_render_relight_image
    with pytest.raises(RuntimeError, match="Choose the image in the Relight Image panel"):
        _write("RELIGHT_IMAGE", tmp_path / "farm")
    panel.image = bpy.data.images.load(str(tmp_path / "product.png"))
    panel.matte = panel.image
    with pytest.raises(RuntimeError, match="takes the subject from the image's alpha"):
        _write("RELIGHT_IMAGE", tmp_path / "farm")
    assert not os.path.exists(tmp_path / "farm" / "relight_image"), "nothing written for a refused job"
    panel.matte = None
    panel.background, panel.network_side = "world", 64
    assert _write("RELIGHT_IMAGE", tmp_path / "farm") == {"FINISHED"}
    job = tmp_path / "farm" / "relight_image"
    values, summary = _summary_of_written_job(job)
    assert values["Image"] == str(tmp_path / "product.png") and values["World"] == hdri_paths[1]
    assert (values["Background"], values["NetworkSide"]) == ("world", 64)
    rows = json.loads((job / "world_animation.json").read_text())
    assert [round(row["rotation"]) for row in (rows[0], rows[-1])] == [0, 90]
    assert "Relight Image" in json.dumps(summary)
    run_cli("relight-image-sequence", "--in", values["Image"], "--world", values["World"], "--animation",
            values["WorldAnimation"], "--background", "world", "--network-side", "64",
            "--out", str(tmp_path / "relit" / "f_####.exr"))
    assert sorted(os.listdir(tmp_path / "relit")) == [f"f_{number:04d}.exr" for number in range(1, 6)]


def _summary_of_written_job(job):
    """``openjd summary`` of the written bundle with its values: the job is created, every value accepted."""
    listed = json.loads((job / "deadline" / "parameter_values.json").read_text())["parameterValues"]
    values = dict({entry["name"]: entry["value"] for entry in listed}, NeuralRenderCli=CLI)
    done = subprocess.run([sys.executable, "-m", "openjd", "summary", str(job / "deadline" / "template.json"),
                           "--job-param", json.dumps(values), "--output", "json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return values, json.loads(done.stdout)


def test_colorize_and_gan_walk_jobs_carry_their_panels_settings(rendered_scene, tmp_path):
    scene = rendered_scene
    scene.neural_render_colorize.temperature = 0.2
    scene.neural_render_colorize.seamless = True
    assert _write("COLORIZE", tmp_path / "farm") == {"FINISHED"}
    values, summary = _summary_of_written_job(tmp_path / "farm" / "colorize")
    assert values["Temperature"] == pytest.approx(0.2) and values["Seamless"] == "--seamless"
    assert values["Frames"] == str(tmp_path / "render") and (values["FrameStart"], values["FrameEnd"]) == (1, FRAMES)
    assert "Colorize" in json.dumps(summary)
    # A GAN walk: the model from the GAN panel, frames 0 .. count x frames between - 1.
    from gan_fixtures import brick_texture
    from neural_render.worker.imageio.files import write_image
    write_image(str(tmp_path / "bricks.png"), brick_texture(64, 64))
    run_cli("gan-train", "--exemplar", str(tmp_path / "bricks.png"), "--out", str(tmp_path / "m.nrgan"),
            "--steps", "1", "--crop-size", "32", "--batch-size", "2")
    gan = scene.neural_render_gan
    gan.model_path, gan.count, gan.seed = str(tmp_path / "m.nrgan"), 3, 5
    assert _write("GAN_WALK", tmp_path / "farm") == {"FINISHED"}
    values, _ = _summary_of_written_job(tmp_path / "farm" / "gan_walk")
    assert (values["Count"], values["Seed"], values["FrameStart"]) == (3, 5, 0)
    assert values["FrameEnd"] == 3 * values["WalkFrames"] - 1
    flamenco_job = json.loads((tmp_path / "farm" / "gan_walk" / "flamenco_job.json").read_text())
    assert flamenco_job["type"] == "neural-render-gan-walk" and flamenco_job["settings"]["count"] == 3
