"""Parameters every training job shares (GAN exemplar/folder models, StyleGAN): how long, from where,
and how it reports and saves as it goes. Declared once; each training spec places them in its list."""

from .params import BOOL, FLOAT, INT, PATH, Param


def run_length(default_minutes):
    """minutes, steps, resume, seed."""
    return (
        Param("minutes", FLOAT, f"Training time (default {default_minutes:g} when no steps are given; with "
              "steps, whichever ends first)", low=0.01, high=24 * 60.0, unit="min", panel=True),
        Param("steps", INT, "Stop after this many steps", low=1, high=10_000_000),
        Param("resume", BOOL, "Continue training the model file instead of starting over", default=False,
              panel=True),
        Param("seed", INT, "Random seed of the initial weights and the training batches", default=0, low=0,
              high=2 ** 63 - 1),
    )


def progress():
    """preview_path, preview_every, checkpoint_every."""
    return (
        Param("preview_path", PATH, "An image rewritten (atomically) with a sample as training goes",
              cli="--preview"),
        Param("preview_every", FLOAT, "Seconds between previews", default=15.0, low=1.0, high=86400.0,
              unit="s"),
        Param("checkpoint_every", FLOAT, "Seconds between checkpoints", default=60.0, low=1.0, high=86400.0,
              unit="s", cli=""),
    )
