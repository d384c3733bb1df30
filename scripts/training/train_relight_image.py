#!/usr/bin/env python3
"""Train the single-image relighting U-Net on scenes captured by the virtual light stage.

    .venv/bin/python scripts/training/capture_relight_scenes.py                 # the data, first
    .venv/bin/python scripts/training/train_relight_image.py --minutes 60      # starts or resumes
    .venv/bin/python scripts/training/train_relight_image.py --export addon/worker/relight_image/data/relight_image.pt

Pairs are made on the fly, exactly (relit = sum_i w_i I_i, ``relight_data/pairs.py``), from the
training scenes under training worlds; validation uses the held-out scenes under the held-out worlds
(two HDRIs no training batch sees, and synthetic worlds from other seeds). Resumable in chunks: the
working checkpoint (``--work``, default ``.cache/training/relight_transport``, ignored by git) is written
atomically every ``--checkpoint-minutes``, at the end of ``--minutes`` and on Ctrl-C or SIGTERM; the
same command continues it (network, optimiser, step, random state, history). The network with the best
validation PSNR so far is kept as ``best.pt``; ``--export`` writes it as a small float16 model file
with its model card (data, licences, steps, command).
"""

import argparse
import json
import os
import sys
import time

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

addon_path.install()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from neural_render.protocol.specs.relight_image import GRID_COLUMNS, GRID_ROWS  # noqa: E402
from neural_render.worker.relight_image.checkpoint import FORMAT, FORMAT_VERSION  # noqa: E402
from neural_render.worker.relight_image.network import WIDTHS, RelightUNet  # noqa: E402
from training.run_control import install_stop_handlers, save_atomically, train_chunk  # noqa: E402
from training import relight_image_training as training  # noqa: E402
from training.relight_data import environments, scene_store  # noqa: E402
from training.relight_data.pairs import PairMaker  # noqa: E402

TITLE = "Single-image relighting (U-Net trained on virtual light stages)"
SELECTION_METRICS = ("psnr", "psnr_known_source", "psnr_average")


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", default=".cache/relight_scenes")
    parser.add_argument("--work", default=".cache/training/relight_transport")
    parser.add_argument("--minutes", type=float, default=60.0, help="run time of this chunk")
    parser.add_argument("--total-steps", type=int, default=4000,
                        help="the learning-rate schedule's length (after it, training goes on at the floor "
                             "rate until --minutes ends)")
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--validate-minutes", type=float, default=6.0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--known-source-rate", type=float, default=training.KNOWN_SOURCE_RATE,
                        help="the share of samples whose decoder is given the true source world instead of "
                             "its estimate")
    parser.add_argument("--init-from", metavar="MODEL",
                        help="a new run starts from this model file's network (e.g. the bundled one, to train "
                             "it on more scenes) with a fresh optimiser; ignored when resuming")
    parser.add_argument("--select-by", choices=SELECTION_METRICS, default="psnr",
                        help="the validation figure that picks the best network: psnr (source world estimated "
                             "from the image), psnr_known_source (source world given) or psnr_average (the mean "
                             "of the two: a network for both uses)")
    parser.add_argument("--export", help="write the best network as a shippable model file and stop")
    return parser.parse_args(argv)


def export(work, destination):
    best = torch.load(os.path.join(work, "best.pt"), map_location="cpu", weights_only=True)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "settings": best["settings"],
               "network": {key: value.half() if value.is_floating_point() else value
                           for key, value in best["network"].items()},
               "provenance": best["provenance"], "validation": best["validation"], "step": best["step"],
               "trained_seconds": best["trained_seconds"], "command": best["command"]}
    save_atomically(destination, payload)
    provenance = best["provenance"]
    card = {"title": TITLE,
            "trained_on": f"{provenance['train_scenes']} procedural Blender scenes (texture-library materials) "
                          f"captured by the virtual light stage ({GRID_COLUMNS} x {GRID_ROWS} lights), relit "
                          f"exactly under bpy's CC0 HDRIs (minus {', '.join(environments.VALIDATION_HDRIS)}, "
                          "held out) and synthetic sun/sky and studio worlds",
            "licence": "Training data: ufoai-textures (GPL-2+), nexuiz-textures (GPL-2+), 0ad-data (CC-BY-SA-3.0) "
                       "textures; Blender's bundled HDRIs (CC0)",
            "parameters": sum(value.numel() for value in payload["network"].values() if value.is_floating_point()),
            "minutes_trained": round(best["trained_seconds"] / 60, 1)}
    card.update({key: payload[key] for key in ("settings", "provenance", "validation", "step", "command")})
    card["file_bytes"] = os.path.getsize(destination)
    with open(os.path.splitext(destination)[0] + ".json", "w", encoding="utf-8") as file:
        json.dump(card, file, indent=1)
    print(f"exported step {best['step']} (validation {best['validation']}) to {destination}")


