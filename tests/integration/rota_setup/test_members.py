"""Members' rota details in setup: FTE, phone, qualifications, takes shifts; and a sign-in link for
someone who was added by name only."""

from __future__ import annotations

from sqlalchemy import select

from app.db import get_database
from app.models import EmailMessage, User
from app.services.rota import people
from tests.conftest import Browser, World
from tests.integration.rota_setup.conftest import as_actor, error_beside, signed_in
from tests.integration.tenancy import audit_entries, membership, page_text


async def test_it_lists_each_members_rota_details(client: Browser, world: World) -> None:
    await signed_in(client, world.manager)

    response = await client.get("/rota/setup/members")

    assert response.status_code == 200
    for persona in (world.owner, world.manager, world.member, world.viewer):
        assert f'id="member-{persona.membership_id}"' in response.text
        assert f'id="f-m{persona.membership_id}-fte"' in response.text
    assert "Otto Outsider" not in response.text
    for label in ("FTE", "Phone", "Qualifications", "Takes shifts"):
        assert f"{label}<" in response.text or f"> {label}<" in response.text


async def test_it_saves_fte_phone_qualifications_and_taking_shifts(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)
    mid = world.member.membership_id

    response = await client.post(f"/rota/setup/members/{mid}", {"fte": "0.5", "phone": "+49 30 1234 567",
                                                                "qualifications": "peds, ob  OB"})

    assert response.status_code == 303
    assert response.headers["location"] == "/rota/setup/members?notice=member-details-saved"
    m = await membership(mid)
    assert (m.fte, m.phone, m.qualifications, m.in_schedule) == (0.5, "+49 30 1234 567", ["OB", "PEDS"], False)
    [entry] = await audit_entries(world.alpha_id, "member.rota_details_changed")
    assert entry.after["in_schedule"] is False and entry.before["fte"] == 1.0

    await client.post(f"/rota/setup/members/{mid}", {"fte": "1", "phone": "", "qualifications": "",
                                                     "in_schedule": "1"})
    m = await membership(mid)
    assert (m.fte, m.phone, m.qualifications, m.in_schedule) == (1.0, None, [], True)


async def test_it_shows_a_bad_detail_beside_that_members_field(client: Browser, world: World) -> None:
    await signed_in(client, world.manager)
    mid = world.member.membership_id

    response = await client.post(f"/rota/setup/members/{mid}", {"fte": "2", "phone": "call me maybe",
                                                                "qualifications": "PEDS", "in_schedule": "1"})

    assert response.status_code == 422
    assert error_beside(response.text, f"f-m{mid}-fte") == "Enter a number from 0.05 to 1.5."
    assert error_beside(response.text, f"f-m{mid}-phone") == (
        "Enter a phone number with digits, spaces and + ( ) - only.")
    assert 'value="call me maybe"' in response.text  # what was typed stays, in that member's row
    assert error_beside(response.text, f"f-m{world.owner.membership_id}-fte") is None
    assert (await membership(mid)).fte == 1.0


async def test_it_sends_a_sign_in_link_to_someone_added_by_name(client: Browser, world: World) -> None:
    async with get_database().write_session() as session:
        added = await people.add_member(session, as_actor(world.owner), name="Dr. Amir Patel")
        await session.commit()
        mid = added.id
    await signed_in(client, world.owner)
    page = await client.get("/rota/setup/members")
    assert "Added by name: no sign-in yet" in page_text(page.text)
    assert f'action="/rota/setup/members/{mid}/email"' in page.text

    bad = await client.post(f"/rota/setup/members/{mid}/email", {"email": world.member.email})
    assert bad.status_code == 422
    assert error_beside(bad.text, f"f-m{mid}-email") == "member@alpha.example is already a member."

    response = await client.post(f"/rota/setup/members/{mid}/email", {"email": " Amir@Patel.example "})

    assert response.status_code == 303
    assert (await membership(mid)).user.email == "amir@patel.example"
    async with get_database().read_session() as session:
        mail = (await session.execute(select(EmailMessage).where(
            EmailMessage.to_address == "amir@patel.example"))).scalar_one()
    assert "added you to the rota of Alpha Clinic" in mail.body_text
    link = next(line for line in mail.body_text.splitlines() if "/reset-password/" in line).strip()

    # The link lets them choose a password and sign in.
    new = await client.post(link.replace("http://testserver.local", ""),
                            {"password": "a calm blue lagoon", "password_confirm": "a calm blue lagoon"})
    assert new.status_code == 303
    login = await client.post("/login", {"email": "amir@patel.example", "password": "a calm blue lagoon"})
    assert login.status_code == 303
    assert [e.action for e in await audit_entries(world.alpha_id, "member.email_added")] == ["member.email_added"]


async def test_it_gives_no_address_to_someone_who_has_one(client: Browser, world: World) -> None:
    await signed_in(client, world.owner)
    mid = world.member.membership_id

    response = await client.post(f"/rota/setup/members/{mid}/email", {"email": "new@alpha.example"})

    assert response.status_code == 422
    assert '<p class="error row-error" role="alert">Mel Member already has an address.</p>' in response.text
    async with get_database().read_session() as session:
        assert (await session.get(User, world.member.user_id)).email == "member@alpha.example"
