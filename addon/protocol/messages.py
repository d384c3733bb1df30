"""Message shapes exchanged over the frames, and the error codes both sides understand.

Client -> worker: ``submit``, ``cancel``, ``release``, ``shutdown``.
Worker -> client: ``ready``, ``progress``, ``result``, ``error``.
"""

# Error codes carried by ``error`` messages (and raised on the client as WorkerError.code).
BAD_REQUEST = "bad_request"        # malformed message or parameters: the request's fault
BAD_INPUT = "bad_input"            # unreadable / invalid image data or files
UNKNOWN_JOB = "unknown_job"        # no job kind of that name is registered in the worker
CANCELLED = "cancelled"            # the user cancelled; not a failure
OUT_OF_MEMORY = "out_of_memory"    # the device ran out of memory even after falling back
INTERNAL = "internal"              # a bug in a job: the worker survives, the message says what
WORKER_DIED = "worker_died"        # client side: the process exited or its stream broke
TIMEOUT = "timeout"                # client side: the worker went silent for too long

ERROR_CODES = (BAD_REQUEST, BAD_INPUT, UNKNOWN_JOB, CANCELLED, OUT_OF_MEMORY, INTERNAL,
               WORKER_DIED, TIMEOUT)


def submit(job_id, kind, params, inputs, output_origin="top"):
    """Ask for a job. ``inputs`` maps names to image references (see ``images.py``); outputs come
    back in the worker's shared-memory slots with the given row order."""
    return {"type": "submit", "job_id": job_id, "kind": kind, "params": params, "inputs": inputs,
            "output_origin": output_origin}


def cancel(job_id):
    return {"type": "cancel", "job_id": job_id}


def shutdown():
    return {"type": "shutdown"}


def progress(job_id, fraction, text=""):
    return {"type": "progress", "job_id": job_id, "fraction": float(fraction), "message": str(text)}


def result(job_id, outputs, info=None):
    return {"type": "result", "job_id": job_id, "outputs": outputs, "info": info or {}}


def error(job_id, code, text):
    return {"type": "error", "job_id": job_id, "code": code, "message": str(text)}


def release(paths):
    """The client has consumed these output slots; the worker may reuse them."""
    return {"type": "release", "paths": list(paths)}
