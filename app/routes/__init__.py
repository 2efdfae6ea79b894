"""Litestar controllers, one module per area."""

from __future__ import annotations

from typing import Any

from app.routes.accounts import AccountController
from app.routes.api import ApiV1Controller
from app.routes.api_rota import GenerateApiController, RotaApiController
from app.routes.audit import AuditController
from app.routes.equity import EquityController
from app.routes.feeds import FeedController
from app.routes.generate import GenerateController
from app.routes.live import LiveController
from app.routes.oncall import OnCallController
from app.routes.organizations import HomeController, InvitationController, MemberController
from app.routes.platform import PlatformController
from app.routes.push import PushController
from app.routes.pwa import PwaController
from app.routes.requests import RequestsController
from app.routes.rota import RotaController
from app.routes.rota_setup import RotaSetupController
from app.routes.rules import RulesController
from app.routes.settings import ApiKeyController

__all__ = ("route_handlers",)


def route_handlers() -> list[Any]:
    return [
        HomeController,
        AccountController,
        MemberController,
        InvitationController,
        AuditController,
        ApiKeyController,
        PlatformController,
        LiveController,
        PwaController,
        ApiV1Controller,
        RotaApiController,
        GenerateApiController,
        RotaController,
        GenerateController,
        EquityController,
        RotaSetupController,
        RulesController,
        RequestsController,
        OnCallController,
        FeedController,
        PushController,
    ]
