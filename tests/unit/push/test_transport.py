"""The push transport against a local push service: what each answer of a push service means."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.notify.push import PushMessage, PushTransport, TransportError, VapidKeys
from tests.integration.push.push_service import Device, PushService

MESSAGE = PushMessage(title="Rota changed", body="You are on Night call on Tue 3 Mar at 19:00.", url="/rota/mine")


@pytest.fixture
def service() -> Iterator[PushService]:
    with PushService() as s:
        yield s


@pytest.fixture
def transport() -> PushTransport:
    return PushTransport(VapidKeys(ec.generate_private_key(ec.SECP256R1()), "mailto:ops@clinic.example"),
                         timeout=3)


def send(transport: PushTransport, device: Device) -> None:
    keys = device.subscription()["keys"]
    transport.notify(endpoint=device.endpoint, p256dh=keys["p256dh"], auth=keys["auth"], message=MESSAGE, ttl=60)


def test_it_delivers_an_encrypted_signed_message(service: PushService, transport: PushTransport) -> None:
    device = service.device("phone")
    send(transport, device)
    [got] = service.for_device(device)
    assert got.problems == []
    assert got.payload == {"title": MESSAGE.title, "body": MESSAGE.body, "url": MESSAGE.url}
    assert got.vapid_key == transport.keys.public_key
    assert got.claims["sub"] == "mailto:ops@clinic.example"  # type: ignore[index]
    assert got.headers["ttl"] == "60" and got.headers["urgency"] == "normal"


@pytest.mark.parametrize(("status", "gone", "permanent"), [
    (410, True, True), (404, True, True), (413, False, True), (403, False, True),
    (429, False, False), (500, False, False), (503, False, False),
])
def test_it_tells_gone_permanent_and_passing_trouble_apart(service: PushService, transport: PushTransport,
                                                          status: int, gone: bool, permanent: bool) -> None:
    device = service.device("phone")
    service.answer(device, status)
    with pytest.raises(TransportError) as caught:
        send(transport, device)
    assert (caught.value.status, caught.value.gone, caught.value.permanent) == (status, gone, permanent)


def test_it_treats_an_unreachable_push_service_as_passing_trouble(service: PushService,
                                                                  transport: PushTransport) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    device = service.device("phone")
    keys = device.subscription()["keys"]
    with pytest.raises(TransportError) as caught:
        transport.notify(endpoint=f"http://127.0.0.1:{port}/nobody", p256dh=keys["p256dh"], auth=keys["auth"],
                         message=MESSAGE, ttl=60)
    assert not caught.value.permanent and not caught.value.gone
