"""The benchmark's quick mode on a tiny generated archive: every row and target is written, so the
script cannot rot unnoticed. No timing is asserted (machines are noisy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def test_quick_benchmark_writes_every_row(tmp_path: Path) -> None:
    from benchmarks.run import ROW_KEYS, TARGET_KEYS

    out = tmp_path / "results"
    env = {**os.environ, "READER_BENCH_DIR": str(tmp_path / "work")}
    env.pop("READER_ARCHIVE", None)
    env.pop("READER_INDEX", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--sizes", "200", "--no-corpora", "--queries", "12",
         "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    archive = data["archives"]["synthetic-200"]
    assert archive["articles"] == 200
    missing = [key for key in ROW_KEYS if key not in archive["rows"]]
    assert not missing, missing
    assert set(archive["targets"]) == set(TARGET_KEYS)
    for key in ("build.reader", "build.floor", "refresh.unchanged", "typeahead.reader", "open.total"):
        assert "unavailable" not in archive["rows"][key], (key, archive["rows"][key])
    assert archive["rows"]["typeahead.reader"]["n"] >= 12
    assert archive["rows"]["build.reader"]["docs"] == 200
    table = (out / "latest.md").read_text(encoding="utf-8")
    assert "synthetic-200" in table and "type-ahead" in table
