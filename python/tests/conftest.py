"""Shared fixtures: the repository root and the `iamsim` binary the Python results are compared
with (IAMSIM_BIN, else the newest build under $CARGO_TARGET_DIR or target/)."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _binary():
    env = os.environ.get("IAMSIM_BIN")
    if env:
        return pathlib.Path(env)
    dirs = [pathlib.Path(os.environ["CARGO_TARGET_DIR"])] if os.environ.get("CARGO_TARGET_DIR") else []
    dirs.append(ROOT / "target")
    found = [d / p / "iamsim" for d in dirs for p in ("release", "debug") if (d / p / "iamsim").is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def iamsim_bin():
    b = _binary()
    if b is None:
        pytest.fail(
            "no iamsim binary: run `cargo build` first or set IAMSIM_BIN "
            "(the Python results are compared with the CLI's)"
        )
    return str(b)


@pytest.fixture(scope="session")
def run_cli(iamsim_bin):
    def run(*args, input=None):
        return subprocess.run(
            [iamsim_bin, *args], cwd=ROOT, input=input, capture_output=True, env={**os.environ, "NO_COLOR": "1"}
        )

    return run


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    # Scenario files name their policies relative to the repository root, as the CLI's docs do.
    monkeypatch.chdir(ROOT)
