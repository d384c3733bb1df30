"""What every resumable training script shares: a chunk of training on the wall clock with validation and
checkpoints on their own clocks, stopping cleanly on Ctrl-C or SIGTERM (a shell, a farm or the end of a
session), and writing checkpoints so a crash never leaves half a file."""

import signal
import time

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def install_stop_handlers():
    """(should_stop, restore): after Ctrl-C or SIGTERM ``should_stop()`` is true -- the loop finishes
    its step, saves and returns; ``restore()`` puts the previous handlers back."""
    requests = []
    previous = {signum: signal.signal(signum, lambda signum, frame: requests.append(signum)) for signum in SIGNALS}

    def restore():
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return (lambda: bool(requests)), restore


def save_atomically(path, payload):
    """``torch.save`` to a temporary file beside ``path``, then renamed over it."""
    import torch

    from neural_render.worker.imageio.atomic import write_atomically
    write_atomically(path, lambda temporary: torch.save(payload, temporary))


def train_chunk(train_step, validate, checkpoint, *, minutes, validate_minutes, checkpoint_minutes, should_stop,
                clock=time.monotonic):
    """Call ``train_step()`` until ``minutes`` of wall time have passed or a stop is asked for; call
    ``validate()`` every ``validate_minutes`` and ``checkpoint()`` every ``checkpoint_minutes``, and both
    once at the end -- validation first (unless the last step was just validated), so the last checkpoint
    holds its result."""
    started = clock()
    last_validation = last_checkpoint = started
    validated = False
    while not should_stop() and clock() - started < minutes * 60:
        train_step()
        validated = False
        now = clock()
        if now - last_validation > validate_minutes * 60:
            validate()
            validated, last_validation = True, now
        if now - last_checkpoint > checkpoint_minutes * 60:
            checkpoint()
            last_checkpoint = now
    if not validated:
        validate()
    checkpoint()
