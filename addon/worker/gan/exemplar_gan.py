"""The exemplar texture GAN as a trainable whole: PSGAN networks fed random crops of one image."""

from . import psgan
from .adversarial import TrainSettings
from .errors import GanInputError
from .exemplar import ExemplarCrops
from .gan_model import GanModel
from .noise import sample_noise

DEFAULT_CROP_SIZE = 64  # a few stones' worth; more steps per minute than 128 px crops


class ExemplarGan(GanModel):
    model_type = psgan.MODEL_TYPE
    config_class = psgan.PsganConfig

    def __init__(self, model_config=None, settings=None, data=None, device="cpu", seed=0):
        data = dict(data or {})
        data.setdefault("crop_size", DEFAULT_CROP_SIZE)
        self.crops = None
        super().__init__(model_config, settings, data, device, seed)

    @classmethod
    def default_settings(cls):
        # Adam at 5e-4 rather than DCGAN's 2e-4: in 10-minute CPU runs side by side (1 thread each)
        # it reached 3.4x and 5.1x the real-crop Gram floor against 9.5x at 2e-4 and 10.1x at 1e-3
        # (docs/history/gan_experiments.md); a budget of minutes rewards the faster rate.
        return TrainSettings(batch_size=16, generator_lr=5e-4, discriminator_lr=5e-4)

    def build_networks(self, model_config):
        return psgan.build(model_config, channels_last=self.device.type == "cpu")

    def check_data(self, data):
        crop, scale = data["crop_size"], self.model_config.upsampling
        if not isinstance(crop, int) or crop < 2 * scale or crop % scale or crop > 1024:
            raise GanInputError(f"the crop size must be a multiple of {scale} px from {2 * scale} to 1024, "
                                f"got {crop!r}")

    def attach_exemplar(self, linear_image):
        """Train on ``linear_image`` (H, W, C scene-linear). A resumed model keeps its colour scale."""
        try:
            self.crops = ExemplarCrops(linear_image, self.data["crop_size"], self.device, self.data.get("scale"))
        except ValueError as error:
            raise GanInputError(str(error)) from error
        self.data["scale"] = self.crops.scale
        self.data["exemplar_size"] = [int(linear_image.shape[1]), int(linear_image.shape[0])]

    def real_batch(self, count):
        if self.crops is None:
            raise GanInputError("no exemplar: attach one before training")
        return self.crops.sample(count, self.rng)

    def fake_batch(self, generator, count, rng=None):
        """Crops generated with a margin of noise around them, which is cut away: the pixels the
        discriminator judges never depend on how the field ends."""
        config = self.model_config
        margin = config.margin_cells
        cells = self.data["crop_size"] // config.upsampling + 2 * margin
        field = sample_noise(config, count, cells, cells, rng or self.rng).to(self.device)
        offset, size = margin * config.upsampling, self.data["crop_size"]
        return generator(field)[:, :, offset:offset + size, offset:offset + size]

    @property
    def scale(self):
        return self.data.get("scale", 1.0)
