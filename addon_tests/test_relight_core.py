"""Relighting core without Blender: sphere conventions, weights, set parsing, the GEMM engine."""

import ast
import json
import math
import os

import numpy as np
import pytest
import torch

from neural_render.protocol import sphere
from neural_render.worker.imageio.files import write_image
from neural_render.worker.relight import engine, light_sets, weights
from neural_render.worker.relight.light_sets import LightSetError
from neural_render.worker.relight.weights import Environment, Mapping


# -- directions -------------------------------------------------------------------------------
def test_equirect_convention_axes():
    uv = sphere.direction_to_uv([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
    assert np.allclose(uv[:4] % 1.0, [[0.5, 0.5], [0.25, 0.5], [0.0, 0.5], [0.75, 0.5]])  # azimuth clockwise
    assert np.allclose(uv[4:, 1], [1.0, 0.0])


def test_uv_direction_round_trip_and_texel_solid_angles():
    rng = np.random.default_rng(0)
    d = sphere.normalize(rng.normal(size=(1000, 3)))
    assert np.allclose(sphere.uv_to_direction(sphere.direction_to_uv(d)), d, atol=1e-12)
    assert math.isclose(sphere.texel_solid_angles(37, 19).sum() * 37, 4 * math.pi, rel_tol=1e-12)
    texels = sphere.texel_directions(8, 4)
    assert texels[0, 0, 2] > 0.9 and texels[-1, 0, 2] < -0.9, "row 0 is the top of the map"


def test_latlong_grid_directions_order():
    d = sphere.latlong_grid_directions(4, 2)
    assert d.shape == (8, 3)
    assert (d[:4, 2] > 0).all() and (d[4:, 2] < 0).all(), "top row first"
    az = np.degrees(np.arctan2(d[:4, 1], d[:4, 0])) % 360
    assert np.allclose(az, [45, 135, 225, 315]), "azimuth from +X towards +Y"
    clockwise = sphere.latlong_grid_directions(4, 2, clockwise=True)
    assert np.allclose(clockwise[:, 1], -d[:, 1])


# -- mapping ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["POINT", "TEXTURE", "VECTOR", "NORMAL"])
def test_orthogonal_mapping_matrix_matches_apply(kind):
    rng = np.random.default_rng(1)
    mapping = Mapping(kind, rotation=(0.3, -1.1, 2.0), scale=(2.0, -2.0, 2.0))
    matrix = mapping.orthogonal_matrix()
    assert matrix is not None and np.allclose(matrix @ matrix.T, np.eye(3))
    w = sphere.normalize(rng.normal(size=(50, 3)))
    assert np.allclose(sphere.normalize(mapping.apply(w)), w @ matrix.T)


def test_non_orthogonal_mappings_are_detected():
    assert Mapping(location=(0.1, 0, 0)).orthogonal_matrix() is None
    assert Mapping(scale=(1, 2, 1)).orthogonal_matrix() is None
    assert Mapping("VECTOR", location=(5, 5, 5)).orthogonal_matrix() is not None  # Vector ignores location


# -- weights ----------------------------------------------------------------------------------
def _random_map(height=32, width=64, seed=2):
    return np.random.default_rng(seed).uniform(0, 4, size=(height, width, 3)).astype(np.float32)


def test_weights_sum_to_the_maps_integral_times_strength():
    image = _random_map()
    lights = sphere.latlong_grid_directions(8, 4)
    for mapping in (Mapping(), weights.z_rotation(37), Mapping(rotation=(0.4, 0.2, -1.0), scale=(3, 3, -3))):
        w = weights.light_weights(Environment(image, strength=2.5, mapping=mapping), lights)
        assert np.allclose(w.sum(axis=0), 2.5 * weights.map_integral(image), rtol=1e-9)


def test_plain_colour_weights_are_cell_solid_angles():
    lights = sphere.latlong_grid_directions(16, 8)
    areas = sphere.cell_solid_angles(lights)
    assert math.isclose(areas.sum(), 4 * math.pi, rel_tol=1e-9)
    assert np.array_equal(sphere.cell_solid_angles(lights, nearest=weights.nearest_light), areas)
    # Cells between the polar rows are the lat-long cells: their exact area is known.
    row = 3  # elevations 0..22.5 degrees
    exact = (2 * math.pi / 16) * (math.sin(math.radians(22.5)) - 0.0)
    assert np.allclose(areas[row * 16:(row + 1) * 16], exact, rtol=0.01)
    w = weights.light_weights(Environment(None, colour=(1.0, 0.5, 0.25), strength=2.0), lights)
    assert np.allclose(w, areas[:, None] * [2.0, 1.0, 0.5])


def test_rotation_moves_a_bright_texel_to_the_rotated_light():
    """Cycles looks the map up at M w: a texel seen along t appears in world direction M^T t, so a
    Mapping turned +90 degrees about Z shows the texel 90 degrees clockwise from where it was."""
    image = np.zeros((64, 128, 3), np.float32)
    image[32, 64] = 1000.0  # just below the horizon at u = 0.5: the +X direction
    lights = sphere.latlong_grid_directions(16, 8)
    texel = sphere.texel_directions(128, 64)[32, 64]
    for degrees in (0, 90, 37):
        w = weights.light_weights(Environment(image, mapping=weights.z_rotation(degrees)), lights)
        expected = sphere.euler_xyz_matrix((0, 0, math.radians(-degrees))) @ texel
        assert np.argmax(w[:, 0]) == np.argmax(lights @ expected)


def test_general_mapping_resampling_agrees_with_the_texel_exact_path():
    d = sphere.texel_directions(512, 256)  # smooth and fine: texel noise would only test cell borders
    image = np.stack([1.5 + d[..., 0], 1.5 + d[..., 1] * d[..., 2], 1.2 + 0.5 * d[..., 2]], axis=-1)
    lights = sphere.latlong_grid_directions(8, 4)
    mapping = Mapping(rotation=(0.2, 0.1, 0.7))
    exact = weights._texel_exact_weights(image, mapping.orthogonal_matrix(), lights)
    resampled = weights._resampled_weights(image, mapping, lights)
    assert np.allclose(resampled, exact, rtol=0.01)


def test_no_aliasing_from_detail_finer_than_the_cells():
    """Thin bright stripes, far finer than a 16x8 cell: each cell gets the stripes' average whatever
    the rotation; point-sampling the map at the light directions would give 0 or 8x the mean."""
    height, width = 256, 512
    image = np.zeros((height, width, 3), np.float32)
    image[:, ::8] = 8.0  # one column in eight: mean 1
    lights = sphere.latlong_grid_directions(16, 8)
    areas = sphere.cell_solid_angles(lights)
    for degrees in (0.0, 0.3, 11.0):
        w = weights.light_weights(Environment(image, mapping=weights.z_rotation(degrees)), lights)
        assert np.allclose(w[:, 0], areas, rtol=0.02)


def test_sun_angle_is_the_disc_of_the_cells_solid_angle():
    assert math.isclose(sphere.sun_angle_for_cell(2 * math.pi), math.pi)
    angle = sphere.sun_angle_for_cell(0.01)
    assert math.isclose(2 * math.pi * (1 - math.cos(angle / 2)), 0.01, rel_tol=1e-9)
    lights = sphere.latlong_grid_directions(8, 4)
    expected = [sphere.sun_angle_for_cell(area) for area in sphere.cell_solid_angles(lights)]
    assert np.allclose(sphere.sun_angles(lights), expected)
    assert np.allclose(sphere.sun_angles(np.array([[0.0, 0.0, 1.0]])), [math.pi]), "one light: a half-sky sun at most"


@pytest.mark.parametrize("lights", [
    sphere.latlong_grid_directions(1, 1), sphere.latlong_grid_directions(4, 2),
    sphere.latlong_grid_directions(32, 16), sphere.normalize(np.random.default_rng(7).normal(size=(300, 3))),
], ids=["1x1", "4x2", "32x16", "random300"])
def test_voronoi_cell_areas_sum_to_the_sphere(lights):
    areas = sphere.cell_solid_angles(lights)
    assert areas.shape == (len(lights),) and (areas > 0).all()
    assert math.isclose(areas.sum(), 4 * math.pi, rel_tol=1e-9)


# -- light sets -------------------------------------------------------------------------------
def _write_set(folder, count=4, size=(6, 5), csv_rows=None, header="file,x,y,z"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    directions = sphere.latlong_grid_directions(count, 1) if count > 1 else np.array([[0, 0, 1.0]])
    names = []
    for index in range(count):
        name = f"l{index:02d}.exr"
        image = rng.uniform(0, 1, size=(size[1], size[0], 4)).astype(np.float32)
        image[..., 3] = 1.0
        write_image(str(folder / name), image)
        names.append(name)
    rows = csv_rows if csv_rows is not None else [f"{n},{d[0]:.9f},{d[1]:.9f},{d[2]:.9f}"
                                                  for n, d in zip(names, directions)]
    (folder / "lights.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    return folder, names, directions


def test_lights_csv_with_calibration_and_irradiance(tmp_path):
    rows = ["a.exr,1,0,0,1,2,3,2", "b.exr,0,1,0,1,1,1,0.5"]
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("a.exr", "b.exr"):
        write_image(str(folder / name), np.full((3, 4, 3), 0.5, np.float32))
    (folder / "lights.csv").write_text("file,x,y,z,r,g,b,irradiance\n" + "\n".join(rows) + "\n")
    light_set = light_sets.load_light_set(folder)
    assert light_set.count == 2 and (light_set.height, light_set.width) == (3, 4)
    assert np.allclose(light_set.scales, [[0.5, 1.0, 1.5], [2.0, 2.0, 2.0]])
    _, chunk, alpha = next(light_set.iter_chunks(2))
    assert np.allclose(chunk[0, 0], [0.25, 0.5, 0.75]) and np.allclose(alpha, 1.0)


@pytest.mark.parametrize("case, pattern", [
    ("missing", r"l01\.exr' is missing"),
    ("size", r"l02\.exr' is 7x5 but"),
    ("not_unit", r"lights\.csv' line 2 \(l00\.exr\).*not a unit vector"),
    ("not_number", r"lights\.csv' line 3: 'y' is not a number"),
    ("duplicate_direction", r"'l00\.exr' and 'l01\.exr' have the same direction"),
    ("duplicate_file", r"'l00\.exr' is listed twice"),
    ("header", r"lights\.csv': the header must be"),
    ("huge_calibration", r"lights\.csv' line 2 \(l00\.exr\): calibration .* is above 1e\+06"),
])
def test_set_errors_name_the_file(tmp_path, case, pattern):
    folder, names, directions = _write_set(tmp_path / case)
    rows = [f"{n},{d[0]:.9f},{d[1]:.9f},{d[2]:.9f}" for n, d in zip(names, directions)]
    if case == "missing":
        os.remove(folder / names[1])
    elif case == "size":
        write_image(str(folder / names[2]), np.zeros((5, 7, 3), np.float32))
    elif case == "not_unit":
        rows[0] = f"{names[0]},2,0,0"
    elif case == "not_number":
        rows[1] = f"{names[1]},0,north,0"
    elif case == "duplicate_direction":
        rows[1] = rows[1].split(",")[0] + "," + ",".join(rows[0].split(",")[1:])
    elif case == "duplicate_file":
        rows[1] = names[0] + "," + ",".join(rows[1].split(",")[1:])
    elif case == "huge_calibration":  # a valid number, but a gain that would overflow the relit sum
        rows = [row + (",1e300,1,1" if index == 0 else ",1,1,1") for index, row in enumerate(rows)]
    if case == "header":
        (folder / "lights.csv").write_text("file,x,y\n" + "\n".join(rows))
    else:
        header = "file,x,y,z,r,g,b" if case == "huge_calibration" else "file,x,y,z"
        (folder / "lights.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(LightSetError, match=pattern):
        light_sets.load_light_set(folder)


def test_folder_without_description_is_refused(tmp_path):
    with pytest.raises(LightSetError, match="neither lights.csv nor lightgrid.json"):
        light_sets.load_light_set(tmp_path)


def test_grid_sidecar_orders_files_and_checks_the_count(tmp_path):
    folder = tmp_path / "grid"
    folder.mkdir()
    for index in range(8):
        write_image(str(folder / f"img_{index}.png"), np.full((2, 2, 3), index / 8, np.float32))
    (folder / "lightgrid.json").write_text(json.dumps({"columns": 4, "rows": 2, "azimuth_origin_deg": 90}))
    light_set = light_sets.load_light_set(folder)
    assert [os.path.basename(path) for path in light_set.files] == [f"img_{i}.png" for i in range(8)]
    expected = sphere.latlong_grid_directions(4, 2, azimuth_origin_deg=90)
    assert np.allclose(light_set.directions, expected)
    (folder / "lightgrid.json").write_text(json.dumps({"columns": 3, "rows": 2}))
    with pytest.raises(LightSetError, match=r"lightgrid\.json': a 3x2 grid needs 6 images, found 8"):
        light_sets.load_light_set(folder)


# -- engine -----------------------------------------------------------------------------------
@pytest.fixture
def small_set(tmp_path):
    folder, _, _ = _write_set(tmp_path / "set", count=12, size=(9, 7))
    return light_sets.load_light_set(folder)


def _explicit_relight(light_set, w):
    images = np.stack([light_set.read_light(i)[..., :3] * light_set.scales[i] for i in range(light_set.count)])
    return np.einsum("lc,lhwc->hwc", w, images)


def test_relight_is_the_weighted_sum_and_frames_batch(small_set):
    rng = np.random.default_rng(4)
    frames = rng.uniform(0, 2, size=(5, small_set.count, 3))
    loaded = engine.load_set(small_set, "cpu")
    batched = engine.relight(loaded, frames)
    assert batched.shape == (5, 7, 9, 4)
    for index in range(5):
        assert np.allclose(batched[index, ..., :3], _explicit_relight(small_set, frames[index]), rtol=1e-5)
    assert np.allclose(batched[..., 3], 1.0)
    streamed = engine.relight_streaming(small_set, frames, lights_per_chunk=5)
    assert np.allclose(streamed, batched, rtol=1e-5)
    half = engine.relight(engine.load_set(small_set, "cpu", torch.float16), frames)
    assert np.allclose(half, batched, rtol=5e-3, atol=5e-3)


def test_low_rank_error_falls_with_rank_and_is_exact(small_set):
    loaded = engine.load_set(small_set, "cpu")
    full = engine.LowRankSet(loaded, small_set.count)
    errors = [full.relative_error(rank) for rank in range(1, small_set.count + 1)]
    assert all(a >= b for a, b in zip(errors, errors[1:])) and errors[-1] < 1e-6
    w = np.random.default_rng(5).uniform(0, 1, size=(small_set.count, 3))
    assert np.allclose(full.relight(w), engine.relight(loaded, w), rtol=1e-4, atol=1e-5)
    rank3 = engine.LowRankSet(loaded, 3)
    rgb = loaded.rgb.double()
    approx = torch.bmm(rank3.u.double(), rank3.b.double())
    measured = float(torch.linalg.norm(rgb - approx) / torch.linalg.norm(rgb))
    assert math.isclose(rank3.relative_error(), measured, rel_tol=1e-3)


def test_nearest_light_is_the_largest_cosine():
    rng = np.random.default_rng(6)
    lights = sphere.normalize(rng.normal(size=(200, 3)))
    vectors = sphere.normalize(rng.normal(size=(5000, 3)))
    best = np.max(vectors @ lights.T, axis=1)
    for found in (weights.nearest_light(vectors, lights), sphere.nearest_light(vectors, lights)):
        assert np.allclose(np.einsum("nc,nc->n", vectors, lights[found]), best, atol=1e-12)


# The sphere geometry exists once (protocol/sphere.py): the capture places and sizes its suns with the
# same functions the worker weights the set with.
_GEOMETRY = {"normalize", "direction_to_uv", "uv_to_direction", "texel_directions", "texel_solid_angles",
             "euler_xyz_matrix", "latlong_grid_directions", "cell_solid_angles", "sun_angle_for_cell", "sun_angles"}


def test_one_copy_of_the_sphere_geometry():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    defined = {}
    for top in ("addon", "scripts"):
        for root, _, files in os.walk(os.path.join(repo, top)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as handle:
                        tree = ast.parse(handle.read())
                    for node in ast.walk(tree):
                        if isinstance(node, ast.FunctionDef) and node.name in _GEOMETRY:
                            defined.setdefault(node.name, []).append(os.path.relpath(path, repo))
    assert defined == {name: [os.path.join("addon", "protocol", "sphere.py")] for name in _GEOMETRY}
    assert not os.path.exists(os.path.join(repo, "addon", "blender", "relight", "cells.py"))
    assert not os.path.exists(os.path.join(repo, "addon", "worker", "relight", "directions.py"))
    assert light_sets.sphere is sphere and weights.sphere is sphere


@pytest.mark.parametrize("name", ["../outside/secret.exr", "/etc/passwd", "link/secret.exr"])
@pytest.mark.parametrize("sidecar", ["csv", "json"])
def test_a_set_that_names_files_outside_its_folder_is_refused(tmp_path, name, sidecar):
    import json as json_module

    from neural_render.worker.relight import light_sets
    folder = tmp_path / "set"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.exr").write_bytes(b"not for the output")
    (folder / "link").symlink_to(outside)
    if sidecar == "csv":
        (folder / "lights.csv").write_text(f"file,x,y,z\n{name},0,0,1\n")
        line = "line 2"
    else:
        (folder / "lightgrid.json").write_text(json_module.dumps({"columns": 1, "rows": 1, "files": [name]}))
        line = "files[0]"
    with pytest.raises(light_sets.LightSetError) as caught:
        light_sets.load_light_set(str(folder))
    assert "outside the set's folder" in str(caught.value) and line in str(caught.value)


@pytest.mark.parametrize("grid, words", [
    ({"columns": 1, "rows": 1, "azimuth_origin_deg": float("nan")}, "finite number"),
    ({"columns": 1, "rows": 1, "azimuth_origin_deg": "x"}, "finite number"),
    ({"columns": 1, "rows": 1, "clockwise": "yes"}, "true or false"),
])
def test_a_light_grid_with_bad_values_is_refused_with_its_key(tmp_path, grid, words):
    import json as json_module

    from neural_render.worker.imageio.files import write_image
    from neural_render.worker.relight import light_sets
    write_image(str(tmp_path / "light.exr"), np.ones((4, 4, 3), np.float32))
    (tmp_path / "lightgrid.json").write_text(json_module.dumps(grid))
    with pytest.raises(light_sets.LightSetError, match=words):
        light_sets.load_light_set(str(tmp_path))


def test_a_deeply_nested_light_grid_and_a_huge_csv_field_are_refused(tmp_path):
    from neural_render.worker.relight import light_sets
    nested = tmp_path / "nested"
    nested.mkdir()
    (nested / "lightgrid.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(light_sets.LightSetError, match="nested too deeply"):
        light_sets.load_light_set(str(nested))
    huge = tmp_path / "huge"
    huge.mkdir()
    (huge / "lights.csv").write_text("file,x,y,z\n" + "a" * 200_000 + ",0,0,1\n")
    with pytest.raises(light_sets.LightSetError, match="not a light table"):
        light_sets.load_light_set(str(huge))


def test_a_light_image_declaring_a_huge_size_is_refused_before_reading(tmp_path):
    import OpenEXR

    from neural_render.worker.relight import light_sets
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
              "dataWindow": ((0, 0), (9999, 0)), "displayWindow": ((0, 0), (9999, 0))}
    with OpenEXR.File(header, {"R": np.zeros((1, 10000), np.float32)}) as out:
        out.write(str(tmp_path / "light_0000.exr"))
    (tmp_path / "lights.csv").write_text("file,x,y,z\nlight_0000.exr,0,0,1\n")
    with pytest.raises(light_sets.LightSetError, match="at most 8192 px a side"):
        light_sets.load_light_set(str(tmp_path))