def _initialise(model, path, settings):
    """Load a model file's network into ``model`` for a new run; returns its lineage for the provenance
    (the file's own step, training time and scenes, so the exported card says what it grew from)."""
    from neural_render.worker.relight_image.checkpoint import CheckpointError, load_checkpoint, network_from_checkpoint
    try:
        payload = load_checkpoint(path)
        if list(payload["settings"]["widths"]) != settings["widths"]:
            raise CheckpointError(f"its widths {payload['settings']['widths']} are not {settings['widths']}")
        model.load_state_dict(network_from_checkpoint(payload).state_dict())
    except (CheckpointError, OSError, KeyError) as error:
        sys.exit(f"--init-from {path}: {error}")
    earlier = payload.get("provenance", {})
    lineage = {"file": os.path.basename(path), "step": payload.get("step"),
               "minutes_trained": round(payload.get("trained_seconds", 0.0) / 60, 1),
               "train_scenes": earlier.get("train_scenes"), "command": payload.get("command")}
    print(f"starting from {path} (step {lineage['step']}, {lineage['train_scenes']} training scenes)", flush=True)
    return lineage


def _load_split(folder, split, skip=0):
    lights, alpha, directions, grid = scene_store.load_split(folder, split, skip=skip)
    if tuple(grid) != (GRID_COLUMNS, GRID_ROWS):
        sys.exit(f"{folder}: scenes captured on a {grid} grid; the network reads {GRID_COLUMNS} x {GRID_ROWS}")
    return torch.from_numpy(lights), torch.from_numpy(alpha)


