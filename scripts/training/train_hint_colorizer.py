#!/usr/bin/env python3
"""Train the hint-conditioned colorizer (L* + sparse a*b* hints -> a*b*) on the texture library.

    .venv/bin/python scripts/training/train_hint_colorizer.py --out hints.pt --minutes 60 [--library FOLDER]
    .venv/bin/python scripts/training/train_hint_colorizer.py --out hints.pt --minutes 60 --resume

Hints are simulated (points and strokes carrying the true mean colour under them). Checkpoints are
written atomically every ``--checkpoint-every`` seconds, at the end and on Ctrl-C; ``--resume``
continues one, on this or another machine. A held-out loss with 10 hints per crop on the library's
validation split is recorded as the validation curve.
"""

import argparse
import json
import os
import sys
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402


def parse_args(argv=None):
    from training.train_colorizer import DEFAULT_LIBRARY, parse_chunk_args
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", default=DEFAULT_LIBRARY, help="texture library folder (default .cache/textures)")
    parser.add_argument("--out", required=True, help="checkpoint file (.pt)")
    parser.add_argument("--resume", action="store_true", help="continue the checkpoint at --out")
    parser.add_argument("--minutes", type=float, default=None, help="time budget (default 10 without --steps)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--base", type=int, default=16, help="channels of the first stage")
    parser.add_argument("--crop", type=int, default=64, help="training crop, a multiple of 8")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--validate-every", type=float, default=600.0, help="seconds")
    return parse_chunk_args(parser, argv)


def main(argv=None):
    addon_path.install()
    args = parse_args(argv)
    import torch

    from neural_render.worker import device as devices
    from neural_render.worker.colorize.checkpoint import HINT_FORMAT, CheckpointError, load_checkpoint
    from training import hint_training
    from training.textures.shards import LibraryError
    from training.train_colorizer import library_data, run_chunk

    if args.threads:
        torch.set_num_threads(args.threads)
    device, note = devices.choose_device(args.device)
    if note:
        print(f"train_hint_colorizer: {note}", file=sys.stderr)
    try:
        train_images, validation, provenance = library_data(args.library)
        provenance["command"] = "train_hint_colorizer.py " + " ".join(sys.argv[1:])
        if args.resume:
            payload = load_checkpoint(args.out, HINT_FORMAT)
            trainer = hint_training.HintTrainer(hint_training.HintSettings(**payload["settings"]), train_images,
                                                device, state=payload, provenance=provenance)
        else:
            settings = hint_training.HintSettings(base=args.base, crop=args.crop, batch_size=args.batch_size,
                                                  learning_rate=args.learning_rate, seed=args.seed)
            trainer = hint_training.HintTrainer(settings, train_images, device, provenance=provenance)
    except (CheckpointError, LibraryError, ValueError) as error:
        print(f"train_hint_colorizer: error: {error}", file=sys.stderr)
        return 2
    print(f"train_hint_colorizer: {len(train_images)} images, base {trainer.settings.base}, device {device}, "
          f"starting at step {trainer.steps}", file=sys.stderr)
    started = time.monotonic()
    summary = run_chunk("train_hint_colorizer", trainer, args, lambda: trainer.validation_loss(validation))
    if summary is None:
        return 130
    print(json.dumps(dict(summary, checkpoint=args.out, wall_seconds=round(time.monotonic() - started, 1),
                          validation=trainer.validation[-5:]), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
