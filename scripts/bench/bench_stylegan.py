"""StyleGAN texture benchmark: StyleGAN (with and without DiffAugment) against the folder DCGAN on two
categories of the texture library, trained side by side for the same wall time, judged on the held-out
validation crops; plus 2048 px generation time, style mixing and projection.

    .venv/bin/python scripts/bench/bench_stylegan.py train --minutes 45      # six runs at once
    .venv/bin/python scripts/bench/bench_stylegan.py train --minutes 30      # continues them (resumable)
    .venv/bin/python scripts/bench/bench_stylegan.py evaluate                # figures and pictures
    .venv/bin/python scripts/bench/bench_stylegan.py train --minutes 60 --categories rock   # one category:
                                                          # its three runs get two thirds of a core each
    .venv/bin/python scripts/bench/bench_stylegan.py speed [--model M.nrgan]  # 2048 px generation only

Training: every model of every category is one ``neural-render`` process with one torch thread, all
started together, so they share the CPU equally and each gets the same wall time. Models and working
files live in .cache/bench_stylegan (ignored); ``train`` again resumes every model for more minutes.

Judged at the scale both models learn (each 256 px library crop shrunk to 64 px: the DCGAN's whole
image, StyleGAN's crop at texture scale 4):
- KID (Binkowski et al. 2018; the unbiased MMD^2 with the cubic polynomial kernel) between generated
  samples and the category's validation crops, on ImageNet VGG16 features (the channel means and
  standard deviations of relu3_3, relu4_3 and relu5_3; there is no Inception network here), mean and
  standard deviation over 50 random subsets; the floor is the training crops against validation;
- diversity: mean pairwise distance of those features among samples, and among validation crops;
- 2048 x 2048 tileable generation time (median of 5, after one warm-up) and its seam ratio;
- projection: held-out crops fitted with ``stylegan.project``; VGG Gram distance of the fit to the
  target, against the distance of a second crop of the same material to the target (target: <= 2x).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

addon_path.install()

REPO = addon_path.REPO_ROOT
WORK = os.path.join(REPO, ".cache", "bench_stylegan")
LIBRARY = os.path.join(REPO, ".cache", "textures")
CATEGORIES = ("rock", "wood")
SIZE = 64
TEXTURE_SCALE = 4
RUNS = {  # name -> neural-render arguments after the data and --out
    "dcgan": ["gan-train", "--image-size", str(SIZE)],
    "stylegan": ["stylegan-train", "--image-size", str(SIZE), "--texture-scale", str(TEXTURE_SCALE)],
    "stylegan_no_aug": ["stylegan-train", "--image-size", str(SIZE), "--texture-scale", str(TEXTURE_SCALE),
                        "--no-augment"],
}
SAMPLES = 200
FEATURE_LAYERS = ("relu3_3", "relu4_3", "relu5_3")
GRAM_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def model_path(category, run):
    return os.path.join(WORK, f"{category}_{run}.nrgan")


def category_folder(category, split):
    from cli.stylegan_train import category_folder as make
    return make(LIBRARY, category, split)


# -- training ---------------------------------------------------------------------------------------
def train(minutes, categories=CATEGORIES):
    os.makedirs(WORK, exist_ok=True)
    environment = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    processes = []
    for category in categories:
        folder = category_folder(category, "train")
        for run, arguments in RUNS.items():
            path = model_path(category, run)
            command = [sys.executable, os.path.join(REPO, "scripts", "neural-render"), arguments[0],
                       "--folder", folder, "--out", path, "--minutes", str(minutes), *arguments[1:]]
            if os.path.exists(path):
                command.append("--resume")
            log = open(os.path.join(WORK, f"{category}_{run}.log"), "a")
            processes.append((category, run, subprocess.Popen(command, stdout=log, stderr=log, env=environment)))
    print(f"training {len(processes)} models side by side for {minutes:g} min each ...", flush=True)
    for category, run, process in processes:
        print(f"  {category} {run}: exit {process.wait()}", flush=True)


# -- evaluation ---------------------------------------------------------------------------------------
def _vgg():
    import torch
    from neural_render.worker.backbones import registry
    network, name, _ = registry.load_default(torch.device("cpu"))
    return network, name


def _to_tensor(srgb_images):
    import torch
    return torch.from_numpy(np.ascontiguousarray(np.stack(srgb_images).transpose(0, 3, 1, 2))).float()


def features(vgg, srgb_images, batch=50):
    """(N, D): channel means and standard deviations of the judge's layers, per image."""
    import torch
    rows = []
    with torch.no_grad():
        for start in range(0, len(srgb_images), batch):
            maps = vgg(vgg.preprocess(_to_tensor(srgb_images[start:start + batch])), FEATURE_LAYERS)
            parts = []
            for name in FEATURE_LAYERS:
                flat = maps[name].flatten(2)
                parts += [flat.mean(2), flat.std(2)]
            rows.append(torch.cat(parts, 1).double().numpy())
    return np.concatenate(rows)


