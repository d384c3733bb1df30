#!/usr/bin/env python3
"""Train the ECCV16-style colorizer (class-rebalanced classification over a*b* bins) on colour images.

    .venv/bin/python scripts/training/train_colorizer.py --images ~/photos --out colorizer.pt --minutes 60
    .venv/bin/python scripts/training/train_colorizer.py --bundled --out small.pt --minutes 20 --evaluate
    .venv/bin/python scripts/training/train_colorizer.py --images ~/photos --out colorizer.pt --minutes 60 --resume

``--bundled`` trains on the images that ship with the bpy module (8 studio HDRIs, 27 matcaps),
keeping only the left 70 % of each; the right 25 % is held out, and ``--evaluate`` scores it against
the "predict the mean a*b*" baseline at the end. Checkpoints are written atomically every
``--checkpoint-every`` seconds, at the end and on Ctrl-C; ``--resume`` continues one (same settings).
With a validation curve (``--library``) the state at its lowest point is kept beside ``--out`` as
``<out>.best.pt``: that, not the last state, is the model to export. ``--backbone vgg16_imagenet``
starts blocks 1-4 from ImageNet VGG16 (colorize_backbone_init.py). Runs on the GPU when there is one
(``--device``).
"""

import argparse
import glob
import importlib.util
import json
import os
import sys
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402


