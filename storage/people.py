"""People and their invite codes: who is a liaison of which unit, how they came to be one,
and the codes that let someone bind (revocable, limited in uses, expiring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import parse_utc, utc_iso
from storage.results import queue_message

# Why a code does not bind (``Redeemed.refusal``).
UNKNOWN, REVOKED, EXPIRED, USED_UP = "unknown", "revoked", "expired", "used_up"
BINDING_NOTICE = "binding"  # the ledger kind telling a unit's liaisons who joined or left


@dataclass(frozen=True)
class Redeemed:
    """What a code did: the unit bound to (and the one left), or why it did not."""

    unit: dict | None = None
    previous_unit_id: str | None = None
    refusal: str | None = None  # UNKNOWN, REVOKED, EXPIRED or USED_UP
    newly_bound: bool = False  # False when the person was already this unit's liaison


class PeopleStore:
    """Liaisons and invite codes (mixed into ``storage.store.Store``)."""

    # ---- invite codes ------------------------------------------------------------------

    def sync_config_codes(self, db: Any, codes: dict[str, str], now: str) -> None:
        """Inside ``sync_units``: each unit's code from config is an invite (a code that left
        config stops working; one the office revoked stays revoked)."""
        for unit_id, code in codes.items():
            row = next(iter(db.query("select * from invites where upper(code) = upper(?)", [code])), None)
            if row is None:
                db["invites"].insert({"code": code, "unit_id": unit_id, "source": "config",
                                      "created_at": now, "uses": 0})
            elif row["unit_id"] != unit_id:  # config gave the code to another unit
                db["invites"].update(row["code"], {"unit_id": unit_id, "source": "config", "uses": 0,
                                                   "revoked_at": None, "revoked_by": None})
        for row in list(db.query("select * from invites where source = 'config' and revoked_at is null")):
            if codes.get(row["unit_id"], "").upper() != row["code"].upper():
                db["invites"].update(row["code"], {"revoked_at": now, "revoked_by": "config"})

    def invites(self, unit_id: str) -> list[dict[str, Any]]:
        """The unit's invite codes, newest first (revoked ones included)."""
        return self._rows("select * from invites where unit_id = ? order by created_at desc, code",
                          [unit_id])

    def issue_invite(self, unit_id: str, code: str, actor: object, at: datetime,
                     expires_at: datetime | None, max_uses: int | None, rotate: bool) -> dict[str, Any]:
        """A new code for the unit (``rotate``: the unit's working codes are revoked with it)."""
        now = utc_iso(at)
        with self.transaction() as db:
            revoked = []
            if rotate:
                revoked = [r["code"] for r in db.query(
                    "select code from invites where unit_id = ? and revoked_at is null", [unit_id])]
                db.execute("update invites set revoked_at = ?, revoked_by = ? "
                           "where unit_id = ? and revoked_at is null", [now, str(actor), unit_id])
            db["invites"].insert({"code": code, "unit_id": unit_id, "source": "office", "created_at": now,
                                  "created_by": str(actor), "uses": 0, "max_uses": max_uses,
                                  "expires_at": utc_iso(expires_at) if expires_at else None})
            self._audit(db, actor, "invite_issue", unit_id, {
                "code": code, "max_uses": max_uses, "expires_at": utc_iso(expires_at) if expires_at else None,
                "revoked": revoked})
        return self._row("select * from invites where code = ?", [code])

    def revoke_invite(self, code: str, actor: object, at: datetime) -> dict[str, Any] | None:
        """Revoke one code; returns it (None when there is no such code)."""
        with self.transaction() as db:
            row = next(iter(db.query("select * from invites where upper(code) = upper(?)", [code.strip()])), None)
            if row is None:
                return None
            if row["revoked_at"] is None:
                db["invites"].update(row["code"], {"revoked_at": utc_iso(at), "revoked_by": str(actor)})
                self._audit(db, actor, "invite_revoke", row["unit_id"], {"code": row["code"]})
        return self._row("select * from invites where code = ?", [row["code"]])

    def bind_with_invite(self, telegram_id: int, name: str, username: str | None, code: str,
                         at: datetime, config_codes: bool,
                         notice: Callable[[dict], str] | None = None) -> Redeemed:
        """Bind a person with an invite code, all or nothing: the code's use counted, the
        binding audited, the unit's other liaisons told (``notice(unit)``, through the
        ledger). A revoked, expired or used-up code binds nobody."""
        now = utc_iso(at)
        with self.transaction() as db:
            row = next(iter(db.query(
                "select i.* from invites i join units u on u.id = i.unit_id "
                "where upper(i.code) = upper(?) and u.active = 1", [code.strip()])), None)
            if row is None or (row["source"] == "config" and not config_codes):
                return Redeemed(refusal=UNKNOWN)
            unit = next(iter(db.query("select * from units where id = ?", [row["unit_id"]])))
            old = next(iter(db.query("select * from people where telegram_id = ?", [telegram_id])), None)
            already = old is not None and old["unit_id"] == unit["id"]
            if row["revoked_at"]:
                return Redeemed(unit=unit, refusal=REVOKED)
            if row["expires_at"] and parse_utc(row["expires_at"]) <= at:
                return Redeemed(unit=unit, refusal=EXPIRED)
            if not already and row["max_uses"] and row["uses"] >= row["max_uses"]:
                return Redeemed(unit=unit, refusal=USED_UP)
            others = [r["telegram_id"] for r in db.query(
                "select telegram_id from people where unit_id = ? and telegram_id != ?",
                [unit["id"], telegram_id])]
            db["people"].upsert({"telegram_id": telegram_id, "name": name, "username": username,
                                 "unit_id": unit["id"], "role": "liaison",
                                 "bound_at": old["bound_at"] if already else now}, pk="telegram_id")
            if already:
                return Redeemed(unit=unit)
            db.execute("update invites set uses = uses + 1 where code = ?", [row["code"]])
            self._audit(db, telegram_id, "bind", unit["id"], {
                "name": name, "username": username, "code": row["code"],
                "previous_unit": old["unit_id"] if old else None})
            if others and notice is not None:
                queue_message(db, BINDING_NOTICE, unit["id"], telegram_id, unit["name"], notice(unit), others,
                       now, report=False, key=f"{BINDING_NOTICE}:{unit['id']}:{telegram_id}:{now}")
        return Redeemed(unit=unit, previous_unit_id=old["unit_id"] if old else None, newly_bound=True)

    def remove_liaison(self, telegram_id: int, actor: object, at: datetime,
                       notices: Callable[[dict, dict], tuple[str, str]] | None = None) -> dict[str, Any] | None:
        """The office removes a liaison: the binding is deleted and audited, the person and the
        unit's other liaisons told (``notices(unit, person)`` → (to the person, to the others)).
        Returns the person's row as it was (None when they were no liaison)."""
        now = utc_iso(at)
        with self.transaction() as db:
            person = next(iter(db.query("select * from people where telegram_id = ?", [telegram_id])), None)
            if person is None:
                return None
            unit = next(iter(db.query("select * from units where id = ?", [person["unit_id"]])))
            db.execute("delete from people where telegram_id = ?", [telegram_id])
            self._audit(db, actor, "unbind", unit["id"], {"telegram_id": telegram_id, "name": person["name"]})
            if notices is not None:
                to_person, to_others = notices(unit, person)
                key = f"{BINDING_NOTICE}:{unit['id']}:{telegram_id}:{now}:removed"
                queue_message(db, BINDING_NOTICE, unit["id"], actor, unit["name"], to_person, [telegram_id],
                       now, report=False, key=key + ":person")
                others = [r["telegram_id"] for r in db.query(
                    "select telegram_id from people where unit_id = ?", [unit["id"]])]
                if others:
                    queue_message(db, BINDING_NOTICE, unit["id"], actor, unit["name"], to_others, others,
                           now, report=False, key=key)
        return person
