#!/usr/bin/env python3
"""Material maps from a photo: the bundled pix2pix model vs the classical baseline, per source, on
the texture library's validation split; height accuracy; speed on 2048²; seams; a contact sheet
with Cycles renders.

    .venv/bin/python scripts/bench/bench_material.py [--library .cache/textures] [--weights MODEL.pt] \
        [--sheet docs/material_sheet.png] [--out notes.md]

Held out: the validation split (15 % of material families, never trained on; split.py). Metrics:
- normals: mean angular error in degrees over a crop's pixels, averaged over crops (per package and
  all); the flat normal (0, 0, 1); the classical baseline, normals from the luminance read as a
  height field (Gaussian blur, Sobel, strength), with blur and strength the best single setting on
  this same validation set (so the baseline is given its best chance).
- height (crops whose alpha holds height, material_data): RMS error after a per-crop affine fit, in
  units of the truth's standard deviation (0 perfect, 1 = no better than flat); ours with the
  network's height ("network", the default) and with the Frankot–Chellappa integral of our normals
  ("integrated"); the luminance itself and the integral of the baseline's normals.
- diagnostics, not methods (they peek at the truth): the baseline with its blur and strength chosen
  per crop, and our normals with their slopes scaled per crop by the best factor of SLOPE_SCALES. The
  packages' maps were made at each artist's own strength, which no photo shows; these two say how much
  of each error is that unknown strength rather than the relief's shape.
"""

import argparse
import datetime
import os
import sys
import time

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

addon_path.install()

BLURS = (0.0, 0.5, 1.0, 2.0, 4.0)
STRENGTHS = (-8.0, -4.0, -2.0, -1.0, 1.0, 2.0, 4.0, 8.0)
SLOPE_SCALES = (0.35, 0.5, 0.71, 1.0, 1.41, 2.0, 2.83)


def load_model(path):
    import torch
    from neural_render.worker.material import checkpoint, job
    model = checkpoint.generator_from_checkpoint(checkpoint.load_checkpoint(path or job.BUNDLED_PATH))
    return model.to(memory_format=torch.channels_last)


def best_baseline(pairs):
    from neural_render.worker.material import height as heights
    from neural_render.worker.material import normals as normal_maps
    per_crop = {}
    for blur in BLURS:
        for strength in STRENGTHS:
            per_crop[(blur, strength)] = [
                normal_maps.angular_error_degrees(
                    heights.normals_from_luminance(photo / 255.0, blur, strength), truth.astype(np.float64)).mean()
                for photo, truth in zip(pairs.photos, pairs.normals)]
    scores = {setting: float(np.mean(errors)) for setting, errors in per_crop.items()}
    return min(scores, key=scores.get), scores, np.min(list(per_crop.values()), axis=0)


def best_slope_scale_error(vectors, truth):
    """The angular error of ``vectors`` with their x, y scaled by the per-crop best of SLOPE_SCALES."""
    from neural_render.worker.material import normals as normal_maps
    errors = []
    for scale in SLOPE_SCALES:
        scaled = vectors * np.array([scale, scale, 1.0])
        scaled /= np.linalg.norm(scaled, axis=-1, keepdims=True)
        errors.append(normal_maps.angular_error_degrees(scaled, truth).mean())
    return min(errors)


def evaluate(pairs, model, baseline, oracle_baseline, others):
    from neural_render.worker.material import core
    from neural_render.worker.material import height as heights
    from neural_render.worker.material import normals as normal_maps
    rows = []
    for index in range(len(pairs)):
        photo = pairs.photos[index] / 255.0
        truth = pairs.normals[index].astype(np.float64)
        ours, ours_height = core.predict_maps(model, photo.astype(np.float32))
        _, ours_integrated = core.predict_maps(model, photo.astype(np.float32), height_source="integrated")
        classical = heights.normals_from_luminance(photo, *baseline)
        row = {"package": pairs.packages[index],
               "flat": normal_maps.angular_error_degrees(normal_maps.flat(*truth.shape[:2]), truth).mean(),
               "baseline": normal_maps.angular_error_degrees(classical, truth).mean(),
               "ours": normal_maps.angular_error_degrees(ours, truth).mean(),
               "baseline_per_crop": oracle_baseline[index],
               "ours_scaled_per_crop": best_slope_scale_error(ours, truth),
               "maps": (ours, classical)}
        for label, other in others.items():
            row[label] = normal_maps.angular_error_degrees(core.predict_maps(other, photo.astype(np.float32))[0],
                                                           truth).mean()
        if pairs.has_height[index]:
            true_height = pairs.heights[index].astype(np.float64)
            luminance = photo @ heights.LUMA
            row.update(height_network=heights.affine_fit_error(ours_height, true_height),
                       height_integrated=heights.affine_fit_error(ours_integrated, true_height),
                       height_luminance=heights.affine_fit_error(luminance, true_height),
                       height_baseline_integral=heights.affine_fit_error(heights.integrate(classical), true_height))
        rows.append(row)
    return rows


