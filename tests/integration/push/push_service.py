"""A local stand-in for a browser push service (RFC 8030), speaking the real wire protocol.

It holds the devices a test made (an EC P-256 key pair and a 16-byte auth secret each, as a browser
does), accepts POSTs on their endpoints, checks the VAPID ``Authorization`` header (RFC 8292: scheme,
JWT signature against the key in ``k``, audience, expiry, subject), decrypts the body with ``http_ece``
(RFC 8291, aes128gcm) and records the plaintext. A test can make an endpoint answer 404 or 410 (the
subscription is gone) or 500 (the service is in trouble).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ("Device", "PushService", "Received")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """What a browser keeps for one push subscription."""

    service: PushService
    name: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def path(self) -> str:
        return f"/wpush/{self.token}"

    @property
    def endpoint(self) -> str:
        return self.service.url + self.path

    def subscription(self) -> dict[str, Any]:
        """As ``PushSubscription.toJSON()`` gives it."""
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": _b64url(point), "auth": _b64url(self.auth)}}


@dataclass
class Received:
    device: str
    status: int
    payload: dict[str, Any] | None
    vapid_key: str | None
    claims: dict[str, Any] | None
    headers: dict[str, str]  # names lower-cased
    problems: list[str]


class PushService:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.answers: dict[str, int] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                service._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="push-service", daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def device(self, name: str) -> Device:
        device = Device(self, name)
        self.devices[device.path] = device
        return device

    def answer(self, device: Device, status: int) -> None:
        """Make ``device``'s endpoint answer ``status`` from now on (404/410: gone; 500: trouble)."""
        self.answers[device.path] = status

    def for_device(self, device: Device) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.device == device.name]

    def wait_for(self, device: Device, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.for_device(device)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{device.name} received {len(self.for_device(device))} pushes, expected {count}")

    # -- the protocol -------------------------------------------------------------------------------------

    def _check_vapid(self, header: str | None, problems: list[str]) -> tuple[str | None, dict[str, Any] | None]:
        from py_vapid import Vapid02

        if not header or not header.startswith("vapid "):
            problems.append(f"Authorization is not 'vapid t=...,k=...': {header!r}")
            return None, None
        parts = dict(p.split("=", 1) for p in header[len("vapid "):].split(",") if "=" in p)
        if "t" not in parts or "k" not in parts:
            problems.append("Authorization lacks t= or k=")
            return None, None
        try:
            if not Vapid02.verify(header):
                problems.append("the VAPID JWT signature does not match k")
        except Exception as exc:
            problems.append(f"the VAPID JWT does not verify: {exc}")
        claims = json.loads(_b64url_decode(parts["t"].split(".")[1]))
        if claims.get("aud") != self.url:
            problems.append(f"JWT aud {claims.get('aud')!r} is not {self.url!r}")
        if not int(claims.get("exp", 0)) > time.time():
            problems.append("JWT expired")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            problems.append("JWT sub is not a mailto: or https: URL")
        return parts["k"], claims

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        device = self.devices.get(request.path)
        if device is None:
            request.send_response(404)
            request.end_headers()
            return
        problems: list[str] = []
        key, claims = self._check_vapid(request.headers.get("Authorization"), problems)
        if request.headers.get("Content-Encoding") != "aes128gcm":
            problems.append(f"Content-Encoding is {request.headers.get('Content-Encoding')!r}")
        if request.headers.get("TTL") is None:
            problems.append("no TTL header")
        payload = None
        try:
            plain = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth, version="aes128gcm")
            payload = json.loads(plain)
        except Exception as exc:
            problems.append(f"cannot decrypt: {exc!r}")
        status = self.answers.get(device.path, 201)
        with self._lock:
            self.received.append(Received(device=device.name, status=status, payload=payload, vapid_key=key,
                                          claims=claims, headers={k.lower(): v for k, v in request.headers.items()},
                                          problems=problems))
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()
