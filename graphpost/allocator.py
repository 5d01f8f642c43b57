"""glibc malloc settings for a long-running `graphpost serve` process, so that the memory of a
large request is given back to the system once it has been answered.

By default glibc raises its mmap threshold to the size of the largest block freed so far (up to
32 MiB): after the first large request body, attachment range or rendered MIME message, every
buffer of up to 32 MiB comes from the heap instead of a mapping of its own, and the heap keeps
what it freed whenever anything smaller above it is still in use. Each thread that allocates
(aiosqlite's, the default executor's) gets an arena of its own as well, up to 8 per core, each
keeping its own freed memory. The RSS then stays at the high-water mark of the largest requests
seen (bench/README.md, "soak.py": the figures with and without these settings).

A fixed mmap threshold (glibc's default, 128 KiB; setting it also stops the adjustment) keeps big
buffers in mappings that are unmapped when freed, and two arenas bound the rest. The mallopt(3)
names and values are glibc's (malloc.h); an operator's own MALLOC_* environment variables win.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024
ARENA_MAX = 2


def configure() -> list[str]:
    """Apply the settings to this process (glibc only); returns the ones applied."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # only glibc has it (musl has a mallopt that does nothing)
    except (OSError, AttributeError):
        return []
    applied = []
    for option, value, variable in ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_"),
                                    (_M_ARENA_MAX, ARENA_MAX, "MALLOC_ARENA_MAX")):
        if variable in os.environ:
            continue
        if mallopt(option, value) == 1:
            applied.append(f"{variable}={value}")
    return applied
