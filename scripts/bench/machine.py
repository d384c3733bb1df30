"""What a benchmark ran on, in one line: figures from sessions on different machines are only
comparable when the line says which CPU it was (``platform.processor()`` is empty on Linux).

    x86_64, Intel(R) Xeon(R) Processor (AVX-512, AMX), 2 cores
"""

import os
import platform

# Instruction-set extensions that change what torch's CPU kernels can do (oneDNN picks on them).
_EXTENSIONS = (("avx512f", "AVX-512"), ("amx_tile", "AMX"))


def _cpuinfo(path="/proc/cpuinfo"):
    """(model name, set of flags) of the first processor listed, or ("", set()) off Linux."""
    name, flags = "", set()
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not name:
                    name = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
                if name and flags:
                    break
    except OSError:
        pass
    return name, flags


def description(path="/proc/cpuinfo"):
    name, flags = _cpuinfo(path)
    name = name or platform.processor()
    extensions = [label for flag, label in _EXTENSIONS if flag in flags]
    cpu = f"{name} ({', '.join(extensions)})" if name and extensions else name
    return ", ".join(part for part in (platform.machine(), cpu, f"{os.cpu_count()} cores") if part)