def kid(a, b, subsets=50, subset_size=None, seed=0):
    """(mean, std) of the unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3 over random subsets."""
    rng = np.random.default_rng(seed)
    size = subset_size or min(len(a), len(b), 100)
    dimension = a.shape[1]
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), size, replace=False)]
        y = b[rng.choice(len(b), size, replace=False)]
        kxx, kyy, kxy = ((x @ x.T / dimension + 1) ** 3, (y @ y.T / dimension + 1) ** 3, (x @ y.T / dimension + 1) ** 3)
        off = ~np.eye(size, dtype=bool)
        values.append(kxx[off].mean() + kyy[off].mean() - 2 * kxy.mean())
    return float(np.mean(values)), float(np.std(values))


def diversity(rows):
    """Mean pairwise Euclidean distance of feature rows, normalised per dimension by their spread."""
    scaled = rows / (rows.std(0, keepdims=True) + 1e-12)
    distances = np.sqrt(((scaled[:, None] - scaled[None]) ** 2).sum(-1))
    return float(distances[np.triu_indices(len(rows), 1)].mean())


def _library_images(category, split):
    """The category's crops shrunk 4x (area, in linear light) to 64 px, as sRGB in [0, 1]."""
    from neural_render.worker.imageio.colour import linear_to_srgb, srgb_to_linear
    from training.textures.shards import TextureLibrary
    library = TextureLibrary(LIBRARY)
    items, crops = library.load(split)
    picked = [(item, crop) for item, crop in zip(items, crops) if item["category"] == category]
    images = []
    for _, crop in picked:
        linear = srgb_to_linear(crop.astype(np.float32) / 255.0)
        small = linear.reshape(SIZE, crop.shape[0] // SIZE, SIZE, crop.shape[1] // SIZE, 3).mean((1, 3))
        images.append(np.clip(linear_to_srgb(small), 0, 1).astype(np.float32))
    return [item for item, _ in picked], images


def _samples(category, run, count):
    """``count`` samples of a trained model as sRGB in [0, 1] (seeds 1000...)."""
    from neural_render.worker.gan import folder_gan
    from neural_render.worker.imageio.colour import linear_to_srgb
    from neural_render.worker.stylegan import sampling
    from neural_render.worker.stylegan.model import StyleGan
    path = model_path(category, run)
    if run == "dcgan":
        from neural_render.worker.gan.folder_gan import FolderGan
        model = FolderGan.load(path)
        linear = folder_gan.sample(model.sampler, model.scale, list(range(1000, 1000 + count)))
    else:
        model = StyleGan.load(path)
        linear = [sampling.generate(model.sampler, model.scale, SIZE, SIZE, seed, tileable=False)
                  for seed in range(1000, 1000 + count)]
    return model, [np.clip(linear_to_srgb(image), 0, 1).astype(np.float32) for image in linear]


def _sheet(path, rows, labels, tile=64, gap=4):
    from PIL import Image, ImageDraw
    columns = max(len(row) for row in rows)
    label_width = 120
    sheet = Image.new("RGB", (label_width + columns * (tile + gap), len(rows) * (tile + gap)), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (row, label) in enumerate(zip(rows, labels)):
        draw.text((4, index * (tile + gap) + tile // 2 - 6), label, fill="black")
        for column, image in enumerate(row):
            picture = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
            sheet.paste(picture.resize((tile, tile), Image.NEAREST) if picture.size != (tile, tile) else picture,
                        (label_width + column * (tile + gap), index * (tile + gap)))
    sheet.save(path)


def _gram_meter(vgg):
    import torch
    from fixtures.texture_metrics import gram_distance, gram_matrices

    def grams(srgb):
        with torch.no_grad():
            maps = vgg(vgg.preprocess(_to_tensor([srgb])), GRAM_LAYERS)
        return gram_matrices([maps[name] for name in GRAM_LAYERS])
    return grams, gram_distance


def evaluate(projections, projection_steps, categories=CATEGORIES):
    import torch
    from fixtures.texture_metrics import seam_ratio
    from neural_render.worker.imageio.colour import linear_to_srgb, srgb_to_linear
    from neural_render.worker.stylegan import projection, sampling
    torch.set_num_threads(2)
    vgg, vgg_name = _vgg()
    results = {"machine": machine.description(),
               "date": time.strftime("%Y-%m-%d %H:%M"), "judge": vgg_name, "categories": {}}
    for category in categories:
        _, train_images = _library_images(category, "train")
        val_items, val_images = _library_images(category, "validation")
        val_features = features(vgg, val_images)
        floor = kid(features(vgg, train_images), val_features)
        entry = {"validation": len(val_images), "train": len(train_images), "floor_kid": floor,
                 "validation_diversity": diversity(val_features), "models": {}}
        sheet_rows, sheet_labels = [val_images[:10]], [f"{category}: held out"]
        for run in RUNS:
            if not os.path.exists(model_path(category, run)):
                continue
            model, samples = _samples(category, run, SAMPLES)
            rows = features(vgg, samples)
            entry["models"][run] = {"kid": kid(rows, val_features), "diversity": diversity(rows),
                                    "steps": model.steps, "seconds_trained": model.seconds_trained}
            sheet_rows.append(samples[:10])
            sheet_labels.append(f"{run} ({model.steps} st)")
        results["categories"][category] = entry
        _sheet(os.path.join(REPO, "docs", f"stylegan_{category}_sheet.png"), sheet_rows, sheet_labels)

        stylegan_path = model_path(category, "stylegan")
        if not os.path.exists(stylegan_path):
            continue
        model, times, big = generation_seconds(stylegan_path)
        generator = model.sampler
        entry["generate_2048_s"] = statistics.median(times)
        entry["seam_ratio_2048"] = seam_ratio(np.clip(linear_to_srgb(big), 0, 1))
        tiles = [np.clip(linear_to_srgb(sampling.generate(generator, model.scale, 256, 256, seed)), 0, 1)
                 for seed in (0, 1)]
        mixed = [[np.clip(linear_to_srgb(sampling.generate(generator, model.scale, 128, 128, a, mix_seed=b,
                                                           mix_layer=layer)), 0, 1)
                  for layer in (2, 4, 6, 8)] for a, b in ((1, 2), (3, 4))]
        _sheet(os.path.join(REPO, "docs", f"stylegan_{category}_mixing.png"), mixed,
               ["1 + fine of 2, from layer 2 4 6 8", "3 + fine of 4"], tile=128)
        _sheet(os.path.join(REPO, "docs", f"stylegan_{category}_2x2_tiled.png"),
               [[np.tile(tile, (2, 2, 1)) for tile in tiles]], ["256 px, tiled 2x2"], tile=256)

        grams, gram_distance = _gram_meter(vgg)
        by_material = {}
        for item, image in zip(val_items, val_images):
            by_material.setdefault(item["key"], []).append(image)
        pairs = [images for images in by_material.values() if len(images) >= 2][:projections]
        ratios, fits = [], []
        for target, second in ((images[0], images[1]) for images in pairs):
            linear_target = srgb_to_linear(target)
            ws, field, noises, (width, height) = projection.project(
                generator, model.scale, linear_target, steps=projection_steps, vgg=vgg)
            fit = np.clip(linear_to_srgb(sampling.render(generator, model.scale, ws, field, noises, 0, width, height)), 0, 1)
            reference = grams(target)
            fit_distance, second_distance = gram_distance(grams(fit), reference), gram_distance(grams(second), reference)
            ratios.append(fit_distance / max(second_distance, 1e-12))
            variations = [np.clip(linear_to_srgb(sampling.generate(generator, model.scale, width, height, 0, ws=ws,
                                                                   layout_seed=seed)), 0, 1) for seed in (1, 2, 3)]
            fits.append([target, second, fit, *variations])
        entry["projection"] = {"count": len(ratios), "steps": projection_steps,
                               "ratio_median": float(np.median(ratios)) if ratios else None,
                               "ratio_max": float(np.max(ratios)) if ratios else None,
                               "ratios": [float(value) for value in ratios]}
        if fits:
            _sheet(os.path.join(REPO, "docs", f"stylegan_{category}_projection.png"), fits[:4],
                   [f"fit {index}" for index in range(len(fits[:4]))])
    with open(os.path.join(WORK, "results.json"), "w") as file:
        json.dump(results, file, indent=1)
    print_table(results)


def generation_seconds(path, repeats=5, side=2048):
    """(model, wall seconds of ``repeats`` tileable side² generations after one warm-up, the last
    image). The time depends on the architecture and the size, not on how far the model trained."""
    from neural_render.worker.stylegan import sampling
    from neural_render.worker.stylegan.model import StyleGan
    model = StyleGan.load(path)
    sampling.generate(model.sampler, model.scale, side, side, seed=0)
    times = []
    for seed in range(repeats):
        started = time.perf_counter()
        image = sampling.generate(model.sampler, model.scale, side, side, seed=seed)
        times.append(time.perf_counter() - started)
    return model, times, image


def speed(paths):
    import torch
    torch.set_num_threads(2)
    print(f"StyleGAN generation, {machine.description()}, torch threads 2, {time.strftime('%Y-%m-%d %H:%M')}")
    for path in paths or [model_path(category, "stylegan") for category in CATEGORIES]:
        model, times, _ = generation_seconds(path)
        print(f"- {os.path.basename(path)} (step {model.steps}): 2048x2048 tileable median "
              f"{statistics.median(times):.2f} s of {len(times)} ({', '.join(f'{t:.2f}' for t in times)})")


def print_table(results):
    print(f"\nRun {results['date']} on {results['machine']}; judge: {results['judge']} features.\n")
    print("| category | model | steps | KID x 1e3 (+- std) | diversity |")
    print("|---|---|---|---|---|")
    for category, entry in results["categories"].items():
        mean, std = entry["floor_kid"]
        print(f"| {category} | train crops (floor) | | {mean * 1e3:.2f} +- {std * 1e3:.2f} | {entry['validation_diversity']:.2f} (held out) |")
        for run, model in entry["models"].items():
            mean, std = model["kid"]
            print(f"| {category} | {run} | {model['steps']} | {mean * 1e3:.2f} +- {std * 1e3:.2f} | {model['diversity']:.2f} |")
    print()
    for category, entry in results["categories"].items():
        if "generate_2048_s" in entry:
            print(f"- {category}: 2048x2048 tileable in {entry['generate_2048_s']:.2f} s (median of 5), "
                  f"seam ratio {entry['seam_ratio_2048']:.2f}")
        projection = entry.get("projection")
        if projection and projection["count"]:
            print(f"- {category}: projection of {projection['count']} held-out crops ({projection['steps']} steps): "
                  f"Gram distance fit / second crop median {projection['ratio_median']:.2f}, max {projection['ratio_max']:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train")
    train_parser.add_argument("--minutes", type=float, default=45.0)
    evaluate_parser = commands.add_parser("evaluate")
    for sub in (train_parser, evaluate_parser):
        sub.add_argument("--categories", nargs="+", choices=CATEGORIES, default=list(CATEGORIES),
                         help="only these categories (fewer processes side by side: more CPU for each)")
    evaluate_parser.add_argument("--projections", type=int, default=6)
    evaluate_parser.add_argument("--projection-steps", type=int, default=300)
    speed_parser = commands.add_parser("speed", help="only the 2048 px generation time")
    speed_parser.add_argument("--model", action="append", default=[],
                              help="a StyleGAN model file (default: the benchmark's two)")
    args = parser.parse_args(argv)
    if args.command == "train":
        train(args.minutes, args.categories)
    elif args.command == "speed":
        speed(args.model)
    else:
        evaluate(args.projections, args.projection_steps, args.categories)


if __name__ == "__main__":
    main()
