"""The worker as a real subprocess with real torch: results, progress, cancel, queueing and failures."""

import io
import os
import signal
import subprocess
import sys
import threading
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


def _job_on_a_dying_worker(client, how):
    """Submit a job whose worker dies ``how``: crashes, is killed with SIGKILL mid-job, writes garbage
    on its reply stream, or hangs past the silence timeout. Returns the job's handle."""
    if how != "kill -9":
        return client.submit(how, {})
    pid = client.info(timeout=120)["pid"]
    handle = client.submit("sleep", {"seconds": 30})
    while handle.poll() != "running":
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return handle


@pytest.mark.parametrize("how", ["crash", "kill -9", "garbage", "hang"])
def test_a_dying_worker_fails_the_job_clearly_and_the_next_job_gets_a_fresh_one(client, how):
    old_pid = client.info()["pid"]
    handle = _job_on_a_dying_worker(client, how)
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


class SlowToNoticeClient(WorkerClient):
    """Widens the window of the restart race: the old worker's reply reader takes 1.5 s to describe
    its worker's death, long after the main thread has seen it and started the next worker."""

    def _exit_description(self, returncode):
        if threading.current_thread().name == "neural-render-worker-replies":
            time.sleep(1.5)
        return super()._exit_description(returncode)


def test_a_crash_noticed_late_by_the_old_reader_does_not_fail_the_next_job(tmp_path):
    client = SlowToNoticeClient(WorkerConfig(log_path=str(tmp_path / "worker.log"),
                                             worker_args=("--test-jobs", TEST_JOBS)))
    try:
        crash = client.submit("crash", {"exit_code": 3})
        with pytest.raises(WorkerError) as caught:
            crash.wait(timeout=30)
        assert caught.value.code == messages.WORKER_DIED and "exit code 3" in caught.value.message
        crash.cleanup()
        image = random_image()
        # The next job runs on a fresh worker while the old reader wakes up and reports the old death.
        out = client.run("sleep", {"seconds": 3.0}, {"image": image}, timeout=60)
        assert np.array_equal(out["image"], image), "the next job must not die of the crashed worker's death"
    finally:
        client.shutdown()


def test_a_clean_shutdown_exits_the_worker_cleanly(tmp_path):
    log = tmp_path / "worker.log"
    client = WorkerClient(WorkerConfig(log_path=str(log)))
    client.wait_ready()
    process = client._process
    client.shutdown()
    assert process.returncode == 0
    assert "Fatal Python error" not in log.read_text(errors="replace")


@pytest.mark.parametrize("message", [
    {"type": "release", "paths": 5},
    {"type": "release", "paths": [1, 2]},
    {"type": "cancel", "job_id": [1]},
    {"type": "submit", "job_id": "x", "kind": "identity", "params": {}, "inputs": 7},
])
def test_a_malformed_message_is_refused_and_the_worker_keeps_listening(client, message):
    pid = client.info()["pid"]
    client.send(message)
    image = random_image()
    assert np.array_equal(client.run("identity", {}, {"image": image}, timeout=30)["image"], image)
    assert client.info()["pid"] == pid


def test_a_deeply_nested_body_is_refused_and_the_worker_keeps_listening(client):
    pid = client.info()["pid"]
    body = b"[" * 100_000 + b"]" * 100_000
    client._process.stdin.write(framing.HEADER.pack(framing.MAGIC, framing.PROTOCOL_VERSION, len(body)) + body)
    client._process.stdin.flush()
    image = random_image()
    assert np.array_equal(client.run("identity", {}, {"image": image}, timeout=30)["image"], image)
    assert client.info()["pid"] == pid


@pytest.mark.parametrize("height", ["abc", 1e400, float("nan"), True])
def test_image_sizes_that_are_not_whole_numbers_are_a_bad_request(client, height):
    from neural_render.blender.worker_client import JobHandle
    handle = JobHandle(client, f"bad-size-{height!r}", "identity", process=client._process)
    client._handles[handle.job_id] = handle
    ref = {"transport": "shm", "path": "/dev/shm/none.f32", "height": height, "width": 2, "channels": 4}
    frame = framing.HEADER.pack(framing.MAGIC, framing.PROTOCOL_VERSION, 0)  # body written below
    import json
    body = json.dumps(messages.submit(handle.job_id, "identity", {}, {"image": ref})).encode()
    client._process.stdin.write(frame[:8] + len(body).to_bytes(4, "little") + body)
    client._process.stdin.flush()
    with pytest.raises(WorkerError) as caught:
        handle.wait(timeout=10)
    assert caught.value.code == messages.BAD_REQUEST and "height" in caught.value.message
    handle.cleanup()


