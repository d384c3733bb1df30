"""Length-prefixed, versioned frames over a byte stream (the worker's stdin/stdout pipes).

A frame is a fixed 12-byte header followed by a UTF-8 JSON body:

    magic  b"NRW\\x00"   4 bytes, rejects garbage early (a stray print() on stdout, a crashed child)
    version            uint32 little-endian, PROTOCOL_VERSION of the sender
    length             uint32 little-endian, body size in bytes

Pixels never travel in frames: they go through the image transport (see ``images.py``), so frames
stay small and JSON stays cheap.
"""

import json
import struct

MAGIC = b"NRW\x00"
PROTOCOL_VERSION = 1
HEADER = struct.Struct("<4sII")
# A message body is a few kilobytes of JSON; anything this large is a corrupted stream, not a message.
MAX_BODY_BYTES = 16 * 1024 * 1024


class FramingError(Exception):
    """The byte stream does not contain a valid frame (garbage, wrong version, truncation)."""


class StreamClosed(FramingError):
    """The peer closed the stream cleanly between frames."""


class MalformedMessage(FramingError):
    """A whole frame arrived but its body is not a usable message: the stream is still in step, so a
    server answers with an error and reads on."""


def encode_frame(message):
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(body) > MAX_BODY_BYTES:
        raise FramingError(f"message of {len(body)} bytes exceeds the {MAX_BODY_BYTES}-byte limit")
    return HEADER.pack(MAGIC, PROTOCOL_VERSION, len(body)) + body


def _read_exactly(stream, count):
    chunks = []
    remaining = count
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream):
    """Read one message from a binary stream; raise StreamClosed at a clean EOF, FramingError otherwise."""
    header = _read_exactly(stream, HEADER.size)
    if not header:
        raise StreamClosed("stream closed")
    if len(header) < HEADER.size:
        raise FramingError(f"truncated frame header ({len(header)} of {HEADER.size} bytes)")
    magic, version, length = HEADER.unpack(header)
    if magic != MAGIC:
        raise FramingError(f"bad frame magic {magic!r}: the stream carries something that is not a frame")
    if version != PROTOCOL_VERSION:
        raise FramingError(f"protocol version {version} does not match ours ({PROTOCOL_VERSION})")
    if length > MAX_BODY_BYTES:
        raise FramingError(f"frame announces {length} bytes, over the {MAX_BODY_BYTES}-byte limit")
    body = _read_exactly(stream, length)
    if len(body) < length:
        raise FramingError(f"truncated frame body ({len(body)} of {length} bytes)")
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedMessage(f"frame body is not JSON: {error}") from None
    except RecursionError:
        raise MalformedMessage("frame body is nested too deeply to be a message") from None
    if not isinstance(message, dict) or "type" not in message:
        raise MalformedMessage("frame body is not a message object with a 'type'")
    return message


def write_frame(stream, message):
    stream.write(encode_frame(message))
    stream.flush()
