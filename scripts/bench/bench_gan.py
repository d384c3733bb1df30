"""GAN texture benchmark: train the exemplar model for N minutes on a Blender-rendered exemplar and
measure what the issue's targets ask for, then draw docs/gan_contact_sheet.png.

    .venv/bin/python scripts/bench/bench_gan.py --minutes 10

Measured (printed as a table for docs/BENCHMARKS.md):
- VGG Gram distance of generated samples to the exemplar (mean and median over 64 seeds, at the
  shipped variation 0 and at variation 1), against the floor (64 random real crops of the exemplar,
  same size) and two baselines: colour-matched Gaussian noise, and a random tiling (a mosaic of
  randomly placed exemplar patches);
- diversity: mean absolute pixel difference between samples of different seeds, and the same for
  real crops;
- the time to generate a tileable 2048 x 2048 texture (median of 3, after one warm-up);
- the seam ratio (wrap-around border difference / interior line difference) of tileable and
  plain samples and of the exemplar itself.
"""

import argparse
import ast
import copy
import os
import statistics
import sys
import tempfile
import time

import numpy as np

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402
from bench import machine  # noqa: E402

REPO = addon_path.REPO_ROOT

SAMPLE_SIZE = 128   # Gram statistics are compared between images of one size
# The distance of one sample is heavy-tailed (at variation 1: median seed about 2x the floor, the worst
# of 64 up to 56x), so the mean of 16 samples of one model moved over 3.1x-5.7x between disjoint sets of
# 16 seeds (the "quarters" printed below; docs/history/gan_experiments.md): 64 samples, and 64 crops for the floor.
SAMPLES = 64
GRAM_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")  # Gatys et al.'s texture layers
CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)


def load_vgg_features():
    """``features(srgb (1, 3, H, W) in [0, 1]) -> [feature maps]`` through the project's VGG16
    backbone (``neural_render.worker.backbones``), or None if that module is not there yet.

    The backbone expects Caffe input (BGR, 0-255, mean-subtracted); the conversion is here so the
    only things assumed of the backbone are ``vgg16.load(device)`` and calling the network with
    ``layers=``, returning the maps in that order.
    """
    try:
        from neural_render.worker.backbones import vgg16
    except ImportError:
        return None
    import torch
    network = vgg16.load(torch.device("cpu"))
    mean = torch.from_numpy(CAFFE_BGR_MEAN).view(1, 3, 1, 1)

    def features(srgb):
        caffe = srgb.flip(1) * 255.0 - mean
        maps = network(caffe, layers=GRAM_LAYERS)
        return list(maps.values()) if isinstance(maps, dict) else list(maps)
    return features


def to_display(linear):
    from neural_render.worker.imageio.colour import linear_to_srgb
    return np.clip(linear_to_srgb(np.clip(linear, 0, None)), 0, 1)


def noise_baseline(exemplar_srgb, count, size, seed=0):
    rng = np.random.default_rng(seed)
    mean, std = exemplar_srgb.mean(axis=(0, 1)), exemplar_srgb.std(axis=(0, 1))
    return [np.clip(rng.normal(mean, std, (size, size, 3)), 0, 1).astype(np.float32) for _ in range(count)]


def tiling_baseline(exemplar_srgb, count, size, patch=32, seed=0):
    """Random tiling: a mosaic of ``patch`` px squares cut from random places of the exemplar."""
    from fixtures.texture_metrics import random_crops
    per_side = size // patch
    mosaics = []
    for index in range(count):
        patches = random_crops(exemplar_srgb, patch, per_side * per_side, seed=seed + index)
        rows = [np.concatenate(patches[row * per_side:(row + 1) * per_side], axis=1) for row in range(per_side)]
        mosaics.append(np.concatenate(rows, axis=0))
    return mosaics


def contact_sheet(path, exemplar, samples, tile, gap=8):
    """exemplar | four samples | a tile repeated 2 x 2, in one strip (sRGB arrays of one height;
    the tile is half that height)."""
    from neural_render.worker.imageio.colour import srgb_to_linear
    from neural_render.worker.imageio.files import write_image
    pieces = []
    for image in [exemplar] + samples + [np.tile(tile, (2, 2, 1))]:
        pieces += [image, np.ones((image.shape[0], gap, 3), np.float32)]
    write_image(path, srgb_to_linear(np.concatenate(pieces[:-1], axis=1)))


