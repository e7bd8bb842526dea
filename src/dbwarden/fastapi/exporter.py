"""``MetricsRouter``: the Prometheus text format of a registry, dbwarden's metrics included.

    registry = CollectorRegistry()
    app.add_middleware(MetricsMiddleware, registry=registry)
    app.include_router(MetricsRouter(registry=registry), prefix="/metrics")

A scrape refreshes the database gauges only when the snapshot is older than
``refresh_interval`` (``MetricsMiddleware`` normally keeps it fresh in the background, so
a scrape never waits on a database). prometheus-client is imported here, through
``dbwarden.metrics``, and only when the router is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam
from fastapi.responses import Response

from ..errors import ConfigError
from ..probe import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["MetricsRouter"]


class MetricsRouter(APIRouter):
    """``GET`` at the router's root: the Prometheus text exposition of ``registry``
    (default: prometheus-client's global ``REGISTRY``). Mount it with a prefix."""

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        refresh_interval: float = 15.0,
        timeout: float = DEFAULT_TIMEOUT,
        dev: bool | None = None,
        tags: list[str] | None = None,
        dependencies: Sequence[DependsParam] | None = None,
    ) -> None:
        from ..metrics import get_metrics

        super().__init__(tags=list(tags or []), dependencies=dependencies)
        if refresh_interval <= 0 or timeout <= 0:
            raise ConfigError("refresh_interval and timeout must be positive")
        self.registry = registry
        self.metrics = get_metrics(registry)
        self.metrics.attach()  # count migrations run at startup, before the first scrape
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self.dev = dev
        self.add_api_route("", self._scrape, methods=["GET"], summary="Prometheus metrics")
        self.add_api_route("/", self._scrape, methods=["GET"], include_in_schema=False)

    async def _scrape(self) -> Response:
        from ..metrics import render

        await self.metrics.refresh(
            max_age=self.refresh_interval, timeout=self.timeout, dev=self.dev
        )
        body, content_type = render(self.registry)
        return Response(body, media_type=content_type)
