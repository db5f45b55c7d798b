# The base image, pinned by digest: a rebuild gets the same bytes until someone bumps it on purpose.
# To bump: `docker buildx imagetools inspect python:3.11-slim` (or `docker pull python:3.11-slim` and
# `docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim`), put the new sha256 here, rebuild and run
# scripts/docker_smoke.py. Without access to Docker Hub, build on a base image you have locally (any Debian-based
# Python 3.11 or newer with pip): docker build --build-arg BASE_IMAGE=<your image> -t miniprogram-rollback .
ARG BASE_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PORT=3000

# A numeric user, so that `runAsNonRoot` and similar checks can tell it is not root without reading /etc/passwd.
RUN groupadd --system --gid 10001 rollback \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent rollback \
    && mkdir /data && chown 10001:10001 /data

WORKDIR /app
# The dependencies in a layer of their own, read from pyproject.toml alone: a change to the code reuses it.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb')); \
print('\n'.join(p['build-system']['requires'] + p['project']['dependencies'] \
+ p['project']['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Then the code: no download, no build isolation (setuptools came with the dependencies).
COPY README.md app.py ./
COPY bot ./bot
RUN pip install --no-deps --no-build-isolation . && rm -rf build *.egg-info

USER 10001:10001
# The working directory is the data volume: the default SQLite files (miniprogram-rollback.db, and
# miniprogram-rollback-sandbox.db in the sandbox) and any relative DATABASE_URL land there, writable by the bot.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
# Arguments go to the bot: `docker run … miniprogram-rollback --sandbox`, `… --help`.
ENTRYPOINT ["python", "/app/app.py"]
