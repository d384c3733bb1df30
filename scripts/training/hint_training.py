"""Training the hint-conditioned colorizer (addon/worker/colorize/hint_model.py) on Lab crops with
simulated hints (simulated_hints.py): smooth-L1 regression of a*b* at the network's resolution.

The trainer has the automatic colorizer's interface (step, payload, steps, losses, validation), so
colorize_training.train runs, checkpoints and resumes it the same way.
"""

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from neural_render.worker.colorize import scribbles
from neural_render.worker.colorize.checkpoint import HINT_FORMAT, FORMAT_VERSION
from neural_render.worker.colorize.hint_model import HintColorizer, network_input

from training import simulated_hints
from training.colorize_training import adam_optimizer, optimisation_step, training_batch

HUBER_BETA = 1.0   # a*b* units: quadratic below one unit of error, linear above (robust to outliers)


@dataclass
class HintSettings:
    base: int = 16
    crop: int = 64
    batch_size: int = 8
    learning_rate: float = 1e-3
    weight_decay: float = 1e-5
    long_side: int = 256
    seed: int = 0
    rotate: bool = True


def propagated(lightness, hint_ab, mask):
    """The edge-aware solve the network refines, at the crop's own resolution (zeros without hints)."""
    if not mask.any():
        return np.zeros(hint_ab.shape, np.float32)
    solved, _ = scribbles.solve_chroma(lightness, hint_ab, mask, solve_size=max(lightness.shape))
    return solved


def batch_with_hints(lab_batch, rng, count=None):
    """(network input (N, 6, H, W), true a*b* (N, 2, H, W)) from a (N, 3, H, W) Lab batch."""
    lab_numpy = lab_batch.numpy()
    hints, masks = zip(*(simulated_hints.simulate(image[1:].transpose(1, 2, 0), rng, count) for image in lab_numpy))
    spread = [propagated(image[0], hint, mask) for image, hint, mask in zip(lab_numpy, hints, masks)]
    hint_ab = torch.from_numpy(np.stack(hints).transpose(0, 3, 1, 2).copy())
    mask = torch.from_numpy(np.stack(masks)[:, None].astype(np.float32))
    spread = torch.from_numpy(np.stack(spread).transpose(0, 3, 1, 2).copy())
    return network_input(lab_batch[:, :1], hint_ab, mask, spread), lab_batch[:, 1:]


def hint_loss(predicted_ab, true_ab):
    return F.smooth_l1_loss(predicted_ab, true_ab, beta=HUBER_BETA)


class HintTrainer:
    def __init__(self, settings, lab_images, device, state=None, provenance=None):
        self.settings, self.device, self.lab_images = settings, device, lab_images
        self.generator = torch.Generator().manual_seed(settings.seed)
        self.rng = np.random.default_rng(settings.seed)
        torch.manual_seed(settings.seed)
        self.model = HintColorizer(settings.base)
        self.steps, self.seconds_trained, self.losses, self.validation = 0, 0.0, [], []
        self.provenance = dict(provenance or {})
        if state is not None:
            self.model.load_state_dict(state["model"])
            self.steps, self.seconds_trained = int(state["steps"]), float(state["seconds_trained"])
            self.losses = [float(value) for value in state["losses"]]
            self.validation = [tuple(entry) for entry in state.get("validation", [])]
            self.provenance = dict(state.get("provenance", {}), **self.provenance)
            if "generator" in state:
                self.generator.set_state(state["generator"])
            if "rng" in state:
                self.rng.bit_generator.state = state["rng"]
        self.model.to(device)
        self.optimizer = adam_optimizer(self.model, settings, state)

    def step(self):
        self.model.train()
        inputs, true_ab = batch_with_hints(training_batch(self), self.rng)
        return optimisation_step(self, hint_loss(self.model(inputs.to(self.device)), true_ab.to(self.device)))

    @torch.no_grad()
    def validation_loss(self, crops, count=10):
        """Mean smooth-L1 on fixed held-out crops with ``count`` point hints each (a fixed seed, so
        the curve compares like with like)."""
        self.model.eval()
        rng = np.random.default_rng(12345)
        total = 0.0
        for crop in crops:
            tensor = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))[None]
            inputs, true_ab = batch_with_hints(tensor, rng, count)
            total += float(hint_loss(self.model(inputs.to(self.device)), true_ab.to(self.device)))
        return total / max(1, len(crops))

    def payload(self):
        return {"format": HINT_FORMAT, "format_version": FORMAT_VERSION, "settings": asdict(self.settings),
                "model": {key: value.cpu() for key, value in self.model.state_dict().items()},
                "optimizer": self.optimizer.state_dict(), "generator": self.generator.get_state(),
                "rng": self.rng.bit_generator.state,
                "steps": self.steps, "seconds_trained": self.seconds_trained, "losses": list(self.losses),
                "validation": [list(entry) for entry in self.validation], "provenance": self.provenance}
