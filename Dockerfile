FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PORT=3000 DATABASE_URL=sqlite:////data/miniprogram-rollback.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY app.py ./
RUN pip install ".[postgres]" \
    && useradd --system --uid 10001 --home-dir /app rollback \
    && mkdir /data && chown rollback /data

USER rollback
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["python", "app.py"]
