"""Training the colorizer: class-rebalanced multinomial cross-entropy over the a*b* bins.

    loss = - mean over pixels of  w(q*) * sum_q Z_q log softmax(logits)_q

Z is the soft-encoded true a*b* (gamut_bins.soft_encode) at the network's output resolution (the
true a*b* is area-averaged down by 4), q* its most likely bin and w the rebalancing weights
(rebalance.py) estimated from the training images. Not an L2 regression: a pixel that could be red
or blue is allowed to say so instead of being pushed to the grey average.

Checkpoints are ``torch.save`` dictionaries of tensors and plain values, written atomically (a crash
leaves the previous file), loaded with ``weights_only=True``, and resumable (optimizer, step count,
random state, loss history). Reading them is the add-on's (neural_render.worker.colorize.checkpoint,
re-exported here); everything else is training, which the add-on does not ship.
"""

import io
import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from neural_render.worker.colorize import gamut_bins, rebalance
from neural_render.worker.colorize.checkpoint import (FORMAT, FORMAT_VERSION, CheckpointError,  # noqa: F401
                                                      load_checkpoint, model_from_checkpoint)
from neural_render.worker.colorize.model import DOWNSAMPLING, Eccv16Colorizer, normalise_lightness
from training import colorize_backbone_init as backbone_init


PRIOR_SAMPLE = 4_000_000
BACKBONE_SAMPLE = 64       # crops the pretrained blocks' BatchNorms are matched on


@dataclass
class TrainSettings:
    width: float = 0.125       # channel multiplier of ECCV16 (1.0 = the released size)
    crop: int = 64             # training crop, px (multiple of 8)
    batch_size: int = 16
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    long_side: int = 256       # training images are resized to this long side
    seed: int = 0
    rotate: bool = False       # also rotate crops by multiples of 90 degrees (textures have no "up")
    rebalance_mix: float = rebalance.UNIFORM_MIX   # lambda of the class rebalancing; 1 = plain cross-entropy
    channels: tuple = None     # the eight blocks' channels (overrides width; see model.py)
    backbone: str = ""         # "vgg16_imagenet": blocks 1-4 start as ImageNet VGG16's conv1-conv4
    backbone_lr_scale: float = 1.0   # learning rate of those blocks relative to the rest

    def __post_init__(self):
        if self.channels is not None:
            self.channels = tuple(int(value) for value in self.channels)
        if self.backbone and self.backbone not in backbone_init.BACKBONES:
            raise ValueError(f"unknown backbone start {self.backbone!r} (known: {', '.join(backbone_init.BACKBONES)})")


def random_crops(lab_images, count, crop, generator, rotate=False):
    """(count, 3, crop, crop) Lab crops from randomly chosen images, randomly flipped (and with
    ``rotate`` turned by a random multiple of 90 degrees: colour does not depend on orientation)."""
    crops = []
    for _ in range(count):
        image = lab_images[int(torch.randint(len(lab_images), (1,), generator=generator))]
        height, width = image.shape[:2]
        if height < crop or width < crop:  # small images are tiled up to the crop size
            image = np.pad(image, ((0, max(0, crop - height)), (0, max(0, crop - width)), (0, 0)), mode="wrap")
            height, width = image.shape[:2]
        top = int(torch.randint(height - crop + 1, (1,), generator=generator))
        left = int(torch.randint(width - crop + 1, (1,), generator=generator))
        piece = image[top:top + crop, left:left + crop]
        if torch.rand((), generator=generator) < 0.5:
            piece = piece[:, ::-1]
        if rotate:
            piece = np.rot90(piece, int(torch.randint(4, (1,), generator=generator)))
        crops.append(np.ascontiguousarray(piece.transpose(2, 0, 1)))
    return torch.from_numpy(np.stack(crops))


def targets_at_output(lab_batch):
    """Network input (normalised L, full crop) and true a*b* averaged down to the output grid."""
    lightness = normalise_lightness(lab_batch[:, :1])
    ab = F.avg_pool2d(lab_batch[:, 1:], DOWNSAMPLING)
    return lightness, ab


def rebalanced_loss(logits, true_ab, centres, weights):
    target = gamut_bins.soft_encode(true_ab, centres)
    pixel_weights = weights[target.argmax(1)]                     # w(q*) per pixel
    cross_entropy = -(target * F.log_softmax(logits, dim=1)).sum(1)
    return (pixel_weights * cross_entropy).mean()


