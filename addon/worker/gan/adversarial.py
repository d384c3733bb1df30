"""The alternating training step shared by both texture GANs.

Each step makes ``d_steps`` discriminator updates on fresh real and fake batches, then one
generator update with the non-saturating loss (Goodfellow et al. 2014: the generator maximises
log D(G(z)) instead of minimising log(1 - D(G(z))), which gives it strong gradients early on when
the discriminator rejects every fake). Losses are written with softplus on logits, which is the same
cross-entropy without the overflow of log(sigmoid).
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .ema import ExponentialMovingAverage
from .settings_record import SettingsRecord


def discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    return F.softplus(-fake_logits).mean()


@dataclass
class TrainSettings(SettingsRecord):
    record_name = "training settings"

    batch_size: int = 8
    d_steps: int = 1
    generator_lr: float = 2e-4
    discriminator_lr: float = 2e-4
    beta1: float = 0.5    # Radford et al.: 0.9 made training oscillate
    beta2: float = 0.999
    ema_decay: float = 0.999
    r1_gamma: float = 0.0   # weight of the R1 penalty on real images (Mescheder et al. 2018); 0: off
    r1_every: int = 4       # lazy R1 (Karras et al. 2020): every n-th D step, weighted by n


class AlternatingTrainer:
    """Owns the optimisers and the EMA generator; ``real_batch(n)`` and ``fake_batch(generator, n)``
    are supplied by the model (exemplar crops or folder images; noise fields or latent vectors).
    ``augment(images)``, if given, is applied to everything the discriminator sees, real and fake
    alike (differentiable augmentation for small data sets)."""

    def __init__(self, generator, discriminator, real_batch, fake_batch, settings, augment=None):
        self.generator = generator
        self.augment = augment or (lambda images: images)
        self.discriminator = discriminator
        self.real_batch = real_batch
        self.fake_batch = fake_batch
        self.settings = settings
        betas = (settings.beta1, settings.beta2)
        self.generator_optimizer = torch.optim.Adam(generator.parameters(), settings.generator_lr, betas=betas)
        self.discriminator_optimizer = torch.optim.Adam(discriminator.parameters(), settings.discriminator_lr,
                                                        betas=betas)
        self.ema = ExponentialMovingAverage(generator, settings.ema_decay)
        self.steps = 0
        self.discriminator_steps = 0

    def discriminator_step(self, fake=None):
        """One update of D; ``fake``: generated images to judge (detached), else a fresh batch."""
        batch = self.settings.batch_size
        real = self.real_batch(batch)
        if fake is None:
            with torch.no_grad():
                fake = self.fake_batch(self.generator, batch)
        # One pass over both halves: half the spectral-norm iterations and better CPU utilisation.
        logits = self.discriminator(self.augment(torch.cat([real, fake])))
        real_logits, fake_logits = logits[:batch], logits[batch:]
        loss = discriminator_loss(real_logits, fake_logits)
        self.discriminator_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.discriminator_steps += 1
        if self.settings.r1_gamma > 0 and self.discriminator_steps % self.settings.r1_every == 0:
            self.r1_penalty(real).backward()
        self.discriminator_optimizer.step()
        return {"d_loss": loss.item(),
                "d_real": torch.sigmoid(real_logits).mean().item(),
                "d_fake": torch.sigmoid(fake_logits).mean().item()}

    def r1_penalty(self, real):
        """gamma/2 * |grad_x D(x)|^2 on real images: keeps the discriminator flat around the data,
        so it cannot grow the sharp, useless gradients that make GAN training oscillate."""
        real = self.augment(real).detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(self.discriminator(real).sum(), real, create_graph=True)
        penalty = gradient.pow(2).sum(dim=(1, 2, 3)).mean()
        return penalty * (0.5 * self.settings.r1_gamma * self.settings.r1_every)

    def generator_step(self, fake):
        """One update of G through D's verdict on ``fake`` (generated with gradients)."""
        # The discriminator's weights are fixed here: skipping their gradients saves a third of
        # the backward pass through it.
        self.discriminator.requires_grad_(False)
        try:
            loss = generator_loss(self.discriminator(self.augment(fake)))
            self.generator_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.generator_optimizer.step()
        finally:
            self.discriminator.requires_grad_(True)
        self.ema.update(self.generator, self.steps)
        return {"g_loss": loss.item()}

    def step(self, between=None):
        """One full step; ``between()`` is called after every update (progress, cancel checks)."""
        stats = {}
        # The generator's batch is drawn once, with gradients, and the first D update judges it
        # too (detached), as DCGAN and pix2pix implementations do: G is not updated in between,
        # so it is the batch G would have drawn anyway, and a generator pass is saved (over a
        # quarter of an exemplar-model step on a CPU: docs/history/gan_experiments.md).
        fake = self.fake_batch(self.generator, self.settings.batch_size)
        for index in range(self.settings.d_steps):
            stats.update(self.discriminator_step(fake.detach() if index == 0 else None))
            if between is not None:
                between()
        stats.update(self.generator_step(fake))
        self.steps += 1
        if between is not None:
            between()
        return stats

    def state_dict(self):
        return {"generator_optimizer": self.generator_optimizer.state_dict(),
                "discriminator_optimizer": self.discriminator_optimizer.state_dict(),
                "generator_ema": self.ema.model.state_dict(),
                "steps": self.steps,
                "discriminator_steps": self.discriminator_steps}

    def load_state_dict(self, state):
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.discriminator_optimizer.load_state_dict(state["discriminator_optimizer"])
        self.ema.model.load_state_dict(state["generator_ema"])
        self.steps = int(state["steps"])
        self.discriminator_steps = int(state["discriminator_steps"])