_CLIENT_SCRIPT = """
import sys, time
sys.path.insert(0, {scripts!r})
import addon_path; addon_path.install()
from neural_render.blender.worker_client import WorkerClient, WorkerConfig
client = WorkerClient(WorkerConfig(log_path={log!r}, worker_args=("--test-jobs", {jobs!r})))
info = client.info()
client.acquire_input(8, 8, 4)   # the client's own arena exists too
handle = client.submit({kind!r}, {{"seconds": 60}})
print(info["pid"], info["arena"], client._arena.directory, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("kind", ["sleep", "hang"])
def test_a_killed_client_leaves_no_worker_and_no_shared_memory_behind(tmp_path, kind):
    """Blender crashing (kill -9) mid-job: the worker notices at once, even in a job that reports
    nothing, and the next client to start removes the dead one's arena."""
    from neural_render.protocol import arena
    scripts = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
    script = _CLIENT_SCRIPT.format(scripts=scripts, log=str(tmp_path / "worker.log"), jobs=TEST_JOBS, kind=kind)
    fake_blender = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    worker_pid, worker_arena, client_arena = fake_blender.stdout.readline().split()
    time.sleep(0.5)  # the job is running
    fake_blender.kill()
    fake_blender.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _process_exists(int(worker_pid)):
        time.sleep(0.1)
    assert not _process_exists(int(worker_pid)), "the worker outlived its client"
    assert not os.path.exists(worker_arena), "the worker removed its own output slots"
    assert os.path.exists(client_arena)
    arena.remove_orphaned_arenas()
    assert not os.path.exists(client_arena), "the dead client's input slots are removed by the next one"
    assert "Traceback" not in (tmp_path / "worker.log").read_text(errors="replace")


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its dead parent's init) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
    return True


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


_HOG = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@pytest.mark.slow
def test_dying_workers_under_a_cpu_hog_never_fail_the_next_job(tmp_path):
    """50 rounds of crash, kill -9, garbage and hang with both cores busy: the job after each death
    always succeeds on a fresh worker (the restart race of issue 15 showed only under load)."""
    hogs = [subprocess.Popen([sys.executable, "-c", _HOG.format(seconds=3600)]) for _ in range(os.cpu_count() or 2)]
    client = WorkerClient(WorkerConfig(silence_timeout=3.0, cancel_grace=1.0, log_path=str(tmp_path / "worker.log"),
                                       worker_args=("--test-jobs", TEST_JOBS)))
    try:
        for round_number in range(50):
            for how in ("crash", "kill -9", "garbage", "hang"):
                handle = _job_on_a_dying_worker(client, how)
                with pytest.raises(WorkerError):
                    handle.wait(timeout=60)
                handle.cleanup()
                image = random_image(seed=round_number)
                out = client.run("identity", {}, {"image": image}, timeout=180)["image"]
                assert np.array_equal(out, image), f"round {round_number}, after {how}"
    finally:
        client.shutdown()
        for hog in hogs:
            hog.kill()
            hog.wait()


def test_the_default_log_is_private_and_a_planted_link_is_refused(tmp_path, monkeypatch):
    from neural_render.blender import worker_client
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = WorkerConfig()
    folder = os.path.dirname(config.log_path)
    assert folder.startswith(str(tmp_path / "state")) and not folder.startswith("/tmp/neural")
    assert os.stat(folder).st_mode & 0o777 == 0o700
    worker_client.open_log(config.log_path).close()
    assert os.stat(config.log_path).st_mode & 0o777 == 0o600
    target = tmp_path / "elsewhere.txt"
    planted = tmp_path / "planted.log"
    planted.symlink_to(target)
    with pytest.raises(WorkerError, match="link"):
        worker_client.open_log(str(planted))
    assert not target.exists()