def table(rows, keys, label):
    packages = sorted({row["package"] for row in rows})
    lines = [f"| {label} | " + " | ".join(keys) + " | crops |", "|---|" + "---|" * (len(keys) + 1)]
    for package in packages + ["all"]:
        chosen = [row for row in rows if package in ("all", row["package"]) and keys[0] in row]
        if not chosen:
            continue
        means = [np.mean([row[key] for row in chosen]) for key in keys]
        lines.append(f"| {package} | " + " | ".join(f"{value:.2f}" for value in means) + f" | {len(chosen)} |")
    return lines


def rendered_relief_errors(model, baseline, count):
    """Held out from elsewhere: Cycles renders of synthetic relief (fixtures/rendered_relief.py)."""
    from fixtures.rendered_relief import cases
    from neural_render.worker.material import core
    from neural_render.worker.material import height as heights
    from neural_render.worker.material import normals as normal_maps
    rows = []
    for photo, truth, surface, world in cases(count):
        ours, ours_height = core.predict_maps(model, photo.astype(np.float32))
        classical = heights.normals_from_luminance(photo, *baseline)
        rows.append({"package": f"rendered relief ({world.split('.')[0]})",
                     "flat": normal_maps.angular_error_degrees(normal_maps.flat(*truth.shape[:2]), truth).mean(),
                     "baseline": normal_maps.angular_error_degrees(classical, truth).mean(),
                     "ours": normal_maps.angular_error_degrees(ours, truth).mean(),
                     "height_network": heights.affine_fit_error(ours_height, surface),
                     "height_luminance": heights.affine_fit_error(photo @ heights.LUMA, surface)})
    return rows


def time_2048(model, pairs, repeats):
    from neural_render.worker.material import core, normals as normal_maps
    photo = np.tile(pairs.photos[0] / 255.0, (8, 8, 1)).astype(np.float32)   # 2048 x 2048
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        vectors, surface = core.predict_maps(model, photo)
        normal_maps.encode(vectors).astype(np.float32)
        times.append(time.perf_counter() - start)
    return times


def seams(model, pairs, count=8):
    """Seam ratio (fixtures/texture_metrics.py) of the encoded normals of photos made tileable by
    mirroring, with and without tileable mode; the truth's own ratio for reference."""
    from fixtures.texture_metrics import seam_ratio
    from neural_render.worker.material import core, normals as normal_maps
    ratios = {"tileable": [], "plain": [], "input": []}
    for index in range(count):
        photo = pairs.photos[index * 7 % len(pairs)] / 255.0
        tile = np.concatenate([photo, photo[:, ::-1]], 1)
        tile = np.concatenate([tile, tile[::-1]], 0)[::2, ::2].astype(np.float32)   # periodic, 256²
        ratios["input"].append(seam_ratio(tile))
        for mode in ("tileable", "plain"):
            vectors, _ = core.predict_maps(model, tile, tileable=mode == "tileable")
            ratios[mode].append(seam_ratio(normal_maps.encode(vectors)))
    return {key: float(np.median(values)) for key, values in ratios.items()}


def render_shaded(photo, normal_maps_to_show, size=160):
    """Cycles renders of a plane with the photo as colour and each normal map, lit low from the
    upper left so relief shows; returns one (size, size, 3) display image per map."""
    import bpy
    from fixtures.rendered_relief import image_of, textured_plane_scene
    scene, shader, colour, texture = textured_plane_scene(size, samples=24)
    bpy.ops.object.light_add(type="SUN", rotation=(np.radians(60), 0, np.radians(-135)))
    bpy.context.active_object.data.energy = 4.0
    world = bpy.data.worlds.new("dim")
    world.color = (0.05, 0.05, 0.05)
    scene.world = world
    shader.inputs["Roughness"].default_value = 0.6
    colour.image = image_of(np.clip(photo, 0, 1) ** 2.2, "photo", False)
    renders = []
    for index, vectors in enumerate(normal_maps_to_show):
        texture.image = image_of(0.5 * vectors + 0.5, f"normal {index}", True)
        scene.render.filepath = f"/tmp/nr-material-render-{os.getpid()}-{index}.png"
        bpy.ops.render.render(write_still=False)
        result = bpy.data.images["Render Result"]
        path = scene.render.filepath
        result.save_render(path)
        from PIL import Image
        with Image.open(path) as opened:
            renders.append(np.asarray(opened.convert("RGB")) / 255.0)
        os.remove(path)
    return renders


