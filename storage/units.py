"""Units' names as people use them (aliases) and the office's imported list of units.

Until the office imports a list, config.toml's [[units]] is the list (``sync_units`` at every
start). After an import the database is the list: the setting ``units_source`` = "import"
makes ``sync_units`` leave the units alone, and the next import replaces the list again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parsers.unit_sheet import name_key
from storage.clock import utc_iso

UNITS_SOURCE = "units_source"  # setting: "import" once the office has imported a list


@dataclass(frozen=True)
class UnitWrite:
    """One unit as an import leaves it."""

    id: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitImport:
    """Everything one import writes, in one transaction."""

    new: tuple[UnitWrite, ...]
    changed: tuple[UnitWrite, ...]
    unchanged: tuple[UnitWrite, ...]
    removed: tuple[str, ...]  # unit ids made inactive
    codes: dict[str, str] = field(default_factory=dict)  # new unit id -> its first invite code
    expires_at: datetime | None = None
    max_uses: int | None = None


class UnitStore:
    """Aliases, settings and the units import (mixed into ``storage.store.Store``)."""

    def setting(self, key: str) -> str | None:
        row = self._row("select value from settings where key = ?", [key])
        return row["value"] if row else None

    def units_imported(self) -> bool:
        return self.setting(UNITS_SOURCE) == "import"

    def naming_units(self, include_inactive: bool = False) -> list[dict[str, Any]]:
        """Units with their aliases (a list), for matching what people type."""
        where = "" if include_inactive else "where u.active = 1"
        rows = self._rows(f"""select u.id, u.name, u.category, u.active, u.contacts,
                                     group_concat(a.alias, char(31)) as aliases
                              from units u left join unit_aliases a on a.unit_id = u.id
                              {where} group by u.id order by u.rowid""")
        for row in rows:
            row["aliases"] = row["aliases"].split("\x1f") if row["aliases"] else []
        return rows

    def set_config_aliases(self, db: Any, aliases: dict[str, Iterable[str]]) -> None:
        """Inside ``sync_units``: the aliases config gives its units."""
        for unit_id, names in aliases.items():
            db.execute("delete from unit_aliases where unit_id = ?", [unit_id])
            self._insert_aliases(db, unit_id, names)

    @staticmethod
    def _insert_aliases(db: Any, unit_id: str, names: Iterable[str]) -> None:
        db["unit_aliases"].insert_all(
            ({"key": name_key(name), "unit_id": unit_id, "alias": name} for name in names),
            replace=True)

    def import_units(self, plan: UnitImport, actor: object, at: datetime) -> None:
        """Write an import: new units (with their invite codes), changes, removals, every
        unit's aliases; all or nothing. From now on the database is the list of units."""
        now = utc_iso(at)
        with self.transaction() as db:
            db["units"].insert_all(
                ({"id": u.id, "name": u.name, "category": u.category, "invite_code": plan.codes[u.id],
                  "active": 1, "source": "import", "contacts": "、".join(u.contacts) or None}
                 for u in plan.new), batch_size=500)
            for u in plan.changed + plan.unchanged:
                db.execute("update units set name = ?, category = ?, active = 1, contacts = ? where id = ?",
                           [u.name, u.category, "、".join(u.contacts) or None, u.id])
            for unit_id in plan.removed:
                db.execute("update units set active = 0 where id = ?", [unit_id])
            listed = [u.id for u in plan.new + plan.changed + plan.unchanged]
            db.execute("delete from unit_aliases")
            db["unit_aliases"].insert_all(
                ({"key": name_key(name), "unit_id": u.id, "alias": name}
                 for u in plan.new + plan.changed + plan.unchanged for name in u.aliases), batch_size=1000)
            db["invites"].insert_all(
                ({"code": code, "unit_id": unit_id, "source": "import", "created_at": now,
                  "created_by": str(actor), "uses": 0, "max_uses": plan.max_uses,
                  "expires_at": utc_iso(plan.expires_at) if plan.expires_at else None}
                 for unit_id, code in plan.codes.items()), batch_size=1000)
            db["settings"].insert({"key": UNITS_SOURCE, "value": "import"}, replace=True)
            self._audit(db, actor, "import_units", None, {
                "new": len(plan.new), "changed": [u.id for u in plan.changed],
                "removed": list(plan.removed), "listed": len(listed)})

    def invite_codes(self) -> set[str]:
        """Every invite code ever issued (upper case) and every unit's own code."""
        rows = self._rows("select upper(code) as code from invites union select upper(invite_code) from units")
        return {row["code"] for row in rows}

    def working_codes(self) -> dict[str, list[dict[str, Any]]]:
        """Every active unit's invite codes that still bind (not revoked), newest first."""
        result: dict[str, list[dict[str, Any]]] = {}
        for row in self._rows("""select i.* from invites i join units u on u.id = i.unit_id
                                 where u.active = 1 and i.revoked_at is null
                                 order by i.created_at desc, i.code"""):
            result.setdefault(row["unit_id"], []).append(row)
        return result
