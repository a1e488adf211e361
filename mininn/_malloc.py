"""Keep freed large arrays in the process for reuse (glibc's malloc, Linux only).

A training step allocates the same large temporaries again and again (im2col's column
matrix of LeNet's first layer is 10 MB). By default glibc gives every block above a
threshold its own fresh pages from the kernel and hands them back when the block is freed,
so each step pays a page fault per 4 KiB touched. On the book's 2-core machine that was a
third of LeNet's training step (36 ms against 22 ms per step of 128 images once the pages
were kept). `tune_malloc` raises the two thresholds that decide this, with `mallopt`:

- M_MMAP_THRESHOLD to 32 MiB (glibc's maximum): blocks below it come from the heap;
- M_TRIM_THRESHOLD to 256 MiB: the heap keeps up to that much freed memory for reuse.

mininn calls it once on import; set the environment variable ``MININN_MALLOC_TUNING=0``
before importing mininn to leave malloc as it is. It affects the whole process (NumPy and
PyTorch allocate through the same malloc), never the results of any computation.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["tune_malloc"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc(
    mmap_threshold: int = 32 * 1024 * 1024, trim_threshold: int = 256 * 1024 * 1024
) -> bool:
    """Set glibc's mmap and trim thresholds; return True if both settings were accepted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, for example)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok_mmap = mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    ok_trim = mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1
    return ok_mmap and ok_trim


def _tune_on_import() -> bool:
    if os.environ.get("MININN_MALLOC_TUNING", "1").strip() in ("0", "false", "no", "off"):
        return False
    return tune_malloc()
