"""What every resumable training script shares: stopping cleanly on Ctrl-C or SIGTERM (a shell, a farm or
the end of a session), and writing checkpoints so a crash never leaves half a file."""

import signal

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
