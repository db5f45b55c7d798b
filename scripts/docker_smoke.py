"""Build the Docker image and run it the way the README does: `python scripts/docker_smoke.py [--base-image IMAGE]`.

Needs a Docker engine (Linux: the container shares the host's network to reach the fake Slack) and the test
dependencies (`pip install -e ".[test]"`). Without access to Docker Hub, pass a local base image with
--base-image (or DOCKER_SMOKE_BASE_IMAGE): any Debian-based Python 3.11 or newer with pip.

It checks: the build; `--help` exits 0; the image runs as uid 10001; `.env.example`, filled in as the README's
sandbox steps say (here with the fake Slack's token and URL, in HTTP mode), works with `docker run --env-file`
and `-v VOLUME:/data`; the image's HEALTHCHECK reports healthy; /readyz is ready once Slack answered; the
records land in the volume, where the command line in the container finds them; `docker stop` ends it with
exit code 0. Exit 0 when every check passed, 1 naming the first that failed, 77 when there is no Docker engine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.slack import FakeSlack  # noqa: E402  # the repository's root is on the path only now
from tests.support.processes import free_port  # noqa: E402

NO_ENGINE = 77
SIGNING_SECRET = "smoke-signing-secret-0123456789ab"
DEADLINE_SECONDS = 120


class SmokeFailure(Exception):
    pass


def docker(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise SmokeFailure(f"docker {' '.join(args[:3])} ... exited {done.returncode}: {done.stderr.strip()[-800:]}")
    return done


def engine_problem() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    if shutil.which("docker") is None:
        return "no docker command on PATH"
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "docker info did not answer within 30 s"
    if info.returncode != 0:
        lines = [line for line in info.stderr.splitlines() if line.strip()]
        return f"no Docker engine answers: {lines[-1] if lines else 'docker info failed'}"
    return None


def filled_env_file(directory: Path, slack: FakeSlack, port: int) -> Path:
    """.env.example with the README's edits: the bot token set (and, HTTP mode here, the signing secret)."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    text = re.sub(r"^SLACK_BOT_TOKEN=.*$", f"SLACK_BOT_TOKEN={slack.bot_token}", text, flags=re.M)
    text = re.sub(r"^SLACK_SIGNING_SECRET=.*$", f"SLACK_SIGNING_SECRET={SIGNING_SECRET}", text, flags=re.M)
    text += f"SLACK_API_URL={slack.api_url}\nPORT={port}\n"
    path = directory / "env"
    path.write_text(text, encoding="utf-8")
    return path


def wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out waiting for {what}")
        time.sleep(0.5)


def smoke(image: str, base_image: str | None) -> None:
    build = ["build", "-t", image, *(["--build-arg", f"BASE_IMAGE={base_image}"] if base_image else []), str(ROOT)]
    docker(*build, timeout=1800)
    print(f"built {image}")

    shown = docker("run", "--rm", image, "--help")
    if not shown.stdout.startswith("usage: python app.py"):
        raise SmokeFailure(f"--help printed {shown.stdout[:200]!r}")
    uid = docker("run", "--rm", "--entrypoint", "id", image, "-u").stdout.strip()
    if uid != "10001":
        raise SmokeFailure(f"the image runs as uid {uid}, not 10001")
    print("--help exits 0; runs as uid 10001")

    name, volume, port = f"rollback-smoke-{uuid.uuid4().hex[:8]}", f"rollback-smoke-{uuid.uuid4().hex[:8]}", free_port()
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as scratch:
        env_file = filled_env_file(Path(scratch), slack, port)
        try:
            docker(
                "run", "-d", "--name", name, "--network", "host", "--env-file", str(env_file),
                "-v", f"{volume}:/data", "--health-interval", "2s", image, "--sandbox",
            )  # fmt: skip

            def health() -> bool:
                status = docker("inspect", "--format", "{{.State.Health.Status}} {{.State.Status}}", name).stdout
                if "exited" in status:
                    raise SmokeFailure(f"the container exited: {docker('logs', name).stderr[-1500:]}")
                return status.startswith("healthy")

            wait_for("the HEALTHCHECK to report healthy", health)
            print("healthy (HEALTHCHECK, exec form)")

            def ready() -> bool:
                answer = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                return answer.status_code == 200 and answer.json().get("slack") == "ok"

            wait_for("/readyz", ready)
            listed = docker("exec", name, "miniprogram-rollback", "--sandbox", "history")
            if "no rollback requests" not in listed.stdout:
                raise SmokeFailure(f"the command line in the container printed {listed.stdout!r} {listed.stderr!r}")
            files = docker("exec", name, "ls", "/data").stdout.split()
            if "miniprogram-rollback-sandbox.db" not in files:
                raise SmokeFailure(f"the sandbox's database is not in the /data volume: {files}")
            print("ready; the sandbox's records are in the volume, and the CLI in the container reads them")

            started = time.monotonic()
            docker("stop", name, timeout=60)
            code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
            if code != "0":
                raise SmokeFailure(f"docker stop: exit code {code}: {docker('logs', name).stderr[-1500:]}")
            print(f"docker stop: exit code 0 after {time.monotonic() - started:.1f} s")
            logs = docker("logs", name).stderr
            if slack.bot_token in logs or SIGNING_SECRET in logs:
                raise SmokeFailure("a secret reached the container's log")
        finally:
            docker("rm", "-f", name, check=False)
            docker("volume", "rm", "-f", volume, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/docker_smoke.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-image", default=os.environ.get("DOCKER_SMOKE_BASE_IMAGE") or None)
    parser.add_argument("--image", default="miniprogram-rollback:smoke", help="tag to build")
    args = parser.parse_args(argv)
    problem = engine_problem()
    if problem is not None:
        print(f"docker smoke test not run: {problem}", file=sys.stderr)
        return NO_ENGINE
    try:
        smoke(args.image, args.base_image)
    except (SmokeFailure, subprocess.TimeoutExpired, requests.RequestException) as error:
        print(f"docker smoke test FAILED: {error}", file=sys.stderr)
        return 1
    print("docker smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
