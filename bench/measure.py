"""Timing and memory helpers shared by the benchmark scripts (not a test)."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median seconds over ``runs`` calls (garbage collected before each), and the last result."""
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def traced_peak_mib(fn: Callable[[], Any]) -> float:
    """Peak memory Python allocated during one call (tracemalloc), in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM…); 0 where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss() -> int:
    """Reset the process's peak-RSS mark (Linux) and return the current RSS in KiB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return status_kib("VmRSS")
