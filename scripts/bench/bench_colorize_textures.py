#!/usr/bin/env python3
"""Colorize on real textures: the bundled texture colorizer vs constants and the first small model,
hints (learned vs Levin vs automatic), speed on 2048², seamlessness; per category; contact sheets.

    .venv/bin/python scripts/bench/bench_colorize_textures.py [--library .cache/textures] \
        [--out notes.md] [--sheet docs/colorize_textures_sheet.png] [--hint-sheet docs/colorize_hints_sheet.png]

Held out: the texture library's validation split (material families never seen in training;
scripts/training/textures/split.py) and, from elsewhere, the 35 studio HDRIs and matcaps inside bpy
(the first small model trained on their left 70 %: their right 25 % is held out for both).
Metrics (fixtures/colorize_metrics.py): plain and class-rebalanced a*b* accuracy AuC (errors 0..150),
Hasler–Süsstrunk colourfulness relative to the truth's, PSNR (sRGB); all on a*b* upsampled to the
texture's resolution with its own L*, exactly as the job returns it.
"""

import argparse
import collections
import zlib
import datetime
import os
import sys
import time

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

FIRST_SMALL_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "small_colorizer_v0.pt")
HINT_POINTS = 10
HINT_STRIDE = 2


def load_models():
    from neural_render.worker.colorize import checkpoint, weights
    texture = weights.choose_model(model="bundled")
    first = checkpoint.load_checkpoint(FIRST_SMALL_MODEL)
    hint_model, hint_size = weights.load_hint_model()
    return {"texture colorizer": (texture.model, texture.network_size),
            "first small model": (checkpoint.model_from_checkpoint(first), int(first["settings"]["long_side"]))}, \
        (hint_model, hint_size)


def validation_images(library_folder):
    from training import colorize_training_data as training_data
    from training.textures.shards import TextureLibrary
    library = TextureLibrary(library_folder)
    items, arrays = training_data.library_lab_arrays(library, "validation")
    # One crop per material (its first): several crops of one texture would count it several times.
    first = [index for index, item in enumerate(items) if item.get("crop", 0) == 0]
    return [items[index] for index in first], [arrays[index] for index in first]


def elsewhere_images():
    """Right 25 % of each bpy-bundled image, resized to a 256 long side (held out for every model)."""
    from training import train_colorizer
    _, heldout = train_colorizer.bundled_split(256)
    return heldout


def predict(model_and_size, lightness, device, temperature):
    from neural_render.worker.colorize import decode, inference
    model, size = model_and_size
    ab = inference.predict_ab(model, lightness, device, temperature, size)
    return decode.upsample(ab, *lightness.shape)


def scores(predicted_ab, true_lab, centres):
    from fixtures import colorize_metrics as metrics
    from neural_render.worker.colorize import lab
    truth = true_lab[:, :, 1:]
    rgb = lab.lab_to_linear_rgb(np.concatenate([true_lab[:, :, :1], predicted_ab], 2))
    true_rgb = lab.lab_to_linear_rgb(true_lab)
    return {"auc": metrics.ab_accuracy_auc(predicted_ab, truth),
            "colourfulness": metrics.colourfulness(rgb), "true_colourfulness": metrics.colourfulness(true_rgb),
            "psnr": metrics.psnr(rgb, true_rgb)}


def pooled(rows, predictions, truths, centres):
    """Pooled AuCs over all pixels of a set (the paper's way), mean colourfulness ratio, median PSNR."""
    from fixtures import colorize_metrics as metrics
    predicted = np.concatenate([p.reshape(-1, 2) for p in predictions])
    truth = np.concatenate([t[:, :, 1:].reshape(-1, 2) for t in truths])
    return {"auc": metrics.ab_accuracy_auc(predicted, truth),
            "rebalanced_auc": metrics.rebalanced_ab_accuracy_auc(predicted, truth, centres),
            "colourfulness_ratio": float(np.mean([r["colourfulness"] for r in rows]) /
                                         max(1e-9, np.mean([r["true_colourfulness"] for r in rows]))),
            "psnr_median": float(np.median([r["psnr"] for r in rows]))}


def evaluate_set(images, methods, centres):
    """{method: pooled scores}, {method: per-image rows}, {method: predictions}."""
    results, per_image, predictions = {}, {}, {}
    for name, method in methods.items():
        predicted = [method(image) for image in images]
        rows = [scores(p, image, centres) for p, image in zip(predicted, images)]
        results[name] = pooled(rows, predicted, images, centres)
        per_image[name], predictions[name] = rows, predicted
    return results, per_image, predictions


