"""The job context every job talks through: its one warm-model cache and its own progress throttling."""

import threading
import time

import pytest
import torch

from neural_render.worker import jobs


def make_context(cancel=None):
    sent = []
    context = jobs.JobContext("test", torch.device("cpu"), cancel or threading.Event(),
                              lambda fraction, message: sent.append((fraction, message)))
    return context, sent


def test_progress_is_throttled_but_the_first_and_the_final_message_always_go_out():
    context, sent = make_context()
    for step in range(1000):
        context.progress(step / 1000, f"step {step}")
    context.progress(1.0, "done")
    assert sent[0] == (0.0, "step 0")
    assert sent[-1] == (1.0, "done")
    assert len(sent) <= 3, "a tight loop of progress calls must not flood the client"


def test_progress_messages_keep_flowing_at_the_interval():
    context, sent = make_context()
    end = time.monotonic() + 4 * context.PROGRESS_INTERVAL
    while time.monotonic() < end:
        context.progress(0.5, "working")
        time.sleep(0.01)
    assert 3 <= len(sent) <= 6


def test_progress_checks_cancellation_even_when_it_sends_nothing():
    cancel = threading.Event()
    context, sent = make_context(cancel)
    context.progress(0.1)
    cancel.set()
    with pytest.raises(jobs.JobCancelled):
        context.progress(0.1000001)


def test_a_stage_maps_its_fraction_into_its_share_of_the_job():
    context, sent = make_context()
    stage = context.stage(0.5, 0.25, "frame 3: ")
    stage(0.0, "start")
    context.PROGRESS_INTERVAL = 0.0
    stage(1.0, "end")
    stage(7.0)  # out of range: clamped into the stage
    assert sent == [(0.5, "frame 3: start"), (0.75, "frame 3: end"), (0.75, "frame 3: ")]


def test_the_model_cache_loads_once_and_a_new_key_of_a_family_replaces_the_old():
    cache = jobs.ModelCache()
    loads = []

    def loader(value):
        def load():
            loads.append(value)
            return value
        return load

    assert cache.get(("gan", "a.nrgan", (1, 10)), loader("first")) == "first"
    assert cache.get(("gan", "a.nrgan", (1, 10)), loader("again")) == "first"
    assert cache.get(("stylize.backbone", "vgg16"), loader("vgg")) == "vgg"
    assert cache.get(("gan", "a.nrgan", (2, 10)), loader("retrained")) == "retrained"
    assert loads == ["first", "vgg", "retrained"]
    assert len(cache) == 2, "the retrained file replaced the stale model; the other family stays"


def test_file_stamp_notices_a_replaced_file(tmp_path):
    path = tmp_path / "model.pt"
    assert jobs.file_stamp(str(path)) is None
    path.write_bytes(b"1")
    first = jobs.file_stamp(str(path))
    path.write_bytes(b"22")
    assert jobs.file_stamp(str(path)) != first


def test_a_job_receives_its_parameters_checked_with_defaults_filled_in():
    from neural_render.protocol.specs.params import FLOAT, JobSpec, Param
    spec = JobSpec("test.echo_params", "echo", (Param("x", FLOAT, "x", default=2.0, low=0.0, high=5.0),))
    received = []

    @jobs.job(spec)
    def echo(context, params, inputs):
        received.append(params)
        return {}

    context, _ = make_context()
    echo(context, {}, {})
    echo(context, {"x": 3}, {})
    assert received == [{"x": 2.0}, {"x": 3.0}]
    with pytest.raises(jobs.JobInputError, match="x must be from 0 to 5"):
        echo(context, {"x": 9}, {})
    with pytest.raises(jobs.JobInputError, match="no parameter 'y'"):
        echo(context, {"y": 1}, {})