def contact_sheet(path, pairs, rows, picks):
    from PIL import Image, ImageDraw
    columns = ["photo", "truth", "ours", "baseline", "Cycles: truth", "Cycles: ours", "Cycles: baseline", "Cycles: flat"]
    side, label = 160, 14
    sheet = Image.new("RGB", (len(columns) * (side + 4), len(picks) * (side + label + 4) + label), "white")
    draw = ImageDraw.Draw(sheet)
    for column, name in enumerate(columns):
        draw.text((column * (side + 4) + 2, 0), name, fill="black")
    for line, index in enumerate(picks):
        photo = pairs.photos[index] / 255.0
        truth = pairs.normals[index].astype(np.float64)
        ours, classical = rows[index]["maps"]
        flat = np.zeros_like(truth)
        flat[..., 2] = 1
        renders = render_shaded(photo, [truth, ours, classical, flat], side)
        tiles = [photo, 0.5 * truth + 0.5, 0.5 * ours + 0.5, 0.5 * classical + 0.5] + renders
        y = label + line * (side + label + 4)
        caption = (f"{pairs.items[index]['key'].split(':')[0]}  ours {rows[index]['ours']:.1f}°  "
                   f"baseline {rows[index]['baseline']:.1f}°  flat {rows[index]['flat']:.1f}°")
        draw.text((2, y), caption, fill="black")
        for column, tile in enumerate(tiles):
            picture = Image.fromarray((np.clip(tile, 0, 1) * 255).astype(np.uint8)).resize((side, side))
            sheet.paste(picture, (column * (side + 4), y + label))
    sheet.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", default=".cache/textures")
    parser.add_argument("--weights", help="a model file (default: the bundled one)")
    parser.add_argument("--also", action="append", default=[], metavar="LABEL=MODEL",
                        help="another model file to score beside it in the normals table (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--relief", type=int, default=16, help="rendered relief cases")
    parser.add_argument("--limit", type=int, help="only the first N validation crops (a quick try)")
    parser.add_argument("--sheet", help="contact sheet PNG")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args()
    import torch
    from training.material_data import MaterialPairs
    pairs = MaterialPairs(args.library, "validation")
    if args.limit:
        pairs.subset(range(args.limit))
    model = load_model(args.weights)
    others = {}
    for entry in args.also:
        label, _, path = entry.partition("=")
        if not path:
            parser.error(f"--also {entry}: write LABEL=MODEL")
        others[label] = load_model(path)
    lines = [f"Machine: {machine.description()}, torch "
             f"{torch.__version__} ({torch.get_num_threads()} threads); {datetime.date.today()}; "
             f"command: {' '.join(['bench_material.py'] + sys.argv[1:])}", ""]
    baseline, scores, oracle_baseline = best_baseline(pairs)
    lines.append(f"Classical baseline: best single setting on validation blur {baseline[0]:g} px, strength "
                 f"{baseline[1]:g} ({scores[baseline]:.2f}°; worst of the grid {max(scores.values()):.2f}°)")
    rows = evaluate(pairs, model, baseline, oracle_baseline, others)
    lines += ["", "Normals, mean angular error (degrees; lower is better):", ""]
    lines += table(rows, ["flat", "baseline", "ours"] + list(others), "source")
    mean = {key: np.mean([row[key] for row in rows]) for key in ("baseline", "ours")}
    lines.append(f"\nOurs vs the baseline: {100 * (1 - mean['ours'] / mean['baseline']):.1f} % lower error "
                 f"(target: at least 25 %)")
    for label in others:
        other = np.mean([row[label] for row in rows])
        lines.append(f"{label} vs the baseline: {100 * (1 - other / mean['baseline']):.1f} % lower error")
    lines += ["", "Diagnostics that peek at the truth (not methods): each crop given its own best setting of the "
              f"baseline's grid, and our slopes scaled per crop by the best of {SLOPE_SCALES}:", ""]
    lines += table(rows, ["baseline", "baseline_per_crop", "ours", "ours_scaled_per_crop"], "source")
    lines += ["", "Height, RMS error after a per-crop affine fit (units of the truth's std; lower is better):", ""]
    lines += table(rows, ["height_network", "height_integrated", "height_luminance", "height_baseline_integral"],
                   "source")
    relief = rendered_relief_errors(model, baseline, args.relief)
    for row in relief:
        row["package"] = "rendered relief"
    lines += ["", f"Held out from elsewhere: {len(relief)} Cycles renders of synthetic relief shaded with their exact "
              "normal maps (fixtures/rendered_relief.py), same baseline setting:", ""]
    lines += table(relief, ["flat", "baseline", "ours", "height_network", "height_luminance"], "set")
    times = time_2048(model, pairs, args.repeats)
    lines.append(f"\n2048x2048 photo → normal + height: median {np.median(times):.2f} s over {len(times)} runs "
                 f"({', '.join(f'{t:.2f}' for t in times)})")
    ratios = seams(model, pairs)
    lines.append(f"Seam ratio of the normal map (1 = seamless) on periodic photos: tileable mode "
                 f"{ratios['tileable']:.2f}, plain {ratios['plain']:.2f}, the photo itself {ratios['input']:.2f}")
    if args.sheet:
        order = np.argsort([row["ours"] - row["baseline"] for row in rows])
        picks = [int(order[len(order) // 4]), int(order[len(order) // 2]), int(order[3 * len(order) // 4]), int(order[-1])]
        contact_sheet(args.sheet, pairs, rows, picks)
        lines.append(f"Contact sheet: {args.sheet} (rows: the 25th, 50th and 75th percentile of ours − baseline, "
                     "and our worst)")
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.write(report + "\n")


if __name__ == "__main__":
    main()
