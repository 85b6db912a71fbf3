# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv jifen && mkdir -p /srv/data && chown jifen /srv/data
WORKDIR /srv
COPY --from=build /venv /venv
# `jifen serve` runs the migrations from the working directory before it serves.
COPY migrations ./migrations
ENV PATH=/venv/bin:$PATH JIFEN_HOST=0.0.0.0 JIFEN_PORT=8000 \
    JIFEN_DATABASE_URL=sqlite:////srv/data/jifen.db
VOLUME ["/srv/data"]
USER jifen
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["jifen", "serve"]
