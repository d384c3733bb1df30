#!/usr/bin/env python3
"""Relight Image: the trained network vs the two baselines the issue names, on held-out scenes under
held-out worlds; the source-world estimate's error; speed at 1024²; real photos under three worlds.

    .venv/bin/python scripts/bench/bench_relight_image.py [--scenes .cache/relight_scenes] [--weights MODEL.pt]
        [--pairs-per-scene 5] [--photos /usr/share/tuxpaint/stamps] [--figures docs]

Held out: the validation scenes (their own seeds and the texture library's validation materials,
captured by capture_relight_scenes.py) under validation worlds (the HDRIs courtyard and sunset, never
in a training batch, and synthetic sun/sky and studio worlds from other seeds), in pairs drawn with a
seed the training's checkpoint choice never saw. Ground truth: the exact light-stage relighting of
the capture under the target world. Methods, all run through the product's core (``core.relight``):
- identity: the input unchanged;
- irradiance ratio: the input scaled per channel by target / source total irradiance (given the true
  source world: a strong simple baseline);
- network: the source world estimated from the image (what a photo gets);
- network, known source: the true source world given (what a render with a known world gets).
PSNR (dB) and SSIM of tonemapped x/(1+x) sRGB over the subject (metrics.py). An image alone does not
say how bright its light was (a dark object in bright light looks like a bright one in dim light), so
the estimated source's level is partly a guess; "exposure-matched" PSNR gives every method its best
single gain per image (least squares over the subject) to show what is left: the lighting's direction,
shadows and colour.
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

import torch  # noqa: E402

from neural_render.worker.relight.weights import Environment, z_rotation  # noqa: E402
from neural_render.worker.relight_image import checkpoint, core, environment_grid, job  # noqa: E402
from training.relight_data import environments, metrics, scene_store  # noqa: E402
from training.relight_data.pairs import PairMaker  # noqa: E402

BENCH_SEED = 4321
PHOTOS = ("household/tools/cementmixer.png", "vehicles/wheel_tractor.png", "town/monuments/inukshuk-photo.png",
          "animals/birds/helmeted_guineafowl.png", "food/fruit/mandarine.png")  # photo cut-outs, GPL-2
PHOTO_WORLDS = (("forest", 0.0), ("courtyard", 90.0), ("sunset", 200.0))


def load_model(path):
    return checkpoint.network_from_checkpoint(checkpoint.load_checkpoint(path or job.BUNDLED_PATH))


def held_out_pairs(folder, pairs_per_scene):
    lights, alpha, _, _ = scene_store.load_split(folder, "validation")
    sampler = environments.EnvironmentSampler("validation", os.path.join(folder, "environments"))
    maker = PairMaker(torch.from_numpy(lights), torch.from_numpy(alpha), sampler)
    rng = np.random.default_rng(BENCH_SEED)
    return [maker.sample(rng, scene=scene, augment=False) for scene in range(len(lights)) for _ in range(pairs_per_scene)]


def _hwc(tensor):
    return tensor.permute(1, 2, 0).numpy().astype(np.float32)


def evaluate(model, samples, side):
    rows = {name: {"psnr": [], "ssim": [], "matched": []} for name in ("identity", "irradiance ratio", "network", "network, known source")}
    source_errors, constant_errors = [], []
    sources = np.stack([s["source_grid"].double().numpy() for s in samples])
    mean_source = sources.mean(axis=0)
    kept = []
    for sample in samples:
        image, truth, matte = _hwc(sample["image"]), _hwc(sample["target"]), sample["matte"][0].numpy()
        source, target = sample["source_grid"].double().numpy(), sample["target_grid"].double().numpy()
        scale = environment_grid.irradiance(target) / np.maximum(environment_grid.irradiance(source), 1e-9)
        ours, estimate = core.relight(model, image, matte, [target], side)
        known, _ = core.relight(model, image, matte, [target], side, source_grid=source)
        outputs = {"identity": image, "irradiance ratio": image * scale.astype(np.float32),
                   "network": ours[0], "network, known source": known[0]}
        for name, output in outputs.items():
            rows[name]["psnr"].append(metrics.psnr(truth, output, matte))
            rows[name]["ssim"].append(metrics.ssim(truth, output, matte))
            rows[name]["matched"].append(metrics.psnr(truth, output * _best_gain(truth, output, matte), matte))
        source_errors.append(metrics.grid_error(estimate, source))
        constant_errors.append(metrics.grid_error(mean_source, source))
        kept.append((image, truth, outputs, matte, source, target, estimate))
    return rows, np.array(source_errors), np.array(constant_errors), kept


def _best_gain(truth, output, matte):
    mask = matte > 0.5
    denominator = float((output[mask] ** 2).sum())
    return float((truth[mask] * output[mask]).sum()) / denominator if denominator > 0 else 1.0


def speed(model, side, repeats=5):
    rng = np.random.default_rng(0)
    image = rng.random((1024, 1024, 3)).astype(np.float32)
    matte = np.ones((1024, 1024), np.float32)
    hdri = os.path.join(environments.hdri_folder(), "forest.exr")
    from neural_render.worker.imageio.exr import read_exr
    world = read_exr(hdri)
    grid = environment_grid.environment_grid(Environment(world, mapping=z_rotation(30.0)))
    core.relight(model, image, matte, [grid], side)  # warm-up
    core_times, job_times = [], []
    from fixtures.in_process_jobs import run_job
    from neural_render.worker import jobs
    cache = jobs.ModelCache()
    run_job("relight_image.apply", {"world": hdri, "rotation_deg": 30.0}, {"image": image}, cache=cache)
    for _ in range(repeats):
        start = time.perf_counter()
        core.relight(model, image, matte, [grid], side)
        core_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_job("relight_image.apply", {"world": hdri, "rotation_deg": 30.0}, {"image": image}, cache=cache)
        job_times.append(time.perf_counter() - start)
    return float(np.median(core_times)), float(np.median(job_times)), world.shape


def _display(x):
    return (np.clip(metrics.tonemap(x), 0, 1) * 255 + 0.5).astype(np.uint8)


def _grid_picture(grid, width):
    """A world grid as a small lat-long picture (nearest cells), exposed to its own mean."""
    from PIL import Image
    level = max(float(np.mean(grid)), 1e-6)
    picture = _display(grid / (2.0 * level))
    return np.asarray(Image.fromarray(picture).resize((width, width // 2), Image.NEAREST))


def validation_figure(kept, path, count=5):
    from PIL import Image, ImageDraw
    tile = 160
    labels = ("input (world A)", "truth (world B)", "network", "network, known A", "irradiance ratio", "A | est. A | B")
    rows = []
    order = np.linspace(0, len(kept) - 1, count).astype(int)
    for index in order:
        image, truth, outputs, matte, source, target, estimate = kept[index]
        cells = [image, truth, outputs["network"], outputs["network, known source"], outputs["irradiance ratio"]]
        pictures = [np.asarray(Image.fromarray(_display(c)).resize((tile, tile), Image.BILINEAR)) for c in cells]
        grids = np.concatenate([_grid_picture(g, tile) for g in (source, estimate, target)], axis=0)
        grids = np.asarray(Image.fromarray(grids).resize((tile // 2 * 2 // 2, tile), Image.NEAREST))
        rows.append(np.concatenate(pictures + [grids], axis=1))
    sheet = np.concatenate(rows, axis=0)
    header = Image.new("RGB", (sheet.shape[1], 18), "white")
    draw = ImageDraw.Draw(header)
    for column, label in enumerate(labels):
        draw.text((column * tile + 4, 3), label, fill="black")
    Image.fromarray(np.concatenate([np.asarray(header), sheet], axis=0)).save(path)


def photo_figure(model, photo_folder, side, path):
    """Real photo cut-outs (tuxpaint-stamps-default, GPL-2) relit under three worlds."""
    from PIL import Image, ImageDraw
    from neural_render.worker.imageio.colour import srgb_to_linear
    from neural_render.worker.imageio.exr import read_exr
    tile = 200
    worlds = [(name, turn, read_exr(os.path.join(environments.hdri_folder(), f"{name}.exr"))) for name, turn in PHOTO_WORLDS]
    rows, notes = [], []
    for relative in PHOTOS:
        file = os.path.join(photo_folder, relative)
        if not os.path.exists(file):
            notes.append(f"{relative}: not installed")
            continue
        rgba = np.asarray(Image.open(file).convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3]
        rgb = srgb_to_linear(rgba[..., :3]) * alpha[..., None]
        grids = [environment_grid.environment_grid(Environment(image, mapping=z_rotation(turn))) for _, turn, image in worlds]
        relit, estimate = core.relight(model, rgb, alpha, grids, side)
        grey = np.full_like(rgb, 0.18)
        cells = [rgb * alpha[..., None] + grey * (1 - alpha[..., None])]
        cells += [frame * alpha[..., None] + grey * (1 - alpha[..., None]) for frame in relit]
        pictures = [np.asarray(Image.fromarray(_display(c)).resize((tile, tile), Image.BILINEAR)) for c in cells]
        thumbs = np.concatenate([_grid_picture(estimate, tile)] + [_grid_picture(g, tile) for g in grids], axis=0)
        thumbs = np.asarray(Image.fromarray(thumbs).resize((tile // 2, tile * 2 // 2 * 1), Image.NEAREST))
        rows.append(np.concatenate(pictures + [thumbs], axis=1))
        notes.append(f"{relative}: {rgb.shape[1]}x{rgb.shape[0]}")
    if not rows:
        # Nothing to draw: say so (apt-get install tuxpaint-stamps-default) instead of failing the run.
        return notes, False
    sheet = np.concatenate(rows, axis=0)
    header = Image.new("RGB", (sheet.shape[1], 18), "white")
    draw = ImageDraw.Draw(header)
    labels = ["photo"] + [f"{name} {turn:g}°" for name, turn, _ in worlds] + ["est. | worlds"]
    for column, label in enumerate(labels):
        draw.text((column * tile + 4, 3), label, fill="black")
    Image.fromarray(np.concatenate([np.asarray(header), sheet], axis=0)).save(path)
    return notes, True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", default=".cache/relight_scenes")
    parser.add_argument("--weights", default=None, help="a model file (default: the bundled model)")
    parser.add_argument("--pairs-per-scene", type=int, default=5)
    parser.add_argument("--side", type=int, default=128, help="network resolution")
    parser.add_argument("--photos", default="/usr/share/tuxpaint/stamps")
    parser.add_argument("--figures", default="docs")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model = load_model(args.weights)
    samples = held_out_pairs(args.scenes, args.pairs_per_scene)
    started = time.perf_counter()
    rows, source_errors, constant_errors, kept = evaluate(model, samples, args.side)
    print(f"## Relight Image ({datetime.date.today()}, {machine.description()}, "
          f"torch {torch.__version__})\n")
    print(f"`.venv/bin/python scripts/bench/bench_relight_image.py {' '.join(sys.argv[1:])}`\n")
    print(f"{len(samples)} held-out pairs ({len(samples) // args.pairs_per_scene} validation scenes x "
          f"{args.pairs_per_scene} pairs of validation worlds), network at {args.side} px; "
          f"evaluated in {time.perf_counter() - started:.0f} s.\n")
    ratio = np.array(rows["irradiance ratio"]["psnr"])
    print("| method | PSNR mean (dB) | PSNR median | SSIM mean | Δ PSNR vs irradiance ratio (mean, median) | "
          "pairs better than ratio | exposure-matched PSNR mean |")
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        psnr, ssim, matched = np.array(row["psnr"]), np.array(row["ssim"]), np.array(row["matched"])
        delta = psnr - ratio
        print(f"| {name} | {psnr.mean():.2f} | {np.median(psnr):.2f} | {ssim.mean():.3f} | "
              f"{delta.mean():+.2f}, {np.median(delta):+.2f} | {np.mean(delta > 0) * 100:.0f} % | {matched.mean():.2f} |")
    print(f"\nSource-world estimate (from the image alone): log(1+radiance) RMSE per cell "
          f"{source_errors[:, 0].mean():.3f} (median {np.median(source_errors[:, 0]):.3f}); relative error "
          f"of its total irradiance {source_errors[:, 1].mean() * 100:.0f} % (median "
          f"{np.median(source_errors[:, 1]) * 100:.0f} %). The same for a constant guess, the mean of "
          f"these source worlds: {constant_errors[:, 0].mean():.3f} and {constant_errors[:, 1].mean() * 100:.0f} %.\n")
    core_time, job_time, world_shape = speed(model, args.side)
    print(f"Speed, 1024 x 1024: core {core_time:.2f} s (median of 5: network at {args.side} px, guided "
          f"upsampling, relit); the whole job {job_time:.2f} s (reading the {world_shape[1]}x{world_shape[0]} "
          "HDRI, its grid, compositing).\n")
    os.makedirs(args.figures, exist_ok=True)
    validation_figure(kept, os.path.join(args.figures, "relight_image_validation.png"))
    notes, drawn = photo_figure(model, args.photos, args.side, os.path.join(args.figures, "relight_image_photos.png"))
    if drawn:
        print(f"Figures: {args.figures}/relight_image_validation.png, {args.figures}/relight_image_photos.png "
              f"({'; '.join(notes)}).")
    else:
        print(f"Figures: {args.figures}/relight_image_validation.png; no photo figure, none of the photos is "
              f"installed under {args.photos} (apt-get install tuxpaint-stamps-default).")


if __name__ == "__main__":
    main()