def main(argv=None):
    args = parse(argv)
    if not 0.0 <= args.known_source_rate <= 1.0:
        sys.exit(f"--known-source-rate must be between 0 and 1, not {args.known_source_rate}")
    if args.export:
        export(args.work, args.export)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    state_path = os.path.join(args.work, "state.pt")
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    model = RelightUNet(WIDTHS).to(device)
    optimiser = torch.optim.Adam(model.parameters(), args.learning_rate)
    settings = {"widths": list(WIDTHS), "grid": [GRID_COLUMNS, GRID_ROWS], "head": "transport", "crop": args.crop,
                "batch_size": args.batch_size, "perceptual_weight": training.PERCEPTUAL_WEIGHT,
                "environment_weight": training.ENVIRONMENT_WEIGHT, "known_source_rate": args.known_source_rate,
                "seed": args.seed}
    rng = np.random.default_rng(args.seed)
    step, trained, history, best_psnr = 0, 0.0, [], -float("inf")
    if os.path.exists(state_path):
        state = torch.load(state_path, map_location="cpu", weights_only=False)  # our own file: rng state inside
        if state["settings"] != settings:
            sys.exit(f"{state_path} was trained with other settings: {state['settings']} (use another --work)")
        model.load_state_dict(state["network"])
        optimiser.load_state_dict(state["optimiser"])
        step, trained, history, best_psnr = state["step"], state["trained_seconds"], state["history"], state["best_psnr"]
        rng.bit_generator.state = state["rng"]
        if state.get("select_by", "psnr") != args.select_by:
            sys.exit(f"{state_path} picks its best network by {state.get('select_by', 'psnr')}, not {args.select_by}")
        print(f"resumed at step {step} ({trained / 60:.1f} min trained, best validation {best_psnr:.2f} dB)")
        initialised_from = state.get("initialised_from")
    else:
        initialised_from = _initialise(model, args.init_from, settings) if args.init_from else None
    cache = os.path.join(args.scenes, "environments")
    train = PairMaker(*_load_split(args.scenes, "train"), environments.EnvironmentSampler("train", cache))
    held_out = PairMaker(*_load_split(args.scenes, "validation"), environments.EnvironmentSampler("validation", cache))
    validation_batch = training.validation_set(held_out)
    baselines = training.baseline_scores(validation_batch)
    print(f"{len(train.lights)} training scenes, {len(held_out.lights)} validation scenes "
          f"({len(validation_batch['image'])} pairs); baselines {json.dumps({k: round(v, 3) for k, v in baselines.items()})}",
          flush=True)
    vgg = None
    try:
        from neural_render.worker.backbones import registry
        vgg = registry.load("vgg16", device)
    except Exception as error:  # noqa: BLE001 (weights not installed: train without the perceptual term)
        print(f"no ImageNet VGG16 ({error}): training without the perceptual term", flush=True)
    provenance = {"train_scenes": len(train.lights), "validation_scenes": len(held_out.lights),
                  "validation_pairs": len(validation_batch["image"]), "baselines": baselines,
                  "validation_hdris": list(environments.VALIDATION_HDRIS),
                  "train_hdris": environments.hdri_names("train"),
                  "scene_capture": scene_store.read_scene(scene_store.scene_files(args.scenes, "train")[0]).description
                  .get("samples"), "perceptual_backbone": "vgg16 (ImageNet)" if vgg is not None else None,
                  "selected_by": args.select_by}
    if initialised_from:
        provenance["initialised_from"] = initialised_from
    command = " ".join(["train_relight_image.py"] + (sys.argv[1:] if argv is None else list(argv)))
    should_stop, _ = install_stop_handlers()

    def checkpoint():
        save_atomically(state_path, {"settings": settings, "network": model.state_dict(), "optimiser": optimiser.state_dict(),
                          "step": step, "trained_seconds": trained, "history": history, "best_psnr": best_psnr,
                          "rng": rng.bit_generator.state, "initialised_from": initialised_from,
                          "select_by": args.select_by})

    def take_new_scenes():
        """The capture may still be running: scenes it finished since are added to the training set."""
        if len(scene_store.scene_files(args.scenes, "train")) > len(train.lights):
            train.extend(*_load_split(args.scenes, "train", skip=len(train.lights)))
            provenance["train_scenes"] = len(train.lights)
            print(f"now {len(train.lights)} training scenes", flush=True)

    def validate():
        nonlocal best_psnr
        result = training.validate(model, validation_batch)
        history.append({"step": step, "minutes": round(trained / 60, 2), **result})
        print(f"step {step}: validation {json.dumps({k: round(v, 3) for k, v in result.items()})}", flush=True)
        if result[args.select_by] > best_psnr:
            best_psnr = result[args.select_by]
            save_atomically(os.path.join(args.work, "best.pt"),
                 {"settings": settings, "network": {k: v.cpu() for k, v in model.state_dict().items()},
                  "provenance": provenance, "validation": result, "history": history, "step": step,
                  "trained_seconds": trained, "command": command})

    running = []

    def train_step():
        nonlocal step, trained, running
        tick = time.monotonic()
        progress = min(1.0, step / max(1, args.total_steps))
        for group in optimiser.param_groups:  # cosine decay to 5% over the planned steps
            group["lr"] = args.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + np.cos(np.pi * progress)))
        batch = {key: value.to(device) for key, value in train.batch(rng, args.batch_size, args.crop).items()}
        running.append(training.training_step(model, optimiser, batch, vgg, rng, args.known_source_rate))
        step += 1
        trained += time.monotonic() - tick
        if step % 25 == 0:
            mean = {key: round(float(np.mean([r[key] for r in running])), 4) for key in running[0]}
            eta = (args.total_steps - step) * trained / step / 60 if step < args.total_steps else 0.0
            print(f"step {step}/{args.total_steps} ({trained / 60:.1f} min, ETA {eta:.0f} min): {mean}", flush=True)
            running = []

    def validate_and_take_new_scenes():
        validate()
        take_new_scenes()

    train_chunk(train_step, validate_and_take_new_scenes, checkpoint, minutes=args.minutes,
                validate_minutes=args.validate_minutes, checkpoint_minutes=args.checkpoint_minutes,
                should_stop=should_stop)
    print(f"stopped at step {step} ({trained / 60:.1f} min trained); best validation {best_psnr:.2f} dB")


if __name__ == "__main__":
    main()
