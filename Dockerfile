# newsbot: `docker build -t newsbot .` then
#   docker run -v newsbot-data:/app/data -e NEWSBOT_TELEGRAM__TOKEN=... newsbot
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Chinese, Japanese and Korean letters for the trend charts (DejaVu Sans, matplotlib's, has none).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei=0.2.0-beta-3.1 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin newsbot

# The locked, hash-checked versions first (a layer that survives code changes), then newsbot.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --no-deps . && rm -rf bot

COPY config ./config
RUN mkdir -p /app/data && chown 10001:10001 /app/data

USER 10001:10001
VOLUME ["/app/data"]

# `newsbot run` touches data/heartbeat every 30 s; `newsbot health` fails when it is stale.
HEALTHCHECK --interval=60s --timeout=10s --start-period=90s --retries=3 CMD ["newsbot", "health"]

CMD ["newsbot", "run"]