def adam_optimizer(model, settings, state=None, slow=(), slow_scale=1.0):
    """Adam over the model's trainable parameters, resumed from ``state["optimizer"]`` when given;
    the parameters in ``slow`` (pretrained ones) learn at ``slow_scale`` times the rate."""
    slow_ids = {id(parameter) for parameter in slow}
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in trainable if id(p) not in slow_ids]}]
    if slow_ids:
        groups.append({"params": [p for p in trainable if id(p) in slow_ids],
                       "lr": settings.learning_rate * slow_scale})
    optimizer = torch.optim.Adam(groups, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    if state is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    return optimizer


def training_batch(trainer):
    """A batch of random (flipped, maybe rotated) Lab crops for ``trainer`` (settings, images, generator)."""
    settings = trainer.settings
    return random_crops(trainer.lab_images, settings.batch_size, settings.crop, trainer.generator,
                        rotate=settings.rotate)


def optimisation_step(trainer, loss):
    """One optimizer step of ``trainer`` (any trainer with model, optimizer, steps, losses) on ``loss``."""
    if not torch.isfinite(loss):
        raise FloatingPointError(f"the loss became {float(loss)} at step {trainer.steps}")
    trainer.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    trainer.optimizer.step()
    trainer.steps += 1
    trainer.losses.append(float(loss.detach()))
    return trainer.losses[-1]


class ColorizerTrainer:
    def __init__(self, settings, lab_images, device, state=None, provenance=None):
        self.settings = settings
        self.device = device
        self.lab_images = lab_images
        self.generator = torch.Generator().manual_seed(settings.seed)
        if state is None:
            centres = gamut_bins.in_gamut_bins()
            # The prior from at most ~PRIOR_SAMPLE pixels on a regular grid: thousands of textures
            # hold 10^8 pixels, and a bin histogram does not need them all.
            total = sum(image.shape[0] * image.shape[1] for image in lab_images)
            stride = max(1, int(math.sqrt(total / PRIOR_SAMPLE)))
            sample = np.concatenate([image[::stride, ::stride, 1:].reshape(-1, 2) for image in lab_images])
            self.prior = rebalance.empirical_prior(sample, centres)
            torch.manual_seed(settings.seed)
            self.model = Eccv16Colorizer(centres, width=settings.width, channels=settings.channels)
            if settings.backbone:
                self._start_from_backbone()
            self.steps, self.seconds_trained, self.losses = 0, 0.0, []
            self.validation, self.provenance = [], dict(provenance or {})
        else:
            self.prior = np.asarray(state["prior"], dtype=np.float64)
            self.model = Eccv16Colorizer(state["centres"].numpy(), width=settings.width, channels=settings.channels)
            self.model.load_state_dict(state["model"])
            self.steps, self.seconds_trained = int(state["steps"]), float(state["seconds_trained"])
            self.losses = [float(value) for value in state["losses"]]
            self.validation = [tuple(entry) for entry in state.get("validation", [])]
            self.provenance = dict(state.get("provenance", {}), **(provenance or {}))
            if "generator" in state:  # an inference export has no training state
                self.generator.set_state(state["generator"])
        self.model.to(device)
        centres_np = self.model.bin_centres().cpu().numpy()
        self.centres = torch.as_tensor(centres_np, device=device)
        self.weights = torch.as_tensor(rebalance.rebalancing_weights(self.prior, centres_np, settings.rebalance_mix),
                                       device=device)
        slow = backbone_init.backbone_parameters(self.model) if settings.backbone else ()
        self.optimizer = adam_optimizer(self.model, settings, state, slow, settings.backbone_lr_scale)

    def _start_from_backbone(self):
        """ImageNet VGG16's conv1-conv4 as blocks 1-4, BatchNorms matched on a sample of crops."""
        from neural_render.worker.backbones import vgg16_imagenet
        sample_generator = torch.Generator().manual_seed(self.settings.seed + 1)
        crops = random_crops(self.lab_images, BACKBONE_SAMPLE, self.settings.crop, sample_generator)
        lightness, _ = targets_at_output(crops)
        backbone_init.initialise_from_vgg16(self.model, vgg16_imagenet.load("cpu"), lightness)

    def step(self):
        self.model.train()
        lightness, ab = targets_at_output(training_batch(self).to(self.device))
        return optimisation_step(self, rebalanced_loss(self.model(lightness), ab, self.centres, self.weights))

    def payload(self):
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "settings": asdict(self.settings),
            "centres": self.model.bin_centres().cpu(),
            "prior": torch.as_tensor(self.prior),
            "model": {key: value.cpu() for key, value in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "steps": self.steps, "seconds_trained": self.seconds_trained, "losses": list(self.losses),
            "validation": [list(entry) for entry in self.validation], "provenance": self.provenance,
        }


def save_checkpoint(path, payload):
    """Write atomically: serialise in memory, write a temporary file beside ``path``, rename over it."""
    from neural_render.worker.imageio.atomic import write_atomically
    buffer = io.BytesIO()
    torch.save(payload, buffer)

    def write(temporary):
        with open(temporary, "wb") as file:
            file.write(buffer.getbuffer())
            file.flush()
            os.fsync(file.fileno())

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    try:
        write_atomically(path, write)
    except OSError as error:
        raise CheckpointError(f"could not save {path}: {error}; the previous file is unchanged") from error


def inference_export(payload):
    """The checkpoint without optimizer and sampling state: a third of the size, still resumable
    (with a fresh optimizer) and loadable as weights."""
    return {key: value for key, value in payload.items() if key not in ("optimizer", "generator")}


def trainer_from_checkpoint(payload, lab_images, device, overrides=None, provenance=None):
    settings = TrainSettings(**dict(payload["settings"], **(overrides or {})))
    return ColorizerTrainer(settings, lab_images, device, state=payload, provenance=provenance)


def best_checkpoint_path(checkpoint_path):
    """Where ``train`` keeps the checkpoint of the lowest validation loss beside ``checkpoint_path``."""
    root, extension = os.path.splitext(checkpoint_path)
    return f"{root}.best{extension or '.pt'}"


def train(trainer, seconds=None, steps=None, report=None, checkpoint_path=None, checkpoint_every=60.0,
          report_every=0.5, validate=None, validate_every=600.0, should_stop=None):
    """Train for ``seconds`` and/or ``steps`` more steps (whichever ends first), reporting
    ``report(fraction, message)`` and checkpointing atomically; on any exception raised by ``report``
    (a cancel) the model is saved first. ``validate()`` (a held-out loss) is recorded in
    ``trainer.validation`` as (step, value) every ``validate_every`` seconds and at the end: the
    validation curve; whenever a validation loss is the lowest so far, that state is also saved to
    ``best_checkpoint_path(checkpoint_path)`` (the held-out curve of a small data set can rise while
    training goes on: the best point is the model to keep). ``should_stop()`` is asked between steps
    (a signal handler's flag): when it says so the checkpoint is saved and the summary says
    ``"stopped": True``. Returns a summary."""
    if seconds is None and steps is None:
        raise ValueError("give a time budget, a step count or both")
    start = last_report = last_save = last_validation = time.monotonic()
    first_step, seconds_before = trainer.steps, trainer.seconds_trained

    def record_validation():
        if validate is not None and (not trainer.validation or trainer.validation[-1][0] != trainer.steps):
            value = float(validate())
            best = min((entry[1] for entry in trainer.validation), default=math.inf)
            trainer.validation.append((trainer.steps, value))
            if checkpoint_path and value < best:
                trainer.seconds_trained = seconds_before + time.monotonic() - start
                save_checkpoint(best_checkpoint_path(checkpoint_path), trainer.payload())

    def save():
        trainer.seconds_trained = seconds_before + time.monotonic() - start
        if checkpoint_path:
            save_checkpoint(checkpoint_path, trainer.payload())

    def fraction(now):
        by_time = (now - start) / seconds if seconds else 0.0
        by_steps = (trainer.steps - first_step) / steps if steps else 0.0
        return min(1.0, max(by_time, by_steps))

    stopped = False
    while True:
        now = time.monotonic()
        if (seconds is not None and now - start >= seconds) or (steps is not None and trainer.steps - first_step >= steps):
            break
        if should_stop is not None and should_stop():
            stopped = True
            break
        trainer.step()
        now = time.monotonic()
        if report is not None and now - last_report >= report_every:
            last_report = now
            recent = trainer.losses[-20:]
            done = fraction(now)
            eta = (now - start) * (1.0 - done) / done if done > 0 else math.inf
            try:
                report(done, f"step {trainer.steps}  loss {np.mean(recent):.3f}  ETA "
                             f"{'?' if not math.isfinite(eta) else f'{eta:.0f} s'}")
            except BaseException:
                save()
                raise
        if validate is not None and now - last_validation >= validate_every:
            record_validation()
            last_validation = time.monotonic()
        if checkpoint_path and now - last_save >= checkpoint_every:
            save()
            last_save = now
    if not stopped:
        record_validation()
    save()
    return {"stopped": stopped, "steps": trainer.steps - first_step, "total_steps": trainer.steps,
            "seconds": time.monotonic() - start, "final_loss": float(np.mean(trainer.losses[-20:] or [math.nan]))}
