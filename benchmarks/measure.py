"""Small measuring helpers shared by the benchmark scripts: statistics, timed subprocesses with
their peak memory, and a description of the machine. Nothing here imports reader or Whoosh."""

from __future__ import annotations

import math
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import psutil


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 < share <= 1) of `values`; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p95, mean, min and max of `values` and how many there are (seconds stay seconds)."""
    if not values:
        return {"n": 0, "median": math.nan, "p95": math.nan, "mean": math.nan, "min": math.nan, "max": math.nan}
    return {
        "n": len(values),
        "median": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "mean": sum(values) / len(values),
        "min": min(values),
        "max": max(values),
    }


class RssSampler:
    """Samples the resident memory of a process and all its descendants in a thread: `peak_total`
    is the largest sum over the tree, `peak_single` the largest single process."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for process in processes:
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            self.peak_single = max(self.peak_single, rss)
        self.peak_total = max(self.peak_total, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


@dataclass
class ProcessRun:
    """One finished subprocess."""

    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_total: int
    """Bytes: the largest sum of resident memory over the process and its children."""
    peak_rss_single: int
    cpu_seconds: float = 0.0
    """User + system CPU time of the process and the children it waited for: what the run would
    take on an idle machine, roughly, when other work competes for the cores."""


def run_process(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
                sample_rss: bool = True, timeout: float | None = None) -> ProcessRun:
    """Run `cmd` to its end: wall seconds from spawning it, its output, and its memory peak."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=env, cwd=cwd, text=True)
    sampler = RssSampler(proc.pid) if sample_rss else None
    if sampler is not None:
        sampler.__enter__()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        seconds = time.perf_counter() - start
        if sampler is not None:
            sampler.__exit__()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ProcessRun(seconds, proc.returncode, out, err,
                      sampler.peak_total if sampler else 0, sampler.peak_single if sampler else 0, cpu)


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "load_average_at_start": [round(x, 2) for x in load],
    }


def mb(n_bytes: float) -> float:
    return n_bytes / 2**20


def folder_bytes(path: str | os.PathLike[str]) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
