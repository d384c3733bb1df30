"""Checking a job's parameters: one clear ``JobInputError`` per bad value, shared by every capability."""

import math

from .jobs import JobInputError


def number(params, name, default, low, high, kind=float):
    """``params[name]`` (or ``default``) as ``kind`` within [low, high]; ``None`` passes through when the
    default is None (an optional parameter). Booleans, strings, NaN and infinities are refused."""
    value = params.get(name, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise JobInputError(f"{name} must be a {'whole ' if kind is int else ''}number, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise JobInputError(f"{name} must be from {low} to {high}, got {value}")
    return kind(value)


def choice(params, name, default, choices):
    """``params[name]`` (or ``default``), which must be one of ``choices``."""
    value = params.get(name, default)
    if value not in choices:
        raise JobInputError(f"{name} must be one of {', '.join(map(str, choices))}, got {value!r}")
    return value
