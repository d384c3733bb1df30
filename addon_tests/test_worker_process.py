"""The worker as a real subprocess with real torch: results, progress, cancel, queueing and failures."""

import io
import os
import signal
import time

import numpy as np
import pytest

from neural_render.blender.worker_client import WorkerClient, WorkerConfig, WorkerError
from neural_render.protocol import framing, images, messages


TEST_JOBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_test_jobs.py")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A worker with the tests' diagnostics jobs (crash, hang, garbage...) registered by --test-jobs."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = WorkerClient(WorkerConfig(silence_timeout=3.0, cancel_grace=1.0, log_path=str(log),
                                       worker_args=("--test-jobs", TEST_JOBS)))
    worker.wait_ready()
    yield worker
    worker.shutdown()


def test_a_worker_started_as_the_add_on_starts_it_refuses_the_diagnostics_jobs(tmp_path):
    product = WorkerClient(WorkerConfig(log_path=str(tmp_path / "worker.log")))
    try:
        offered = product.info()["jobs"]
        assert "torch_identity" in offered and "stylize.image" in offered
        for kind in ("crash", "hang", "garbage", "sleep", "fail", "simulated_out_of_memory"):
            assert kind not in offered
            with pytest.raises(WorkerError) as caught:
                product.run(kind, {}, {}, timeout=30)
            assert caught.value.code == messages.UNKNOWN_JOB
    finally:
        product.shutdown()


def random_image(height=37, width=53, channels=4, seed=0):
    rng = np.random.default_rng(seed)
    # Values a float EXR carries and a lossy path would damage: tiny, huge, negative.
    image = rng.normal(0, 10, (height, width, channels)).astype(np.float32)
    image[0, 0, 0] = 1e-30
    image[0, 1, 0] = 65504.0 * 4
    return image


def test_ready_message_describes_the_worker(client):
    info = client.info()
    assert info["protocol"] == framing.PROTOCOL_VERSION
    assert info["torch"].startswith("2.")
    assert info["device"] == "cpu"
    assert "identity" in info["jobs"]


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_identity_round_trip_is_bit_exact(client, channels):
    image = random_image(channels=channels)
    out = client.run("identity", {}, {"image": image})["image"]
    assert out.dtype == np.float32 and out.shape == image.shape
    assert np.array_equal(out, image)


def test_bottom_first_output_is_flipped_rows(client):
    image = random_image()
    out = client.run("torch_identity", {}, {"image": image}, output_origin="bottom")["image"]
    assert np.array_equal(out, image[::-1])


def test_progress_is_streamed(client):
    handle = client.submit("sleep", {"seconds": 0.6})
    seen = set()
    while handle.poll() not in ("done", "failed"):
        seen.add(round(handle.fraction, 1))
        time.sleep(0.05)
    assert handle.state == "done"
    assert len(seen) >= 3, f"expected streamed progress, saw {sorted(seen)}"
    handle.cleanup()


def test_shared_memory_slots_are_reused_not_piled_up(client):
    image = random_image(height=64, width=64)
    paths = []
    for _ in range(3):
        handle = client.submit("identity", {}, {"image": image})
        assert np.array_equal(handle.wait(timeout=30)["image"], image)
        paths.append((handle._input_slots[0], handle.result_refs["image"]["path"]))
        handle.cleanup()
    time.sleep(0.1)  # let the worker read the release message
    assert paths[0] == paths[1] == paths[2], "both sides reuse their slot once it is released"
    arena_dir = client.info()["arena"]
    assert len([name for name in os.listdir(arena_dir) if name.startswith("slot-")]) <= 8


def test_cancel_stops_a_running_job_within_a_second(client):
    handle = client.submit("sleep", {"seconds": 30})
    while handle.poll() != "running":
        time.sleep(0.01)
    started = time.monotonic()
    handle.cancel()
    with pytest.raises(WorkerError) as caught:
        handle.wait(timeout=5)
    assert caught.value.code == messages.CANCELLED
    assert time.monotonic() - started < 1.0
    handle.cleanup()
    assert client.run("identity", {}, {"image": random_image()})  # the same worker carries on


def test_cancel_of_a_stuck_job_is_enforced_by_restarting(client):
    pid = client.info()["pid"]
    handle = client.submit("hang", {"seconds": 60})
    time.sleep(0.2)
    started = time.monotonic()
    handle.cancel()
    with pytest.raises(WorkerError) as caught:
        handle.wait(timeout=5)
    assert caught.value.code == messages.CANCELLED
    assert time.monotonic() - started < 2.0
    handle.cleanup()
    assert client.run("identity", {}, {"image": random_image()})
    assert client.info()["pid"] != pid


def test_two_jobs_queued_at_once_both_finish_in_order(client):
    first_image, second_image = random_image(seed=1), random_image(seed=2)
    first = client.submit("sleep", {"seconds": 0.3}, {"image": first_image})
    second = client.submit("identity", {}, {"image": second_image})
    assert np.array_equal(second.wait(timeout=30)["image"], second_image)
    assert first.poll() == "done", "the worker runs jobs in submission order"
    assert np.array_equal(first.wait()["image"], first_image)
    first.cleanup()
    second.cleanup()


