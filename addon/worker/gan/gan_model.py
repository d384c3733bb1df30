"""What both texture GANs share: networks on a device, the alternating trainer with its EMA
generator, a seeded random stream for training batches, and the checkpoint payload."""

import torch

from . import checkpoint
from .adversarial import AlternatingTrainer, TrainSettings
from .ema import recalibrate_batch_norm
from .errors import CheckpointError
from .noise import seeded_generator

CALIBRATION_SEED = 1234567  # its own stream: saving a checkpoint must not change the training batches
# Batches the sampler's batch-norm statistics are measured on. Between calibration seeds the Gram
# figure of one model moved over 2.75x-3.91x the floor with 4 batches (of 16 crops), 2.85x-3.33x with
# 16 and 3.03x-3.25x with 32 (docs/history/gan_experiments.md); 16 take about a second on two CPU cores, once
# per checkpoint or preview.
CALIBRATION_BATCHES = 16


class GanModel:
    model_type = None     # "psgan" / "dcgan": the checkpoint's model_type
    config_class = None   # dataclass with to_dict/from_dict

    def __init__(self, model_config=None, settings=None, data=None, device="cpu", seed=0):
        self.model_config = model_config or self.config_class()
        self.settings = settings or self.default_settings()
        self.data = dict(data or {})  # what the training data fixed: colour scale, crop/image size
        self.device = torch.device(device)
        self.check_data(self.data)
        with torch.random.fork_rng(devices=[]):  # the seed fixes the initial weights too
            torch.manual_seed(seed)
            generator, discriminator = self.build_networks(self.model_config)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.rng = seeded_generator(seed)
        self.trainer = AlternatingTrainer(self.generator, self.discriminator, self.real_batch,
                                          self.fake_batch, self.settings, self.augmentation())
        self.seconds_trained = 0.0
        self._calibrated_at = None  # trainer step at which the sampler's batch-norm statistics were set
        self.history = []  # [step, d_loss, g_loss, d_real, d_fake] every few steps, for plots

    # -- supplied by each model -----------------------------------------------------------------
    @classmethod
    def default_settings(cls):
        return TrainSettings()

    def build_networks(self, model_config):
        raise NotImplementedError

    def check_data(self, data):
        """Raise GanInputError if ``data`` (crop size, ...) does not suit ``model_config``."""

    def augmentation(self):
        """What the discriminator sees everything through (None: the images as they are)."""
        return None

    def real_batch(self, count):
        raise NotImplementedError

    def fake_batch(self, generator, count, rng=None):
        """``count`` generated training samples; noise from ``rng``, else the training stream."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------
    @property
    def sampler(self):
        """The generator to sample from: the EMA of the trained weights, with batch-norm
        statistics measured on those weights (refreshed when training moved them)."""
        average = self.trainer.ema.model
        if self._calibrated_at != self.trainer.steps:
            self.calibrate(average)
            self._calibrated_at = self.trainer.steps
        return average

    def calibrate(self, generator, seed=CALIBRATION_SEED, batches=CALIBRATION_BATCHES):
        """Measure ``generator``'s batch-norm statistics on its own weights, from ``batches`` batches
        drawn with ``seed`` (any generator of this model: the EMA, or a snapshot of it)."""
        rng = seeded_generator(seed)
        recalibrate_batch_norm(generator, lambda model: self.fake_batch(model, self.settings.batch_size, rng),
                               batches=batches)
        return generator

    @property
    def steps(self):
        return self.trainer.steps

    def payload(self):
        self.sampler  # noqa: B018  (the saved EMA generator carries its own statistics)
        return {
            "model_type": self.model_type,
            "model_config": self.model_config.to_dict(),
            "train_settings": self.settings.to_dict(),
            "data": dict(self.data),
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "trainer": self.trainer.state_dict(),
            "rng_state": self.rng.get_state(),
            "seconds_trained": float(self.seconds_trained),
            "history": [list(map(float, row)) for row in self.history],
        }

    def save(self, path):
        checkpoint.save(path, self.payload())

    @classmethod
    def from_payload(cls, payload, device="cpu"):
        try:
            model = cls(cls.config_class.from_dict(payload["model_config"]),
                        TrainSettings.from_dict(payload["train_settings"]), payload["data"], device)
            model.generator.load_state_dict(payload["generator"])
            model.discriminator.load_state_dict(payload["discriminator"])
            model.trainer.load_state_dict(payload["trainer"])
            model.rng.set_state(payload["rng_state"])
            model._calibrated_at = model.trainer.steps  # saved right after calibration
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            # A renamed layer, a missing entry, a tensor of the wrong shape: the file does not
            # describe this model, whatever its header says.
            raise CheckpointError(f"the model file is inconsistent ({type(error).__name__}: "
                                  f"{str(error).splitlines()[0][:160]})") from error
        model.seconds_trained = float(payload.get("seconds_trained", 0.0))
        model.history = [list(row) for row in payload.get("history", [])]
        return model

    @classmethod
    def load(cls, path, device="cpu"):
        return cls.from_payload(checkpoint.load(path, expected_type=cls.model_type), device)
