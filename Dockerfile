# syntax=docker/dockerfile:1
# jifen: build with `docker build -t jifen .`; run and deploy as described in docs/deploy.md.
# On an intranet, point the base image at a mirror and pip at an internal index:
#   docker build --build-arg PYTHON_IMAGE=registry.intranet.example/library/python:3.11-slim \
#     --build-arg PIP_INDEX_URL=https://pypi.intranet.example/simple -t jifen .
ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtual environment holding jifen and its dependencies (wheels only, no compiler)
FROM ${PYTHON_IMAGE} AS build
# Unset unless given with --build-arg; pip reads them from the environment.
ARG PIP_INDEX_URL
ARG PIP_TRUSTED_HOST
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN /venv/bin/pip install --no-cache-dir .

# --- runtime: the venv, the migrations and nothing else
FROM ${PYTHON_IMAGE}
# A fixed uid/gid so that volumes and Kubernetes' runAsUser can name it.
RUN groupadd --system --gid 10001 jifen \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv --no-create-home \
       --shell /usr/sbin/nologin jifen \
    && mkdir -p /srv/data \
    && chown 10001:10001 /srv/data
WORKDIR /srv
COPY --from=build /venv /venv
# `jifen migrate` / `jifen serve` read the Alembic scripts from ./migrations of the working
# directory when jifen is installed as a package (app/db/migrations.py). Owned by root: read-only.
COPY migrations ./migrations
# JIFEN_DATABASE_URL defaults to a SQLite file in the one writable folder, /srv/data; set it to
# a postgresql+psycopg:// URL in production.
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JIFEN_HOST=0.0.0.0 \
    JIFEN_PORT=8000 \
    JIFEN_DATABASE_URL=sqlite:////srv/data/jifen.db
VOLUME ["/srv/data"]
USER 10001:10001
EXPOSE 8000
# Liveness only (the process answers); /readyz, which also needs the database, is for load
# balancers. No curl in the slim image: python's urllib fails (exit 1) on errors and non-2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('JIFEN_PORT', '8000'), timeout=4)"]
# uvicorn finishes in-flight requests on SIGTERM (JIFEN_SHUTDOWN_GRACE_SECONDS at most); exec
# form makes jifen the container's main process, with no shell in between to swallow it.
STOPSIGNAL SIGTERM
CMD ["jifen", "serve"]
