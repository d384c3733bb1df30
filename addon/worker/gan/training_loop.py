"""Training against a time budget or a step count, with progress, ETA, periodic atomic checkpoints,
previews, and a checkpoint on cancel.

``report(fraction, message)`` is the job's progress callback; it raises to stop training (the
worker's ``JobCancelled``, or whatever the caller uses). Training is stopped only between two
optimiser updates, when the networks are consistent, so the checkpoint written on the way out is a
valid model; then the exception continues upwards.
"""

import math
import time


class TrainingDiverged(RuntimeError):
    pass


class _Stop(Exception):
    """Carries the exception ``report`` raised out of the trainer, so that it is told apart from a
    failure inside a training step (after which nothing is saved)."""

    def __init__(self, original):
        super().__init__(str(original))
        self.original = original


def format_duration(seconds):
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def train(model, seconds=None, steps=None, report=None, checkpoint_path=None, checkpoint_every=60.0,
          on_preview=None, preview_every=15.0, report_interval=0.1, history_every=10):
    """Train ``model`` (a GanModel with its data attached) for ``seconds`` of wall time and/or
    ``steps`` more steps, whichever ends first; return a summary dictionary."""
    if seconds is None and steps is None:
        raise ValueError("give a time budget, a step count or both")
    start = time.monotonic()
    first_step = model.steps
    seconds_before = model.seconds_trained
    last_report = last_save = last_preview = start
    stats = {}

    def fraction_done(now):
        by_time = (now - start) / seconds if seconds else 0.0
        by_steps = (model.steps - first_step) / steps if steps else 0.0
        return min(1.0, max(by_time, by_steps))

    def status(now):
        done = fraction_done(now)
        elapsed = now - start
        remaining = seconds - elapsed if seconds else math.inf
        if steps and model.steps > first_step:
            remaining = min(remaining, elapsed / (model.steps - first_step) * (first_step + steps - model.steps))
        eta = format_duration(remaining) if math.isfinite(remaining) else "?"
        losses = f"  D {stats['d_loss']:.3f} G {stats['g_loss']:.3f}" if "g_loss" in stats else ""
        return done, f"step {model.steps}  ETA {eta}{losses}"

    def between():
        nonlocal last_report
        now = time.monotonic()
        if report is not None and now - last_report >= report_interval:
            last_report = now
            try:
                report(*status(now))
            except BaseException as error:  # the caller's way of stopping us
                raise _Stop(error) from error

    def save():
        model.seconds_trained = seconds_before + (time.monotonic() - start)
        if checkpoint_path:
            model.save(checkpoint_path)

    stopped = "steps"
    try:
        while True:
            now = time.monotonic()
            if seconds is not None and now - start >= seconds:
                stopped = "time"
                break
            if steps is not None and model.steps - first_step >= steps:
                break
            stats = model.trainer.step(between=between)
            if not all(math.isfinite(value) for value in stats.values()):
                raise TrainingDiverged(f"training diverged at step {model.steps} (a loss is not finite); "
                                       "the last saved checkpoint is kept")
            if model.steps % history_every == 0:
                model.history.append([model.steps, stats["d_loss"], stats["g_loss"], stats["d_real"],
                                      stats["d_fake"]])
            now = time.monotonic()
            if checkpoint_path and now - last_save >= checkpoint_every:
                save()
                last_save = time.monotonic()
            if on_preview is not None and now - last_preview >= preview_every:
                on_preview(model)
                last_preview = time.monotonic()
    except _Stop as stop:
        save()  # cancelled between two updates: the state is consistent, keep it
        raise stop.original from None
    save()
    if report is not None:
        report(1.0, f"step {model.steps}  done")
    return {"steps": model.steps, "new_steps": model.steps - first_step,
            "seconds": time.monotonic() - start, "stopped": stopped, **stats}