@pytest.mark.parametrize("kind, code", [
    ("no_such_job", messages.UNKNOWN_JOB),
    ("fail", messages.INTERNAL),
    ("simulated_out_of_memory", messages.OUT_OF_MEMORY),
])
def test_job_errors_are_structured_and_the_worker_survives(client, kind, code):
    pid = client.info()["pid"]
    with pytest.raises(WorkerError) as caught:
        client.run(kind, {}, {}, timeout=30)
    assert caught.value.code == code
    assert client.info()["pid"] == pid


def test_bad_parameters_are_a_bad_input_not_a_crash(client):
    with pytest.raises(WorkerError) as caught:
        client.run("sleep", {"seconds": -5}, {}, timeout=30)
    assert caught.value.code == messages.BAD_INPUT
    assert "seconds" in caught.value.message


def test_image_reference_that_lies_about_its_size_is_rejected(client, tmp_path):
    ref = images.write_image(random_image(), str(tmp_path), "in_image")
    ref["width"] += 1
    handle = client.submit("identity", {}, input_refs={"image": ref})
    with pytest.raises(WorkerError) as caught:
        handle.wait(timeout=30)
    assert caught.value.code == messages.BAD_INPUT
    handle.cleanup()


def test_malformed_request_gets_a_structured_error(client):
    from neural_render.blender.worker_client import JobHandle
    handle = JobHandle(client, "hand-made-job", "identity")
    client._handles[handle.job_id] = handle
    # A submit with a row order nobody knows must come back as an error, not a hang.
    client.send(messages.submit(handle.job_id, "identity", {}, {}, output_origin="sideways"))
    with pytest.raises(WorkerError) as caught:
        handle.wait(timeout=10)
    assert caught.value.code == messages.BAD_REQUEST
    assert "output_origin" in caught.value.message
    handle.cleanup()


def test_a_misspelt_parameter_is_refused_not_ignored(client):
    with pytest.raises(WorkerError) as caught:
        client.run("sleep", {"secnds": 0.1}, {}, timeout=30)
    assert caught.value.code == messages.BAD_INPUT
    assert "secnds" in caught.value.message


@pytest.mark.parametrize("how", ["crash", "kill -9", "garbage", "hang"])
def test_a_dying_worker_fails_the_job_clearly_and_the_next_job_gets_a_fresh_one(client, how):
    old_pid = client.info()["pid"]
    if how == "kill -9":
        handle = client.submit("sleep", {"seconds": 30})
        while handle.poll() != "running":
            time.sleep(0.01)
        os.kill(old_pid, signal.SIGKILL)
    else:
        handle = client.submit({"crash": "crash", "garbage": "garbage", "hang": "hang"}[how], {})
    with pytest.raises(WorkerError) as caught:
        handle.wait(timeout=20)
    expected = messages.TIMEOUT if how == "hang" else messages.WORKER_DIED
    assert caught.value.code == expected
    assert caught.value.message and "Traceback" not in caught.value.message
    arena_dir = client.worker_info.get("arena")
    handle.cleanup()
    image = random_image()
    assert np.array_equal(client.run("identity", {}, {"image": image}, timeout=60)["image"], image)
    assert client.info()["pid"] != old_pid
    assert not os.path.exists(arena_dir), "the dead worker's output slots are removed"


def test_missing_interpreter_is_a_clear_error(tmp_path):
    broken = WorkerClient(WorkerConfig(python=str(tmp_path / "no-python"), log_path=str(tmp_path / "l")))
    with pytest.raises(WorkerError) as caught:
        broken.submit("identity", {}, {})
    assert "does not exist" in caught.value.message


class TestFraming:
    def test_round_trip(self):
        stream = io.BytesIO(framing.encode_frame({"type": "x", "value": [1, 2]}))
        assert framing.read_frame(stream) == {"type": "x", "value": [1, 2]}
        with pytest.raises(framing.StreamClosed):
            framing.read_frame(stream)

    @pytest.mark.parametrize("data, reason", [
        (b"hello world, not a frame", "magic"),
        (framing.HEADER.pack(framing.MAGIC, framing.PROTOCOL_VERSION + 1, 2) + b"{}", "version"),
        (framing.encode_frame({"type": "x"})[:-2], "truncated"),
        (framing.HEADER.pack(framing.MAGIC, framing.PROTOCOL_VERSION, 3) + b"abc", "JSON"),
        (framing.HEADER.pack(framing.MAGIC, framing.PROTOCOL_VERSION, 2 ** 31), "limit"),
        (framing.HEADER.pack(framing.MAGIC, framing.PROTOCOL_VERSION, 2) + b"[]", "type"),
    ])
    def test_garbage_is_rejected_with_a_reason(self, data, reason):
        with pytest.raises(framing.FramingError) as caught:
            framing.read_frame(io.BytesIO(data))
        assert reason in str(caught.value)

    def test_non_finite_numbers_are_refused_at_encoding(self):
        with pytest.raises(ValueError):
            framing.encode_frame({"type": "progress", "fraction": float("nan")})
