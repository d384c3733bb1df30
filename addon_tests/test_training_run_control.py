"""The training scripts' shared run control: a chunk on the wall clock with validation and checkpoints on
their own clocks, a clean stop on SIGTERM, checkpoints that are never half-written."""

import os
import signal

import pytest
import torch

from training.run_control import install_stop_handlers, save_atomically, train_chunk


def _chunk(minutes, seconds_per_step, stop_after=None):
    """The events of one chunk whose steps each take ``seconds_per_step`` of (simulated) wall time."""
    now, events = [0.0], []

    def clock():
        return now[0]

    def train_step():
        events.append("step")
        now[0] += seconds_per_step

    def should_stop():
        return stop_after is not None and events.count("step") >= stop_after

    train_chunk(train_step, lambda: events.append("validate"), lambda: events.append("checkpoint"),
                minutes=minutes, validate_minutes=0.5, checkpoint_minutes=1.0, should_stop=should_stop, clock=clock)
    return events


def test_a_chunk_runs_its_minutes_and_validates_and_saves_on_their_clocks_and_at_the_end():
    events = _chunk(minutes=2, seconds_per_step=10)
    assert events.count("step") == 12                  # 120 s of 10 s steps
    # Validation once more than 30 s have passed since the last (after steps 4, 8, 12), a checkpoint
    # once more than 60 s have (after step 7); at the end a checkpoint -- the last step was just
    # validated, so it is not validated twice.
    assert events == (["step"] * 4 + ["validate"] + ["step"] * 3 + ["checkpoint", "step", "validate"]
                      + ["step"] * 4 + ["validate", "checkpoint"])
    events = _chunk(minutes=1, seconds_per_step=25)      # steps end at 25, 50 (validated), 75 (saved)
    assert events == ["step", "step", "validate", "step", "checkpoint", "validate", "checkpoint"]


def test_a_stop_request_ends_the_chunk_after_its_step_with_a_validation_and_a_checkpoint():
    events = _chunk(minutes=60, seconds_per_step=1, stop_after=3)
    assert events == ["step"] * 3 + ["validate", "checkpoint"]


def test_sigterm_asks_the_loop_to_stop_and_restore_puts_the_handler_back():
    before = signal.getsignal(signal.SIGTERM)
    should_stop, restore = install_stop_handlers()
    try:
        assert not should_stop()
        os.kill(os.getpid(), signal.SIGTERM)
        assert should_stop()
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_checkpoint_that_cannot_be_written_leaves_the_old_one_whole(tmp_path):
    path = str(tmp_path / "state.pt")
    save_atomically(path, {"step": 1})
    with pytest.raises(Exception):
        save_atomically(path, {"step": 2, "unpicklable": lambda: None})
    assert torch.load(path, weights_only=True) == {"step": 1}
    assert os.listdir(tmp_path) == ["state.pt"], "no temporary file left behind"