def after_each_step(model, hook):
    """Call ``hook()`` after every training step (bench instrumentation; training is unchanged)."""
    train_step = model.trainer.step

    def step(between=None):
        stats = train_step(between)
        hook()
        return stats
    model.trainer.step = step


def keep_extra_averages(model, decays):
    """{decay: ExponentialMovingAverage} of the generator, updated after every training step beside
    the model's own: several averaging horizons compared on one training run."""
    from neural_render.worker.gan.ema import ExponentialMovingAverage
    averages = {}
    for item in filter(None, decays.split(",")):
        decay, _, warmup = item.partition("/")
        averages[item] = ExponentialMovingAverage(model.generator, float(decay), float(warmup or 10))
    if averages:
        after_each_step(model, lambda: [average.update(model.generator, model.trainer.steps)
                                        for average in averages.values()])
    return averages


def keep_snapshots(model, seconds):
    """[(step, seconds, EMA generator weights)] every ``seconds`` of training: the trajectory of the
    generator users would get had training stopped there."""
    snapshots, started = [], time.monotonic()

    def snapshot():
        elapsed = time.monotonic() - started
        if elapsed >= seconds * (len(snapshots) + 1):
            snapshots.append((model.trainer.steps, elapsed, copy.deepcopy(model.trainer.ema.model.state_dict())))
    if seconds:
        after_each_step(model, snapshot)
    return snapshots


