"""The Docker image, built and run by scripts/docker_smoke.py where a Docker engine answers; skipped, with the
reason, where none does (set DOCKER_SMOKE_BASE_IMAGE to build on a local base image without Docker Hub)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.docker_smoke import NO_ENGINE, engine_problem

ROOT = Path(__file__).resolve().parents[1]


def test_the_image_builds_runs_as_the_readme_says_and_stops_cleanly() -> None:
    problem = engine_problem()
    if problem is not None:
        pytest.skip(f"no Docker engine, so the image is not built: {problem}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "docker_smoke.py")], capture_output=True, text=True, timeout=3600
    )
    assert done.returncode not in (NO_ENGINE,), done.stderr
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_build_context_leaves_out_what_the_image_must_not_hold() -> None:
    """.dockerignore lists what goes in; everything else (.env, .venv, databases, .git) stays out."""
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert {rule for rule in rules if rule.startswith("!")} == {"!pyproject.toml", "!README.md", "!app.py", "!bot/"}


def test_the_dockerfile_pins_its_base_and_runs_as_a_number() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim@sha256:" in text
    assert "\nUSER 10001:10001\n" in text
    assert 'CMD ["python", "-m", "bot.healthcheck"]' in text.split("HEALTHCHECK ", 1)[1].split("\n", 1)[0]
    assert '\nWORKDIR /data\nVOLUME ["/data"]\n' in text
    assert "DATABASE_URL" not in text.split("ENV ", 1)[1].split("\n", 1)[0]  # the default is relative to /data
