"""An exponential moving average of the generator's weights: the copy that generates.

Averaging over the last few hundred steps smooths out the oscillation of adversarial training
(Yazıcı et al. 2019), which shows as flicker of colours and contrast between checkpoints; it is
free at training time and is the generator users get.
"""

import copy

import torch


class ExponentialMovingAverage:
    def __init__(self, model, decay=0.999, warmup=10):
        self.decay = decay
        self.warmup = warmup
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model, step):
        # Early on the average would be dominated by the random initial weights: ramp the decay
        # up so the average follows the live weights closely during the first steps. The ramp
        # averages over about the last step / (warmup - 1) steps.
        decay = min(self.decay, (1 + step) / (self.warmup + step))
        for average, live in zip(self.model.parameters(), model.parameters()):
            average.lerp_(live.detach(), 1.0 - decay)
        for average, live in zip(self.model.buffers(), model.buffers()):
            average.copy_(live)


@torch.no_grad()
def recalibrate_batch_norm(model, run_batch, batches=4):
    """Re-estimate the batch-norm statistics of ``model`` from ``batches`` calls of ``run_batch(model)``.

    The running statistics a generator collects in training belong to its live weights, not to their
    moving average; an EMA generator using them draws washed-out or over-saturated colours. These
    "standing statistics" are an exact average over fresh batches (``momentum=None``).
    """
    norms = [module for module in model.modules() if isinstance(module, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = [module.momentum for module in norms]
    for module in norms:
        module.reset_running_stats()
        module.momentum = None
    model.train()
    try:
        for _ in range(batches):
            run_batch(model)
    finally:
        for module, momentum in zip(norms, momenta):
            module.momentum = momentum
        model.eval()
