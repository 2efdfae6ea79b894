"""Preferences: a member wants, or would rather avoid, a date, a shift type, or a shift type on a date, with a
strength from 1 to 3. The generator weighs them (:func:`preferences_between`); they are wishes, not rules."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from app.i18n import _
from app.models import Preference
from app.services import audit
from app.services.errors import NotFound, ValidationFailed
from app.services.events import commit, emit
from app.services.permissions import can, require
from app.services.rota.request_support import member, membership_of, org_tz, today_in

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.services.actor import Actor

__all__ = ("add_preference", "delete_preference", "list_preferences", "preferences_between")

MAX_NOTE = 1000


def _day(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValidationFailed({"pref_date": _("Enter a date as YYYY-MM-DD.")}) from None


async def list_preferences(session: AsyncSession, actor: Actor, *,
                           membership_id: int | None = None) -> list[Preference]:
    """My preferences (managers: anyone's, or everyone's with ``membership_id=None`` and no membership)."""
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    target = membership_id if membership_id is not None and can(actor, "schedule.manage") else (me.id if me else None)
    if target is None:
        return []
    rows = await session.execute(
        select(Preference).where(Preference.organization_id == actor.organization_id,
                                 Preference.membership_id == target)
        .order_by(Preference.date.is_(None), Preference.date, Preference.id)
    )
    return list(rows.scalars().unique())


async def add_preference(session: AsyncSession, actor: Actor, *, kind: Any, day: Any = "", shift_type_id: Any = "",
                         strength: Any = 2, note: Any = "", membership_id: Any = None) -> Preference:
    """Want or avoid a date, a shift type, or a shift type on a date, with a strength from 1 to 3."""
    require(actor, "requests.create")
    me = await membership_of(session, actor)
    if membership_id in (None, "") or (me is not None and str(membership_id) == str(me.id)):
        if me is None:
            raise ValidationFailed({"member_id": _("Say whose preference this is.")})
        owner = await member(session, actor, me.id)
    else:
        require(actor, "schedule.manage")
        owner = await member(session, actor, membership_id)
    errors: dict[str, str] = {}
    kind_text = str(kind or "").strip()
    if kind_text not in {"want", "avoid"}:
        errors["pref_kind"] = _("Choose want or avoid.")
    when = None
    if str(day or "").strip():
        try:
            when = _day(day)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        tz = await org_tz(session, actor.organization_id)  # type: ignore[arg-type]
        if when is not None and when < today_in(tz):
            errors["pref_date"] = _("Choose today or a later date.")
    shift = None
    if str(shift_type_id or "").strip():
        from app.services.rota.setup import get_shift_type

        try:
            shift = await get_shift_type(session, actor, int(str(shift_type_id)))
        except (ValueError, NotFound):
            errors["pref_shift"] = _("Choose a shift type of this practice.")
    if when is None and shift is None and "pref_date" not in errors and "pref_shift" not in errors:
        errors["pref_date"] = _("Choose a date, a shift type, or both.")
    try:
        level = int(str(strength))
        if not 1 <= level <= 3:
            raise ValueError
    except ValueError:
        errors["strength"] = _("Choose a strength from 1 to 3.")
        level = 2
    text = str(note or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(text) > MAX_NOTE:
        errors["pref_note"] = _("Keep it under %(n)d characters.", n=MAX_NOTE)
    if not errors:
        duplicate = (await session.execute(select(func.count()).select_from(Preference).where(
            Preference.membership_id == owner.id,
            Preference.date.is_(None) if when is None else Preference.date == when,
            Preference.shift_type_id.is_(None) if shift is None else Preference.shift_type_id == shift.id,
        ))).scalar_one()
        if duplicate:
            errors["pref_date"] = _("There is already a preference for this; remove it first to change it.")
    if errors:
        raise ValidationFailed(errors)
    pref = Preference(organization_id=actor.organization_id, membership_id=owner.id, kind=kind_text, date=when,
                      shift_type_id=shift.id if shift else None, strength=level, note=text)
    session.add(pref)
    await session.flush()
    snapshot = {"member": owner.user.email, "kind": kind_text, "date": when.isoformat() if when else None,
                "shift": shift.code if shift else None, "strength": level}
    await audit.record(session, actor, "preference.added", entity_type="preference", entity_id=pref.id, after=snapshot)
    await emit(session, actor.organization_id, "requests.preference_added", entity_type="preference",
               entity_id=pref.id, payload={"user_id": owner.user_id})
    await commit(session)
    return pref


async def delete_preference(session: AsyncSession, actor: Actor, preference_id: int) -> None:
    require(actor, "requests.create")
    pref = (await session.execute(select(Preference).where(
        Preference.id == preference_id, Preference.organization_id == actor.organization_id))).scalar_one_or_none()
    me = await membership_of(session, actor)
    if pref is None or not (can(actor, "schedule.manage") or (me is not None and pref.membership_id == me.id)):
        raise NotFound(_("No such preference."))
    snapshot = {"member": pref.membership.user.email, "kind": pref.kind,
                "date": pref.date.isoformat() if pref.date else None, "strength": pref.strength}
    user_id = pref.membership.user_id
    await session.delete(pref)
    await session.flush()
    await audit.record(session, actor, "preference.removed", entity_type="preference", entity_id=preference_id,
                       before=snapshot)
    await emit(session, actor.organization_id, "requests.preference_removed", entity_type="preference",
               entity_id=preference_id, payload={"user_id": user_id})
    await commit(session)


async def preferences_between(session: AsyncSession, organization_id: int, start: date, end: date) -> list[Preference]:
    """Preferences that apply between ``start`` and ``end``: dated ones in the range and every undated one."""
    rows = await session.execute(select(Preference).where(
        Preference.organization_id == organization_id,
        or_(Preference.date.is_(None), (Preference.date >= start) & (Preference.date <= end))))
    return list(rows.scalars().unique())
