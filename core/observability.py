"""Metrics (Prometheus) and structured logs (JSON), shared by the web and worker processes.

Cardinality: no metric has a label per municipality. The busiest municipalities are still
visible: a bounded "heavy hitters" table (the Space-Saving algorithm) tracks the request cost
per municipality and exposes only the top few as ``usina_tenant_top_cost_points`` (the rest
summed as ``other``), so one noisy municipality shows up by name while ten thousand quiet ones
cost nothing.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter

# -- request context (read by the log formatter) ----------------------------------------

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
TENANT: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant", default=None)
PRINCIPAL: contextvars.ContextVar[str | None] = contextvars.ContextVar("principal", default=None)

# -- metrics ------------------------------------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "usina_http_requests_total", "HTTP requests.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "usina_http_request_duration_seconds",
    "HTTP request latency.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_OPERATIONS = Counter(
    "usina_graphql_operations_total",
    "GraphQL operations by type, name (bounded) and outcome.",
    ["type", "name", "outcome"],
)
GRAPHQL_LATENCY = Histogram(
    "usina_graphql_operation_duration_seconds",
    "GraphQL operation latency.",
    ["type"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter("usina_graphql_errors_total", "GraphQL errors by code.", ["code"])
RESPONSE_CACHE = Counter(
    "usina_response_cache_total",
    "Anonymous cacheable reads by outcome: hit, miss, not_modified (304).",
    ["outcome"],
)
JOBS = Counter("usina_jobs_total", "Job attempts by kind and outcome.", ["kind", "outcome"])
JOB_LATENCY = Histogram(
    "usina_job_duration_seconds",
    "Job attempt duration.",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600),
)

#: Operation names are chosen by clients: only well-formed ones, and at most this many
#: distinct ones, become label values; the rest count as "other".
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_names: set[str] = set()
_names_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "other"
    with _names_lock:
        if name in _names:
            return name
        if len(_names) < MAX_OPERATION_NAMES:
            _names.add(name)
            return name
    return "other"


class HeavyHitters(Collector):
    """The Space-Saving algorithm: at most ``capacity`` counters, whatever the number of
    municipalities; any municipality whose share exceeds 1/capacity is guaranteed a counter."""

    def __init__(self, capacity: int = 64, shown: int = 10) -> None:
        self.capacity = capacity
        self.shown = shown
        self.counts: dict[str, float] = {}
        self.total = 0.0
        self._lock = threading.Lock()

    def add(self, tenant: str, points: float) -> None:
        with self._lock:
            self.total += points
            if tenant in self.counts:
                self.counts[tenant] += points
            elif len(self.counts) < self.capacity:
                self.counts[tenant] = points
            else:  # replace the smallest; the newcomer inherits its count (an upper bound)
                smallest = min(self.counts, key=self.counts.__getitem__)
                self.counts[tenant] = self.counts.pop(smallest) + points

    def top(self) -> list[tuple[str, float]]:
        with self._lock:
            ranked = sorted(self.counts.items(), key=lambda item: -item[1])[: self.shown]
            total = self.total
        shown = sum(value for _, value in ranked)
        return [*ranked, ("other", max(total - shown, 0.0))]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "usina_tenant_top_cost_points",
            "Query cost points of the busiest municipalities since start (the rest: other).",
            labels=["tenant"],
        )
        for tenant, value in self.top():
            family.add_metric([tenant], value)
        yield family


#: The busiest municipalities by query cost (registered once, in the default registry).
TENANT_COST = HeavyHitters()
REGISTRY.register(TENANT_COST)

# -- logs ---------------------------------------------------------------------------------

_SECRETS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED-JWT]"),
    (re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [REDACTED]"),
    (
        re.compile(r"(?i)((?:access_)?token|client_secret|secret|password)=([^&\s\"']+)"),
        r"\1=[REDACTED]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class UsinaJsonFormatter(JsonFormatter):
    """One JSON object per line, with the request's id, municipality and principal; tokens,
    secrets and passwords are masked wherever they appear (a URL, a message, a traceback)."""

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record.pop("color_message", None)  # uvicorn's copy of the message, with ANSI codes
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        for key, var in (("request_id", REQUEST_ID), ("tenant", TENANT), ("principal", PRINCIPAL)):
            value = var.get()
            if value is not None and key not in log_record:
                log_record[key] = value

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's, dramatiq's) to one stderr handler."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            UsinaJsonFormatter("{asctime}{message}", style="{", rename_fields={"asctime": "time"})
        )
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