def hint_inputs(true_lab, seed):
    from training import simulated_hints
    rng = np.random.default_rng(seed)
    return simulated_hints.simulate(true_lab[:, :, 1:], rng, count=HINT_POINTS)


def hints_network(hint_model, image, device, seed):
    from neural_render.worker.colorize import hint_inference
    hint_ab, mask = hint_inputs(image, seed)
    model, size = hint_model
    strips = hint_inference.colorize_strips(model, image[:, :, 0], hint_ab, mask, device, size)
    return np.concatenate([strip for _, strip in strips])


def hints_levin(image, seed):
    from neural_render.worker.colorize import scribbles
    hint_ab, mask = hint_inputs(image, seed)
    return np.concatenate([strip for _, strip in scribbles.colorize_strips(image[:, :, 0], hint_ab, mask)])


def seamless_check(model_and_size, device):
    """A periodic input (a validation-like random texture tiled 2 x 2 is periodic by construction):
    seam ratio of the predicted a*b* with and without --seamless."""
    from fixtures.texture_metrics import seam_ratio
    from neural_render.worker.colorize import decode, inference
    rng = np.random.default_rng(0)
    base = np.cumsum(np.cumsum(rng.normal(0, 1, (128, 128)), 0), 1)
    base = np.tile((base - base.min()) / np.ptp(base) * 80 + 10, (2, 2))[64:64 + 256, 32:32 + 256].astype(np.float32)
    model, size = model_and_size
    out = {}
    for seamless in (False, True):
        ab = inference.predict_ab(model, base, device, 0.38, size, seamless_input=seamless)
        out[seamless] = seam_ratio(decode.upsample(ab, *base.shape, wrap=seamless))
    return out


def speed(device, repeats=3):
    """Median seconds of the whole colorize.auto and colorize.scribbles jobs on a 2048² float texture."""
    import neural_render.worker.colorize  # noqa: F401 (registers the jobs)
    from fixtures.in_process_jobs import run_job
    from neural_render.worker import jobs
    rng = np.random.default_rng(1)
    grey = np.clip(rng.normal(0.3, 0.1, (2048, 2048, 1)), 0, 1).astype(np.float32)
    hints = np.zeros((2048, 2048, 4), np.float32)
    for _ in range(HINT_POINTS):
        y, x = rng.integers(0, 2040, 2)
        hints[y:y + 8, x:x + 8] = [*rng.uniform(0.05, 0.8, 3), 1.0]
    cache = jobs.ModelCache()
    timings = {}
    for kind, params, inputs in (("colorize.auto", {}, {"image": grey}),
                                 ("colorize.scribbles", {"propagation": "network"}, {"image": grey, "hints": hints}),
                                 ("colorize.scribbles", {"propagation": "levin"}, {"image": grey, "hints": hints})):
        seconds = []
        for _ in range(repeats + 1):   # the first run loads the model: not counted
            started = time.perf_counter()
            run_job(kind, params, inputs, device, cache)
            seconds.append(time.perf_counter() - started)
        timings[f"{kind} {params.get('propagation', '')}".strip()] = float(np.median(seconds[1:]))
    return timings


