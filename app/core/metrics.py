"""Prometheus metrics (SPEC §8), correct with several worker processes.

`jifen serve` points PROMETHEUS_MULTIPROC_DIR at an emptied folder before anything imports
prometheus_client (see `app.cli`): each worker then writes its samples there and a scrape of any
worker sums them all. Labels are bounded: route templates (never raw paths), status classes,
jurisdiction codes and policy versions; never holder ids, ID numbers or names.
"""

import os
import platform

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "jifen_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "jifen_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SCORES = Counter(
    "jifen_scores_computed",
    "Scores computed (score reads, simulations, assessments), by jurisdiction and policy version.",
    ["jurisdiction", "policy_version"],
)
SCORE_SECONDS = Histogram(
    "jifen_score_duration_seconds",
    "Time to compute one score, by jurisdiction and policy version.",
    ["jurisdiction", "policy_version"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
DATABASE_ERRORS = Counter(
    "jifen_database_errors",
    "Requests that failed because the database could not be reached or answered an error.",
)
BUILD_INFO = Gauge(
    "jifen_build_info",
    "Always 1: the running version of jifen and of Python.",
    ["version", "python"],
    multiprocess_mode="max",
)


def record_build_info(version: str) -> None:
    BUILD_INFO.labels(version=version, python=platform.python_version()).set(1)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def exposition() -> tuple[bytes, str]:
    """The text every scrape gets: all workers' samples summed in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
