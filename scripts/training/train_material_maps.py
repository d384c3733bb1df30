#!/usr/bin/env python3
"""Train the pix2pix material-map networks (photo → normal + height) on the texture library.

    .venv/bin/python scripts/training/train_material_maps.py --minutes 60            # starts or resumes
    .venv/bin/python scripts/training/train_material_maps.py --minutes 60 --export addon/worker/material/data/material_maps.pt

Resumable in chunks: the working checkpoint (``--work``, default ``.cache/training/material``, ignored
by git) is written atomically every ``--checkpoint-minutes``, at the end of ``--minutes`` and on Ctrl-C
or SIGTERM, and a later run with the same folder continues it (generator, discriminator, both
optimisers, step, random state, history). Every ``--validate-minutes`` the validation split's mean
angular error is measured; the generator with the lowest one so far is kept beside it (``best.pt``),
and ``--export`` writes that one as a small float16 model file with its provenance.
Runs on the GPU when there is one (``--device``).
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

from neural_render.worker.material.checkpoint import FORMAT, FORMAT_VERSION  # noqa: E402
from neural_render.worker.material.network import CHANNELS, PRIOR_STRENGTH, MaterialUNet, PatchDiscriminator  # noqa: E402
from training.run_control import install_stop_handlers, save_atomically, train_chunk  # noqa: E402
from training import material_training as training  # noqa: E402
from training.material_data import MaterialPairs  # noqa: E402


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", default=".cache/textures")
    parser.add_argument("--work", default=".cache/training/material")
    parser.add_argument("--minutes", type=float, default=60.0, help="run time of this chunk")
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--adversarial-weight", type=float, default=1.0, help="λ_GAN (0: L1 + angle only)")
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--validate-minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init-from", metavar="MODEL",
                        help="a new run starts from this model file's generator (e.g. the bundled one, to train "
                             "it on) with a fresh discriminator and optimisers; ignored when resuming")
    parser.add_argument("--export", help="write the best generator as a shippable model file and stop")
    return parser.parse_args(argv)


def export(work, destination):
    best = torch.load(os.path.join(work, "best.pt"), map_location="cpu", weights_only=True)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "settings": best["settings"],
               "generator": {key: value.half() if value.is_floating_point() else value
                             for key, value in best["generator"].items()},
               "provenance": best["provenance"], "validation": best["validation"], "step": best["step"],
               "trained_seconds": best["trained_seconds"], "command": best["command"], "phases": best["phases"]}
    save_atomically(destination, payload)
    pairs = best["provenance"].get("train_pairs")
    card = {"title": "Material maps (pix2pix U-Net: photo → normal + height)",
            "trained_on": f"{pairs:,} real diffuse ↔ normal-map crops (ufoai-textures, nexuiz-textures, 0ad-data), "
                          "validation families held out",
            "licence": "Training data: ufoai-textures (GPL-2+), nexuiz-textures (GPL-2+), 0ad-data (CC-BY-SA-3.0)",
            "parameters": sum(value.numel() for key, value in payload["generator"].items() if "running" not in key
                              and value.is_floating_point()),
            "minutes_trained": round(best["trained_seconds"] / 60, 1)}
    card.update({key: payload[key] for key in ("settings", "provenance", "validation", "step", "command", "phases")})
    card["file_bytes"] = os.path.getsize(destination)
    with open(os.path.splitext(destination)[0] + ".json", "w", encoding="utf-8") as file:
        json.dump(card, file, indent=1)
    print(f"exported step {best['step']} (validation {best['validation']}) to {destination}")


def _initialise(generator, path, settings):
    """Load a model file's generator into ``generator`` for a new run; returns its lineage for the
    provenance (the file's step and training time, so the exported card says what it grew from)."""
    from neural_render.worker.material.checkpoint import CheckpointError, load_checkpoint
    from neural_render.worker.tagged_model_file import float32_state
    try:
        payload = load_checkpoint(path)
        for key in ("channels", "prior_strength"):
            if payload["settings"][key] != settings[key]:
                raise CheckpointError(f"its {key} {payload['settings'][key]} is not {settings[key]}")
        # Not generator_from_checkpoint: that folds BatchNorm away for inference; training needs it.
        generator.load_state_dict(float32_state(payload["generator"]))
    except (CheckpointError, OSError, KeyError, RuntimeError) as error:
        sys.exit(f"--init-from {path}: {error}")
    lineage = {"file": os.path.basename(path), "step": payload.get("step"),
               "minutes_trained": round(payload.get("trained_seconds", 0.0) / 60, 1),
               "command": payload.get("command"), "phases": payload.get("phases")}
    print(f"starting from {path} (step {lineage['step']}, {lineage['minutes_trained']} min trained)", flush=True)
    return lineage


def main(argv=None):
    args = parse(argv)
    if args.export:
        export(args.work, args.export)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    state_path = os.path.join(args.work, "state.pt")
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    generator, discriminator = MaterialUNet(CHANNELS, PRIOR_STRENGTH).to(device), PatchDiscriminator().to(device)
    g_optimiser = torch.optim.Adam(generator.parameters(), args.learning_rate, betas=(0.5, 0.999))
    d_optimiser = torch.optim.Adam(discriminator.parameters(), args.learning_rate, betas=(0.5, 0.999))
    # What a resumed run must share; the learning rate and λ_GAN may change between chunks (a run can
    # start as plain regression and add the adversarial term later): each chunk is logged in "phases".
    settings = {"channels": list(CHANNELS), "prior_strength": PRIOR_STRENGTH, "crop": args.crop,
                "batch_size": args.batch_size,
                "lambda_l1": training.LAMBDA_L1, "lambda_angle": training.LAMBDA_ANGLE,
                "lambda_height": training.LAMBDA_HEIGHT, "seed": args.seed}
    phase = {"learning_rate": args.learning_rate, "adversarial_weight": args.adversarial_weight}
    rng = np.random.default_rng(args.seed)
    step, trained, history, best_error, phases, initialised_from = 0, 0.0, [], float("inf"), [], None
    if os.path.exists(state_path):
        state = torch.load(state_path, map_location="cpu", weights_only=False)  # our own file: rng state inside
        if state["settings"] != settings:
            sys.exit(f"{state_path} was trained with other settings: {state['settings']} (use another --work)")
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
        g_optimiser.load_state_dict(state["g_optimiser"])
        d_optimiser.load_state_dict(state["d_optimiser"])
        step, trained, history, best_error = state["step"], state["trained_seconds"], state["history"], state["best_error"]
        phases = state["phases"]
        rng.bit_generator.state = state["rng"]
        for optimiser in (g_optimiser, d_optimiser):
            for group in optimiser.param_groups:
                group["lr"] = args.learning_rate
        initialised_from = state.get("initialised_from")
        print(f"resumed at step {step} ({trained / 60:.1f} min trained, best validation {best_error:.2f}°)")
    elif args.init_from:
        initialised_from = _initialise(generator, args.init_from, settings)
    train = MaterialPairs(args.library, "train")
    validation = MaterialPairs(args.library, "validation")
    provenance = dict(train.provenance, train_pairs=len(train), validation_pairs=len(validation),
                      train_with_height=int(train.has_height.sum()))
    if initialised_from:
        provenance["initialised_from"] = initialised_from
    command = " ".join(["train_material_maps.py"] + (sys.argv[1:] if argv is None else list(argv)))
    if not phases or {k: phases[-1][k] for k in phase} != phase:
        phases.append(dict(phase, from_step=step))
    should_stop, _ = install_stop_handlers()

    def checkpoint():
        save_atomically(state_path, {"settings": settings, "generator": generator.state_dict(),
                          "discriminator": discriminator.state_dict(), "g_optimiser": g_optimiser.state_dict(),
                          "d_optimiser": d_optimiser.state_dict(), "step": step, "trained_seconds": trained,
                          "history": history, "best_error": best_error, "rng": rng.bit_generator.state,
                          "phases": phases, "initialised_from": initialised_from})

    def validate():
        nonlocal best_error
        errors = training.validation_error(generator, validation)
        history.append({"step": step, "minutes": round(trained / 60, 2), "validation": errors})
        print(f"step {step}: validation {json.dumps({k: round(v, 2) for k, v in errors.items()})}", flush=True)
        if errors["all"] < best_error:
            best_error = errors["all"]
            save_atomically(os.path.join(args.work, "best.pt"),
                 {"settings": settings, "generator": {k: v.cpu() for k, v in generator.state_dict().items()},
                  "provenance": provenance, "validation": errors, "step": step, "trained_seconds": trained,
                  "command": command, "phases": phases})

    running = []

    def train_step():
        nonlocal step, trained, running
        tick = time.monotonic()
        indices = rng.integers(0, len(train), args.batch_size)
        batch = [t.to(device) for t in training.augmented_batch(train, indices, args.crop, rng)]
        running.append(training.training_step(generator, discriminator, g_optimiser, d_optimiser, batch,
                                              args.adversarial_weight))
        step += 1
        trained += time.monotonic() - tick
        if step % 50 == 0:
            mean = {key: round(float(np.mean([r[key] for r in running])), 3) for key in running[0]}
            print(f"step {step} ({trained / 60:.1f} min): {mean}", flush=True)
            running = []

    train_chunk(train_step, validate, checkpoint, minutes=args.minutes, validate_minutes=args.validate_minutes,
                checkpoint_minutes=args.checkpoint_minutes, should_stop=should_stop)
    print(f"stopped at step {step} ({trained / 60:.1f} min trained); best validation {best_error:.2f}°")


if __name__ == "__main__":
    main()