def contact_sheet(path, images, items, predictions, per_image, method, count=6):
    """Rows: grey input | prediction | truth, for the typical (median AuC) and the worst cases."""
    from PIL import Image, ImageDraw
    from neural_render.worker.colorize import lab
    order = np.argsort([row["auc"] for row in per_image[method]])
    middle = len(order) // 2
    chosen = list(order[middle - count // 2:middle + count // 2]) + list(order[:count])
    tiles = []
    for index in chosen:
        true_lab = images[index]
        grey = lab.lab_to_linear_rgb(true_lab * np.array([1, 0, 0], np.float32))
        guess = lab.lab_to_linear_rgb(np.concatenate([true_lab[:, :, :1], predictions[method][index]], 2))
        row = np.concatenate([grey, guess, lab.lab_to_linear_rgb(true_lab)], 1)
        tiles.append((lab.srgb_encode(np.clip(row, 0, 1)) * 255).astype(np.uint8))
    side = tiles[0].shape[0] // 2
    sheet = Image.new("RGB", (2 * (tiles[0].shape[1] // 2) + 8, len(tiles) // 2 * (side + 16)), "white")
    draw = ImageDraw.Draw(sheet)
    for position, (tile, index) in enumerate(zip(tiles, chosen)):
        column, row = divmod(position, len(tiles) // 2)
        small = Image.fromarray(tile).resize((tile.shape[1] // 2, side))
        x, y = column * (small.width + 8), row * (side + 16)
        sheet.paste(small, (x, y + 14))
        label = ("typical" if column == 0 else "worst") + f": {items[index]['key'].split(':')[-1][-38:]} " \
                f"(AuC {per_image[method][index]['auc']:.2f})"
        draw.text((x + 2, y + 1), label, fill="black")
    sheet.save(path)


def table(results, names, columns=("auc", "rebalanced_auc", "colourfulness_ratio", "psnr_median")):
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{results[name][column]:.3f}" for column in columns) + " |")
    return lines


def main(argv=None):
    from training.train_colorizer import DEFAULT_LIBRARY
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", default=DEFAULT_LIBRARY)
    parser.add_argument("--out", help="also write the markdown here")
    parser.add_argument("--sheet", help="contact sheet of typical and worst automatic results (PNG)")
    parser.add_argument("--hint-sheet", help="contact sheet of hint results (PNG)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="only the first N validation textures (a quick look)")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=CHECKPOINT",
                        help="also score this colorizer checkpoint side by side (repeatable)")
    args = parser.parse_args(argv)
    addon_path.install()
    import torch
    torch.set_num_threads(args.threads)
    from neural_render.worker.colorize import gamut_bins
    device = "cpu"
    centres = gamut_bins.in_gamut_bins()
    models, hint_model = load_models()
    items, images = validation_images(args.library)
    if args.limit:
        items, images = items[:args.limit], images[:args.limit]
    validation_mean = np.concatenate([image[:, :, 1:].reshape(-1, 2) for image in images]).mean(0)
    constant = lambda ab: (lambda image: np.broadcast_to(np.asarray(ab, np.float32), image.shape[:2] + (2,)).copy())
    methods = {"grey (a*b* = 0)": constant([0.0, 0.0]),
               "validation mean a*b*": constant(validation_mean),
               "first small model, T=0.38": lambda image: predict(models["first small model"], image[:, :, 0], device, 0.38)}
    from neural_render.worker.colorize import checkpoint
    for entry in args.also:
        name, _, path = entry.partition("=")
        payload = checkpoint.load_checkpoint(path)
        models[name] = (checkpoint.model_from_checkpoint(payload), int(payload["settings"]["long_side"]))
    for model_name in ["texture colorizer"] + [entry.partition("=")[0] for entry in args.also]:
        for temperature in (0.38, 1.0):
            methods[f"{model_name}, T={temperature:g}"] = (
                lambda image, t=temperature, m=model_name: predict(models[m], image[:, :, 0], device, t))
    started = time.perf_counter()
    results, per_image, predictions = evaluate_set(images, methods, centres)
    constants = ("grey (a*b* = 0)", "validation mean a*b*")
    best_plain = max(results[name]["auc"] for name in constants)
    best_rebalanced = max(results[name]["rebalanced_auc"] for name in constants)

    hint_methods = {f"learned hints ({HINT_POINTS} points)": lambda image: hints_network(hint_model, image, device, zlib.crc32(image.tobytes())),
                    f"Levin solve ({HINT_POINTS} points)": lambda image: hints_levin(image, zlib.crc32(image.tobytes())),
                    "automatic, T=0.38": methods["texture colorizer, T=0.38"]}
    # Every HINT_STRIDE-th texture: the solve takes a second or two per texture on this CPU.
    hint_images = images[::HINT_STRIDE]
    hint_results, hint_rows, hint_predictions = evaluate_set(hint_images, hint_methods, centres)

    categories = collections.defaultdict(list)
    for index, item in enumerate(items):
        categories[item["category"]].append(index)
    category_lines = ["| category | images | texture colorizer AuC / rebalanced | best constant AuC / rebalanced | "
                      "colourfulness ratio | learned hints PSNR | automatic PSNR |", "|---|---|---|---|---|---|---|"]
    for category, indices in sorted(categories.items()):
        subset = [images[i] for i in indices]
        sub = {name: pooled([per_image[name][i] for i in indices], [predictions[name][i] for i in indices], subset,
                            centres) for name in ("texture colorizer, T=0.38",) + constants}
        best = max(constants, key=lambda name: sub[name]["auc"])
        hint_psnr = np.median([hint_rows[f"learned hints ({HINT_POINTS} points)"][i // HINT_STRIDE]["psnr"]
                               for i in indices if i % HINT_STRIDE == 0] or [np.nan])
        auto_psnr = np.median([per_image["texture colorizer, T=0.38"][i]["psnr"] for i in indices])
        ours = sub["texture colorizer, T=0.38"]
        category_lines.append(f"| {category} | {len(indices)} | {ours['auc']:.3f} / {ours['rebalanced_auc']:.3f} | "
                              f"{sub[best]['auc']:.3f} / {max(sub[n]['rebalanced_auc'] for n in constants):.3f} | "
                              f"{ours['colourfulness_ratio']:.2f} | {hint_psnr:.1f} | {auto_psnr:.1f} |")

    elsewhere = elsewhere_images()
    elsewhere_methods = {name: methods[name] for name in ("grey (a*b* = 0)", "first small model, T=0.38",
                                                          "texture colorizer, T=0.38")}
    elsewhere_mean = np.concatenate([image[:, :, 1:].reshape(-1, 2) for image in elsewhere]).mean(0)
    elsewhere_methods["their own mean a*b*"] = constant(elsewhere_mean)
    elsewhere_results, _, _ = evaluate_set(elsewhere, elsewhere_methods, centres)
    evaluation_seconds = time.perf_counter() - started

    seams = seamless_check(models["texture colorizer"], device)
    timings = {} if args.skip_speed else speed(device)
    ours = results["texture colorizer, T=0.38"]
    lines = [f"Machine: {machine.description()}, torch threads "
             f"{args.threads}; {datetime.date.today()}; command: `.venv/bin/python scripts/bench/"
             f"bench_colorize_textures.py {' '.join(argv or sys.argv[1:])}`",
             "", f"Validation split: {len(images)} textures of material families never trained on "
             f"(256² crops). Evaluation took {evaluation_seconds:.0f} s.", ""]
    lines += table(results, list(methods))
    lines += ["", f"Targets: plain AuC {ours['auc']:.3f} vs best constant {best_plain:.3f} "
              f"(margin {ours['auc'] - best_plain:+.3f}, needs ≥ +0.02); rebalanced {ours['rebalanced_auc']:.3f} vs "
              f"{best_rebalanced:.3f} (margin {ours['rebalanced_auc'] - best_rebalanced:+.3f}, needs ≥ +0.05); "
              f"colourfulness {ours['colourfulness_ratio']:.0%} of the truth's (needs ≥ 60 %).", ""]
    lines += [f"Hints ({len(hint_images)} textures, every {HINT_STRIDE}nd; the same 10 simulated points per "
              "texture for every method, each carrying the mean true colour of a 1-9 px patch):", ""] + table(hint_results, list(hint_methods))
    paired = np.array([a["psnr"] - b["psnr"] for a, b in zip(hint_rows[f"learned hints ({HINT_POINTS} points)"],
                                                            hint_rows["automatic, T=0.38"])])
    paired_levin = np.array([a["psnr"] - b["psnr"] for a, b in zip(hint_rows[f"learned hints ({HINT_POINTS} points)"],
                                                                  hint_rows[f"Levin solve ({HINT_POINTS} points)"])])
    lines += ["", f"Learned hints vs automatic: median PSNR gain {np.median(paired):+.2f} dB per texture (needs ≥ +3); "
              f"vs the Levin solve with the same points: {np.median(paired_levin):+.2f} dB "
              f"(learned better on {np.mean(paired_levin > 0):.0%} of textures).", ""]
    lines += ["Per category (validation split):", ""] + category_lines
    lines += ["", "Held out from elsewhere: the right 25 % of the 35 images bundled with bpy (HDRIs, matcaps):", ""]
    lines += table(elsewhere_results, list(elsewhere_methods))
    lines += ["", f"Seamless: seam ratio of the predicted a*b* on a periodic input: {seams[False]:.2f} without "
              f"--seamless, {seams[True]:.2f} with it (1 = no visible seam)."]
    if timings:
        lines += ["", "Speed on a 2048² float texture (whole job, model loaded, median of 3):", "",
                  "| job | seconds |", "|---|---|"] + [f"| {name} | {seconds:.2f} |" for name, seconds in timings.items()]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.write(text + "\n")
    if args.sheet:
        contact_sheet(args.sheet, images, items, predictions, per_image, "texture colorizer, T=0.38")
    if args.hint_sheet:
        contact_sheet(args.hint_sheet, hint_images, items[::HINT_STRIDE], hint_predictions, hint_rows,
                      f"learned hints ({HINT_POINTS} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
