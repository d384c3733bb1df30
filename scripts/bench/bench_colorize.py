#!/usr/bin/env python3
"""Colorize benchmark: reference mode vs the Reinhard global baseline, scribble propagation time on
2K, the learned model vs the constant baselines; optionally the docs picture.

    .venv/bin/python scripts/bench/bench_colorize.py --out /work/notes/colorize-benchmarks.md --picture docs/colorize_examples.png

Held-out pairs: the grey version of one half of a bundled studio HDRI (or matcap) is colorized from
the *other* half (similar content, different pixels) and compared with its true colours.
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

FIRST_SMALL_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "small_colorizer_v0.pt")
MATCAP_PAIRS = (("clay_brown", "clay_warm"), ("red_wax", "hard_surface_red"),
                ("ceramic_dark", "ceramic_lightbulb"))


def reference_pairs():
    from training import colorize_training_data as training_data
    from training import train_colorizer
    paths = train_colorizer.bundled_image_paths()
    pairs = []
    for path in sorted(p for p in paths if os.sep + "world" + os.sep in p):
        image = training_data.display_referred(training_data.read_colour_image(path))
        half = image.shape[1] // 2
        pairs.append((os.path.basename(path)[:-4], image[:, :half], image[:, half:]))
    folder = os.path.dirname(next(p for p in paths if os.sep + "matcap" + os.sep in p))
    for target, reference in MATCAP_PAIRS:
        read = lambda name: training_data.display_referred(training_data.read_colour_image(os.path.join(folder, name + ".exr")))
        pairs.append((f"{target} <- {reference}", read(target), read(reference)))
    return pairs


def bench_reference(device):
    from neural_render.worker.backbones import vgg16
    from fixtures import colorize_metrics as metrics
    from neural_render.worker.colorize import decode, lab, reference
    backbone = vgg16.load(device)
    rows = []
    for name, target, ref in reference_pairs():
        target_lab, reference_lab = lab.linear_rgb_to_lab(target), lab.linear_rgb_to_lab(ref)
        lightness = target_lab[:, :, 0]
        started = time.perf_counter()
        deep = decode.recombine_strips(lightness, reference.deep_reference_strips(lightness, reference_lab, backbone, device))
        seconds = time.perf_counter() - started
        grey_lab = target_lab * np.array([1.0, 0.0, 0.0], np.float32)
        flat = decode.recombine_strips(lightness, iter([(slice(0, lightness.shape[0]), reference.reinhard_ab(grey_lab, reference_lab))]))
        grey = decode.recombine_strips(lightness, iter([(slice(0, lightness.shape[0]), np.zeros(lightness.shape + (2,), np.float32))]))
        rows.append(dict(name=name, size=f"{target.shape[1]}x{target.shape[0]}", seconds=seconds,
                         psnr_deep=metrics.psnr(deep, target), psnr_reinhard=metrics.psnr(flat, target),
                         psnr_grey=metrics.psnr(grey, target), colour_truth=metrics.colourfulness(target),
                         colour_deep=metrics.colourfulness(deep), colour_reinhard=metrics.colourfulness(flat),
                         images=(target, deep, flat)))
    return rows


def scribble_scene(size, seed=0):
    """A 'texture' of soft-edged regions of different grey levels and one stroke in most regions."""
    rng = np.random.default_rng(seed)
    cells = rng.uniform(20, 85, (8, 8))
    y, x = np.mgrid[0:size, 0:size]
    lightness = cells[(y * 8) // size, (x * 8) // size] + 3 * np.sin(x / 7.0) * np.sin(y / 5.0)
    hints = np.zeros((size, size, 4), np.float32)
    for row in range(8):
        for column in range(8):
            if rng.uniform() < 0.7:
                cy, cx = (row * size) // 8 + size // 16, (column * size) // 8 + size // 32
                ab = rng.uniform(-50, 50, 2)
                colour = np.maximum(__import__("neural_render.worker.colorize.lab", fromlist=["lab"]).lab_to_linear_rgb(
                    np.array([cells[row, column], *ab])), 0)
                hints[cy - size // 256 - 1:cy + size // 256 + 1, cx:cx + size // 16] = [*colour, 1.0]
    return lightness.astype(np.float32), hints


def bench_scribbles(sizes=(1024, 2048), repeats=3):
    from neural_render.worker.colorize import decode, scribbles
    rows = []
    for size in sizes:
        lightness, hints = scribble_scene(size)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            ab, mask = scribbles.hints_from_image(hints, lightness.shape)
            decode.recombine_strips(lightness, scribbles.colorize_strips(lightness, ab, mask))
            times.append(time.perf_counter() - started)
        rows.append((size, float(np.median(times)), float(np.min(times))))
    return rows


def bench_auto(device):
    import torch
    from neural_render.worker.colorize import checkpoint, rebalance
    from training import colorize_evaluation as evaluation
    from training import train_colorizer
    # The first small model (trained on the bpy images' left 70 %), scored on their right 25 %; the
    # bundled texture colorizer is scored on textures by bench_colorize_textures.py.
    payload = checkpoint.load_checkpoint(FIRST_SMALL_MODEL)
    model = checkpoint.model_from_checkpoint(payload)
    train, heldout = train_colorizer.bundled_split(payload["settings"]["long_side"])
    rebalancing = torch.as_tensor(rebalance.rebalancing_weights(payload["prior"].numpy(), model.bin_centres().numpy()))
    constant = evaluation.best_constant_logits(train, model.bin_centres(), rebalancing)
    losses = evaluation.heldout_loss(model, heldout, rebalancing, constant)
    scores = evaluation.evaluate(model, heldout, evaluation.mean_ab(train), device,
                                 network_size=payload["settings"]["long_side"])
    return payload, losses, scores


def bench_auto_speed(device):
    from neural_render.worker.colorize import inference, weights
    loaded = weights.choose_model(model="bundled")
    rows = []
    for size in (1024, 4096):
        lightness = np.random.default_rng(0).uniform(0, 100, (size, size)).astype(np.float32)
        started = time.perf_counter()
        inference.colorize_lightness(loaded.model, lightness, device, network_size=loaded.network_size)
        rows.append((size, time.perf_counter() - started))
    return rows


def picture(path, reference_rows, device):
    from PIL import Image
    from neural_render.worker.colorize import lab, weights, inference
    loaded = weights.choose_model(model="bundled")
    chosen = [row for row in reference_rows if row["name"] in ("sunset", "forest", "clay_brown <- clay_warm")]
    tiles = []
    for row in chosen:
        target, deep, flat = row["images"]
        lightness = lab.linear_rgb_to_lab(target)[:, :, 0]
        grey = np.repeat(lab.lightness_to_luminance(lightness)[:, :, None], 3, 2)
        auto = inference.colorize_lightness(loaded.model, lightness, device, network_size=loaded.network_size)
        tiles.append([grey, auto, flat, deep, target])
    columns = ["grey input", "learned: small, seen", "Reinhard global", "reference (deep)", "truth"]
    size = 128
    canvas = Image.new("RGB", (size * len(columns), 18 + size * len(tiles)), "white")
    from PIL import ImageDraw
    draw = ImageDraw.Draw(canvas)
    for index, title in enumerate(columns):
        draw.text((index * size + 4, 3), title, fill="black")
    for row_index, row in enumerate(tiles):
        for column_index, image in enumerate(row):
            encoded = (lab.srgb_encode(np.clip(image, 0, 1)) * 255 + 0.5).astype(np.uint8)
            tile = Image.fromarray(encoded).resize((size, size * encoded.shape[0] // encoded.shape[1] if encoded.shape[1] > encoded.shape[0] else size))
            canvas.paste(tile, (column_index * size, 18 + row_index * size))
    canvas.save(path, optimize=True)  # 128 px tiles keep it under the docs' 400 KB


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the markdown here")
    parser.add_argument("--picture", help="write the docs picture (PNG) here")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    addon_path.install()
    import torch
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    lines = ["## Colorize", "",
             f"Machine: {machine.description()}, torch {torch.__version__}, "
             f"{args.threads} threads; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. Load average at start "
             f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other helpers share the CPU: times are pessimistic).", "",
             f"Command: `.venv/bin/python scripts/bench/bench_colorize.py {' '.join(argv or sys.argv[1:])}`", ""]

    rows = bench_reference(device)
    lines += ["### Reference mode vs global (Reinhard) transfer", "",
              "Held-out pairs: grey of one half of a bundled HDRI, reference = the other half; matcaps: grey of one, "
              "reference = another of similar material. PSNR on sRGB (dB, higher is better); colourfulness "
              "(Hasler–Süsstrunk, closer to the truth is better).", "",
              "| pair | size | PSNR deep | PSNR Reinhard | PSNR grey | colourful truth | deep | Reinhard | deep s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['name']} | {row['size']} | {row['psnr_deep']:.2f} | {row['psnr_reinhard']:.2f} | "
                     f"{row['psnr_grey']:.2f} | {row['colour_truth']:.1f} | {row['colour_deep']:.1f} | "
                     f"{row['colour_reinhard']:.1f} | {row['seconds']:.1f} |")
    deep = np.array([row["psnr_deep"] for row in rows])
    flat = np.array([row["psnr_reinhard"] for row in rows])
    colour_error_deep = np.median([abs(row["colour_deep"] - row["colour_truth"]) for row in rows])
    colour_error_flat = np.median([abs(row["colour_reinhard"] - row["colour_truth"]) for row in rows])
    lines += ["", f"Median PSNR: deep {np.median(deep):.2f} dB vs Reinhard {np.median(flat):.2f} dB "
              f"(deep better on {int((deep > flat).sum())} of {len(rows)} pairs). Median |colourfulness − truth|: "
              f"deep {colour_error_deep:.1f} vs Reinhard {colour_error_flat:.1f}.", ""]

    scribble_rows = bench_scribbles()
    lines += ["### Scribbles (Levin et al. 2004 propagation)", "",
              "Synthetic texture of 64 grey regions, strokes in ~70 % of them; full job core: hints parsing, cascadic "
              "sparse solve at 512 px, guided upsampling, recombination.", "",
              "| size | median s | best s |", "|---|---|---|"]
    lines += [f"| {size}x{size} | {median:.2f} | {best:.2f} |" for size, median, best in scribble_rows]
    lines.append("")

    payload, (model_loss, constant_loss), scores = bench_auto(device)
    lines += ["### Learned automatic colorization: bundled small model vs constant baselines", "",
              f"Model: width {payload['settings']['width']} ECCV16 ({payload['steps']} steps, "
              f"{payload['seconds_trained'] / 60:.0f} min of CPU training by scripts/training/train_colorizer.py --bundled); "
              "held-out = right 25 % of each bundled image (left 70 % trained on).", "",
              f"Held-out class-rebalanced cross-entropy: model {model_loss:.3f} vs best constant distribution "
              f"{constant_loss:.3f} (lower is better).", "",
              "| prediction | AuC (0–150) | class-rebalanced AuC |", "|---|---|---|"]
    for name, score in scores.items():
        lines.append(f"| {name} | {score['auc']:.4f} | {score['rebalanced_auc']:.4f} |")
    winners = [name for name in scores if name != "mean ab" and scores[name]["rebalanced_auc"] > scores["mean ab"]["rebalanced_auc"]]
    lines += ["", "Plain AuC favours near-grey predictions (most true pixels are near grey); the class-rebalanced AuC "
              "weights every colour bin equally. Decoded point estimates of this model beat the mean-a*b* constant on "
              f"class-rebalanced AuC at: {', '.join(winners) or 'no temperature'}; on plain AuC at: "
              f"{', '.join(name for name in scores if name != 'mean ab' and scores[name]['auc'] > scores['mean ab']['auc']) or 'no temperature'}.", ""]
    speed = bench_auto_speed(device)
    lines += ["| auto, bundled model | seconds |", "|---|---|"] + [f"| {size}x{size} | {seconds:.2f} |" for size, seconds in speed]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.write(text)
    if args.picture:
        picture(args.picture, rows, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