def diagnosis(meter, model, sampler, samples_of, crops, exemplar_srgb, floor):
    """Rows: where the Gram distance lives (per layer; real crops blurred by a fraction of a pixel show
    how much of it is edge sharpness and grain), and how much re-measuring the sampler's batch-norm
    statistics with other seeds and batch counts moves the figure."""
    from scipy.ndimage import gaussian_filter

    from neural_render.worker.gan.gan_model import CALIBRATION_SEED
    sets = [("GAN samples", samples_of(sampler)), ("real crops (floor)", crops)]
    sets += [(f"real crops blurred, sigma {sigma} px", [gaussian_filter(crop, (sigma, sigma, 0)) for crop in crops])
             for sigma in (0.5, 1.0)]
    sets.append(("random 32 px tiling", tiling_baseline(exemplar_srgb, SAMPLES, SAMPLE_SIZE)))
    rows = [("per layer " + " / ".join(GRAM_LAYERS), "")]
    for name, images in sets:
        layers = meter.layer_distances(images)
        rows.append((f"  {name}", " / ".join(f"{value:.3g}" for value in layers) + f"  ({layers.sum() / floor:.2f} x floor)"))
    network = copy.deepcopy(sampler)
    for batches in (4, 16, 32):
        figures = [meter.mean_distance(samples_of(model.calibrate(network, seed=seed, batches=batches))) / floor
                   for seed in (CALIBRATION_SEED, 0, 1, 2, 3)]
        rows.append((f"sampler calibrated on {batches} batches, own seed; seeds 0-3",
                     f"{figures[0]:.2f}; " + " / ".join(f"{value:.2f}" for value in figures[1:]) + " x floor"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "neural-render-bench-gan"),
                        help="folder for the exemplar, the model and the tiled picture")
    parser.add_argument("--sheet", default=os.path.join(REPO, "docs", "gan_contact_sheet.png"))
    parser.add_argument("--variation-sheet", metavar="PNG",
                        help="also draw the four seeds farthest from the exemplar at variation 1 (top row) "
                             "and the same seeds at variation 0 (bottom row)")
    parser.add_argument("--exemplar-size", type=int, default=256)
    parser.add_argument("--model", help="skip training: measure this model file")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a model setting, e.g. --set periodic_channels=0 (repeatable)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--train-set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a training setting, e.g. --train-set style_weight=0 (repeatable)")
    parser.add_argument("--snapshot-every", type=float, default=0, metavar="SECONDS",
                        help="also score the generator average as it was every SECONDS of training")
    parser.add_argument("--diagnose", action="store_true",
                        help="also print the Gram distance per VGG layer (samples, real crops, blurred real "
                             "crops, random tiling) and the sampler's figure with its batch-norm statistics "
                             "re-measured on 4, 16 and 32 batches, with its own seed and seeds 0-3")
    parser.add_argument("--crop-size", type=int, help="training crop size (default: the model's)")
    parser.add_argument("--seed", type=int, default=0,
                        help="training seed (initial weights and batches); a two-thread run is nearly "
                             "deterministic for one seed, so the spread of a setting needs several")
    parser.add_argument("--compare-ema", default="", metavar="DECAYS",
                        help="also keep generator averages with these decays (comma-separated; DECAY/WARMUP "
                             "sets the warm-up ramp too) during training and report their Gram distance: a "
                             "side-by-side comparison on one run")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    addon_path.install()
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    from fixtures.gan_exemplar import render_exemplar
    from fixtures import texture_metrics as metrics
    from neural_render.worker.gan import generate, training_loop
    from neural_render.worker.gan.exemplar_gan import ExemplarGan
    from neural_render.worker.imageio.files import write_image

    exemplar = render_exemplar(args.exemplar_size)
    write_image(os.path.join(args.out, "exemplar.exr"), exemplar)
    exemplar_srgb = to_display(exemplar)
    model_path = args.model or os.path.join(args.out, "exemplar.nrgan")

    extra_averages, snapshots = {}, []
    if args.model:
        model = ExemplarGan.load(model_path)
        summary = {"steps": model.steps, "seconds": model.seconds_trained}
    else:
        from neural_render.worker.gan.psgan import PsganConfig
        overrides = {name: ast.literal_eval(value) for name, value in (item.split("=", 1) for item in args.set)}
        from dataclasses import replace
        train_overrides = {name: ast.literal_eval(value)
                           for name, value in (item.split("=", 1) for item in args.train_set)}
        data = {"crop_size": args.crop_size} if args.crop_size else None
        model = ExemplarGan(PsganConfig(**overrides), replace(ExemplarGan.default_settings(), **train_overrides),
                            data, seed=args.seed)
        model.attach_exemplar(exemplar)
        extra_averages = keep_extra_averages(model, args.compare_ema)
        snapshots = keep_snapshots(model, args.snapshot_every)
        print(f"training {args.minutes:g} min on {torch.get_num_threads()} threads ...", flush=True)
        summary = training_loop.train(model, seconds=args.minutes * 60, checkpoint_path=model_path)
        # Seed 0 rather than the model's own calibration seed: these figures in BENCHMARKS.md were measured so.
        extra_averages = {decay: model.calibrate(average.model, seed=0) for decay, average in extra_averages.items()}
    sampler = model.sampler

    def sample(seed, size=SAMPLE_SIZE, tileable=False, generator=sampler, variation=generate.DEFAULT_VARIATION):
        return to_display(generate.generate(generator, model.scale, size, size, seed=seed, tileable=tileable,
                                            variation=variation))

    def samples_of(generator, variation=generate.DEFAULT_VARIATION):
        return [sample(seed, generator=generator, variation=variation) for seed in range(SAMPLES)]

    samples = samples_of(sampler)
    varied = samples_of(sampler, variation=1.0)
    crops = metrics.random_crops(exemplar_srgb, SAMPLE_SIZE, SAMPLES, seed=1)
    rows = []

    features = load_vgg_features()
    if features is None:
        rows.append(("VGG Gram distance", "not measured: neural_render.worker.backbones (VGG16) is not installed"))
    else:
        meter = metrics.GramMeter(features, exemplar_srgb)
        floor = meter.mean_distance(crops)
        noise = meter.mean_distance(noise_baseline(exemplar_srgb, SAMPLES, SAMPLE_SIZE))
        tiling = meter.mean_distance(tiling_baseline(exemplar_srgb, SAMPLES, SAMPLE_SIZE))

        def describe(distances):
            # The means of four disjoint quarters show how far a figure from fewer samples would stray.
            quarters = " / ".join(f"{part.mean():.2f}" for part in np.array_split(distances, 4))
            return (f"{distances.mean():.2f} x floor (median {np.median(distances):.2f}, worst {distances.max():.1f}; "
                    f"quarters {quarters})")
        crop_distances, sample_distances, varied_distances = (
            np.array([meter.distance(image) for image in images]) / floor for images in (crops, samples, varied))
        rows += [("Gram distance, real crops (floor)", f"{floor:.4g}  ({describe(crop_distances)})"),
                 ("Gram distance, GAN samples (variation 0)", describe(sample_distances)),
                 ("  variation 1 (the full global code)", describe(varied_distances)),
                 ("Gram distance, colour-matched noise", f"{noise:.4g}  ({noise / floor:.1f} x floor)"),
                 ("Gram distance, random 32 px tiling", f"{tiling:.4g}  ({tiling / floor:.2f} x floor)")]
        for decay, average in extra_averages.items():
            distance = meter.mean_distance(samples_of(average))
            rows.append((f"  generator average with decay {decay}", f"{distance:.4g}  ({distance / floor:.2f} x floor)"))
        if snapshots:
            network = copy.deepcopy(sampler)
            for step, seconds, weights in snapshots:
                network.load_state_dict(weights)
                distance = meter.mean_distance(samples_of(model.calibrate(network, seed=0)))
                rows.append((f"  at step {step} ({seconds:.0f} s)", f"{distance:.4g}  ({distance / floor:.2f} x floor)"))
    if args.diagnose and features is not None:
        rows += diagnosis(meter, model, sampler, samples_of, crops, exemplar_srgb, floor)
    rows += [("diversity: mean |difference| between seeds", f"{metrics.mean_pairwise_difference(samples):.4f}"),
             ("  at variation 1", f"{metrics.mean_pairwise_difference(varied):.4f}"),
             ("  same for real crops", f"{metrics.mean_pairwise_difference(crops):.4f}")]

    generate.generate(sampler, model.scale, 512, 512, seed=0, tileable=True)  # warm-up
    times = []
    for seed in range(3):
        started = time.perf_counter()
        generate.generate(sampler, model.scale, 2048, 2048, seed=seed, tileable=True)
        times.append(time.perf_counter() - started)
    rows.append(("2048 x 2048 tileable texture", f"{statistics.median(times):.2f} s (median of 3)"))

    tiles = [sample(seed, 512, tileable=True) for seed in range(4)]
    plain = [sample(seed, 512, tileable=False) for seed in range(4)]
    rows += [("seam ratio, tileable 512 px (mean of 4)", f"{np.mean([metrics.seam_ratio(t) for t in tiles]):.3f}"),
             ("seam ratio, not tileable 512 px", f"{np.mean([metrics.seam_ratio(p) for p in plain]):.3f}"),
             ("seam ratio, the exemplar itself", f"{metrics.seam_ratio(exemplar_srgb):.3f}")]

    side = exemplar_srgb.shape[0]
    if args.variation_sheet and features is not None:
        farthest = np.argsort(varied_distances)[::-1][:4]
        rows.append(("variation sheet: seeds (x floor at variation 1 / 0)", ", ".join(
            f"{seed} ({varied_distances[seed]:.1f} / {sample_distances[seed]:.1f})" for seed in farthest)))
        from neural_render.worker.imageio.colour import srgb_to_linear
        gap = np.ones((SAMPLE_SIZE, 4, 3), np.float32)
        strips = [np.concatenate([piece for seed in farthest for piece in (images[seed], gap)][:-1], axis=1)
                  for images in (varied, samples)]
        between = np.ones((4, strips[0].shape[1], 3), np.float32)
        write_image(args.variation_sheet, srgb_to_linear(np.concatenate([strips[0], between, strips[1]], axis=0)))
    contact_sheet(args.sheet, exemplar_srgb[:, :side], [sample(seed, side, tileable=True) for seed in range(4)],
                  sample(7, side // 2, tileable=True))
    write_image(os.path.join(args.out, "tiled_2x2.png"),
                np.tile(generate.generate(sampler, model.scale, 256, 256, seed=7, tileable=True), (2, 2, 1)))

    print(f"machine: {machine.description()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"training: {summary['steps']} steps in {summary['seconds']:.0f} s; model {os.path.getsize(model_path) / 1e6:.1f} MB")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"contact sheet: {args.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
