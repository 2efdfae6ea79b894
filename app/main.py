"""The Litestar application."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.memory import MemoryStore
from litestar.template import TemplateConfig

from app import live
from app.auth import AuthMiddleware
from app.config import get_settings
from app.db import get_database, init_database
from app.errors import exception_handlers
from app.routes import route_handlers
from app.routes._common import provide_db
from app.security_headers import SecurityHeadersMiddleware
from app.templating import environment

__all__ = ("create_app",)

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("rounds")


def create_app() -> Litestar:
    settings = get_settings()
    init_database(settings)

    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from litestar.stores.redis import RedisStore
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        backend: Any = RedisChannelsPubSubBackend(redis=redis)
        stores: dict[str, Any] = {"rate_limit": RedisStore(redis, namespace="rounds_rate_limit")}
    else:
        backend = MemoryChannelsBackend()
        stores = {"rate_limit": MemoryStore()}
    channels = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True, subscriber_max_backlog=200,
                              subscriber_backlog_strategy="dropleft")

    worker_handle: dict[str, Any] = {}

    async def on_startup(app: Litestar) -> None:
        live.set_channels(channels)
        # Everything loaded so far lives as long as the process: keep it out of the cyclic GC's scans,
        # and collect young objects less often (a month view allocates tens of thousands). Measured in
        # benchmarks/: it trims the month view's p95.
        gc.freeze()
        gc.set_threshold(20_000, 20, 50)
        if settings.in_process_worker:
            from workers.runner import start_embedded_worker

            worker_handle["worker"] = start_embedded_worker()

    async def on_shutdown(app: Litestar) -> None:
        if worker := worker_handle.pop("worker", None):
            worker.stop()
        live.set_channels(None)
        await get_database().dispose()

    return Litestar(
        route_handlers=[*route_handlers(), create_static_files_router(path="/static", directories=[STATIC_DIR],
                                                                      include_in_schema=False)],
        plugins=[channels, HTMXPlugin()],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment())),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            # Bearer-key API calls carry no cookie and so cannot be forged cross-site.
            exclude=["^/api/"],
        ),
        middleware=[
            SecurityHeadersMiddleware,
            DefineMiddleware(AuthMiddleware),
        ],
        stores=stores,
        dependencies={"db": Provide(provide_db)},
        exception_handlers=exception_handlers(),
        openapi_config=OpenAPIConfig(
            title="Rounds API",
            version="1.0.0",
            path="/api/docs",
            components=Components(
                security_schemes={"apiKey": SecurityScheme(type="http", scheme="bearer",
                                                           description="An API key created by an owner")}
            ),
            security=[{"apiKey": []}],
        ),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        debug=False,
    )