def bundled_image_paths():
    """The HDRIs and matcaps inside the installed bpy module (found without importing bpy)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or spec.origin is None:
        raise SystemExit("train_colorizer: --bundled needs the bpy module installed")
    folder = os.path.join(os.path.dirname(spec.origin), f"{_bpy_version_folder(os.path.dirname(spec.origin))}",
                          "datafiles", "studiolights")
    paths = sorted(glob.glob(os.path.join(folder, "world", "*.exr"))) + sorted(glob.glob(os.path.join(folder, "matcap", "*.exr")))
    if not paths:
        raise SystemExit(f"train_colorizer: no bundled images under {folder}")
    return paths


DEFAULT_LIBRARY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               ".cache", "textures")
VALIDATION_IMAGES = 64     # held-out crops the validation curve is measured on
VALIDATION_CROP = 128


def library_data(folder):
    """(train Lab arrays, validation Lab crops, provenance) of a texture library."""
    from training import colorize_training_data as training_data
    import numpy as np

    from training.textures.shards import TextureLibrary
    library = TextureLibrary(folder)
    _, train = training_data.library_lab_arrays(library, "train")
    _, validation = training_data.library_lab_arrays(library, "validation")
    margin = (library.size - VALIDATION_CROP) // 2
    # One crop per validation material (its first), spread over the whole split.
    items = library.items("validation")
    first = [index for index, item in enumerate(items) if item.get("crop", 0) == 0]
    chosen = [first[int(position)] for position in np.linspace(0, len(first) - 1, min(VALIDATION_IMAGES, len(first)))]
    validation = [validation[index][margin:margin + VALIDATION_CROP, margin:margin + VALIDATION_CROP]
                  for index in sorted(set(chosen))]
    provenance = {"data": library.provenance(), "split": "train (validation split held out, by material family)",
                  "command": "train_colorizer.py " + " ".join(sys.argv[1:])}
    return train, validation, provenance


def _bpy_version_folder(root):
    versions = sorted(name for name in os.listdir(root) if name[:1].isdigit() and os.path.isdir(os.path.join(root, name)))
    return versions[-1] if versions else ""


def bundled_split(long_side, paths=None):
    """(train, held-out) Lab arrays from the bundled images: left 70 % / right 25 % of each."""
    from training import colorize_evaluation as evaluation, colorize_training_data as training_data
    images = [training_data.read_colour_image(path) for path in (paths or bundled_image_paths())]
    return evaluation.split_columns(training_data.to_lab_arrays(images, long_side))


def parse_chunk_args(parser, argv):
    """Add the options every resumable training script shares, parse and check them."""
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: torch's default)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    args = parser.parse_args(argv)
    if args.crop % 8:
        parser.error("--crop must be a multiple of 8")
    if args.minutes is None and args.steps is None:
        args.minutes = 10.0
    return args


def parse_args(argv=None):
    addon_path.install()   # the backbone choices come from the training code, which imports the add-on
    from training import colorize_backbone_init as backbone_init
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", metavar="FOLDER", help="folder of colour images (searched recursively)")
    source.add_argument("--bundled", action="store_true", help="the bpy module's HDRIs and matcaps (left 70 %%)")
    source.add_argument("--library", metavar="FOLDER", nargs="?", const=DEFAULT_LIBRARY,
                        help="a texture library (scripts/training/build_texture_library.py; default "
                             ".cache/textures): trains on its train split, validates on its validation split")
    parser.add_argument("--out", required=True, help="checkpoint file (.pt)")
    parser.add_argument("--resume", action="store_true", help="continue the checkpoint at --out")
    parser.add_argument("--minutes", type=float, default=None, help="time budget (default 10 without --steps)")
    parser.add_argument("--steps", type=int, default=None, help="number of steps")
    parser.add_argument("--width", type=float, default=0.125, help="channel multiplier (1 = released ECCV16)")
    parser.add_argument("--crop", type=int, default=48, help="training crop size, a multiple of 8")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--long-side", type=int, default=128, help="images are resized to this long side")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rotate", action="store_true", help="also rotate crops by multiples of 90 degrees")
    parser.add_argument("--channels", type=int, nargs=8, metavar="C",
                        help="the eight blocks' channels (overrides --width), e.g. 64 128 256 512 128 128 128 64")
    parser.add_argument("--backbone", choices=backbone_init.BACKBONES,
                        help="start blocks 1-4 from ImageNet VGG16's conv1-conv4 (needs --channels 64 128 256 512 ...)")
    parser.add_argument("--backbone-lr-scale", type=float, default=1.0,
                        help="learning rate of the pretrained blocks relative to the rest")
    parser.add_argument("--rebalance-mix", type=float, default=0.5,
                        help="lambda of the class rebalancing (Zhang et al.: 0.5; 1 = plain cross-entropy)")
    parser.add_argument("--validate-every", type=float, default=600.0,
                        help="seconds between held-out losses (--library: the validation curve)")
    parser.add_argument("--checkpoint-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--evaluate", action="store_true", help="score the held-out part (--bundled only)")
    parser.add_argument("--export", metavar="PATH",
                        help="also write an inference-only copy (no optimizer state, ~1/3 the size) here")
    args = parse_chunk_args(parser, argv)
    if args.evaluate and not args.bundled:
        parser.error("--evaluate needs --bundled (it scores the held-out right part of those images); "
                     "score library models with scripts/bench/bench_colorize_textures.py")
    return args


def run_chunk(program, trainer, args, validate):
    """One resumable chunk of training (``args``: minutes, steps, out, checkpoint_every,
    validate_every). Ctrl-C or SIGTERM (a farm or shell stopping it) finishes the current step, saves
    the checkpoint and returns None; the next ``--resume`` continues exactly there."""
    from training import colorize_training as training
    from training.run_control import install_stop_handlers
    should_stop, restore = install_stop_handlers()
    try:
        summary = training.train(trainer, seconds=None if args.minutes is None else args.minutes * 60,
                                 steps=args.steps, report=_progress, checkpoint_path=args.out,
                                 checkpoint_every=args.checkpoint_every, validate=validate,
                                 validate_every=args.validate_every, should_stop=should_stop)
    finally:
        restore()
    if summary["stopped"]:
        print(f"\n{program}: stopped at step {trainer.steps}; checkpoint saved to {args.out}", file=sys.stderr)
        return None
    sys.stderr.write("\n")
    return summary


def _validation_loss(trainer, validation):
    from training.colorize_evaluation import heldout_loss

    def loss():
        value, _ = heldout_loss(trainer.model, validation, trainer.weights)
        return value
    return loss


def _progress(fraction, message):
    sys.stderr.write(f"\rtrain_colorizer: {fraction * 100:5.1f}%  {message:<60}")
    sys.stderr.flush()


def main(argv=None):
    args = parse_args(argv)
    addon_path.install()
    import torch

    from neural_render.worker import device as devices
    from training import colorize_evaluation as evaluation
    from training import colorize_training as training
    from training import colorize_training_data as training_data

    if args.threads:
        torch.set_num_threads(args.threads)
    device, note = devices.choose_device(args.device)
    if note:
        print(f"train_colorizer: {note}", file=sys.stderr)
    from training.textures.shards import LibraryError
    validation, provenance = None, {"data": args.images or "bpy bundled images (left 70 %)",
                                    "command": "train_colorizer.py " + " ".join(sys.argv[1:])}
    try:
        if args.bundled:
            train_images, heldout = bundled_split(args.long_side)
        elif args.library:
            (train_images, validation, provenance), heldout = library_data(args.library), None
        else:
            train_images, heldout = training_data.load_folder(args.images, args.long_side), None
        if args.resume:
            if not os.path.isfile(args.out):
                raise training.CheckpointError(f"nothing to resume: no checkpoint at {args.out}")
            trainer = training.trainer_from_checkpoint(training.load_checkpoint(args.out), train_images, device,
                                                       provenance=provenance)
        else:
            settings = training.TrainSettings(width=args.width, crop=args.crop, batch_size=args.batch_size,
                                              learning_rate=args.learning_rate, long_side=args.long_side,
                                              seed=args.seed, rotate=args.rotate, rebalance_mix=args.rebalance_mix,
                                              channels=args.channels, backbone=args.backbone or "",
                                              backbone_lr_scale=args.backbone_lr_scale)
            trainer = training.ColorizerTrainer(settings, train_images, device, provenance=provenance)
    except (training_data.TrainingDataError, training.CheckpointError, LibraryError, ValueError) as error:
        print(f"train_colorizer: error: {error}", file=sys.stderr)
        return 2
    shape = f"channels {trainer.model.channels}" if trainer.settings.channels else f"width {trainer.settings.width}"
    if trainer.settings.backbone:
        shape += f", from {trainer.settings.backbone}"
    print(f"train_colorizer: {len(train_images)} images, {trainer.model.bins} bins, {shape}, "
          f"device {device}, starting at step {trainer.steps}", file=sys.stderr)
    started = time.monotonic()
    summary = run_chunk("train_colorizer", trainer, args,
                        _validation_loss(trainer, validation) if validation else None)
    if summary is None:
        return 130
    if args.export:
        training.save_checkpoint(args.export, training.inference_export(trainer.payload()))
    report = dict(summary, checkpoint=args.out, wall_seconds=round(time.monotonic() - started, 1))
    if trainer.validation:
        report["validation"] = trainer.validation[-5:]
        best_step, best_loss = min(trainer.validation, key=lambda entry: entry[1])
        report["best"] = {"step": best_step, "loss": best_loss,
                          "checkpoint": training.best_checkpoint_path(args.out)}
    if args.evaluate:
        report["heldout"] = evaluation.evaluate(trainer.model, heldout, evaluation.mean_ab(train_images), device,
                                                network_size=trainer.settings.long_side)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
