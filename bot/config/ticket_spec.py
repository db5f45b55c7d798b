"""Where the component_verify_ticket is read from: `env:NAME`, `file:/path` or `sql:SELECT …`, checked once here
for both the settings (at start-up) and the reader (bot/wechat/tokens/tickets.py), so the two cannot disagree.

A `sql:` query must be exactly one SELECT statement (a `WITH … SELECT` included), as sqlparse splits and types
it, with no `;` anywhere but at its end: `SELECT 'x'; COMMIT; DELETE FROM rollback_events` is refused, and so is
`SELECT '\', 'x'; COMMIT; …`, which sqlparse reads as one string but PostgreSQL as three statements. The reader
also runs it in a read-only transaction, so a data-modifying `WITH` that passes this check still cannot write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import sqlparse

from bot.i18n import _

SPEC_FORMS = "env:NAME, file:/path or sql:SELECT …"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class TicketSpec:
    kind: Literal["env", "file", "sql"]
    where: str  # the variable's name, the file's path, or the one SELECT statement (without a final `;`)


def parse_ticket_spec(spec: str) -> TicketSpec:
    """The spec's parts, or ValueError saying what is wrong (never echoing the spec: a ticket pasted there by
    mistake must not end up in a start-up error)."""
    kind, separator, where = spec.partition(":")
    kind = kind.strip().lower()
    where = where.strip()
    if not separator or kind not in ("env", "file", "sql"):
        raise ValueError(_("the component_verify_ticket source must be one of {forms}").format(forms=SPEC_FORMS))
    if kind == "env":
        if not _ENV_NAME.fullmatch(where):
            raise ValueError(_("the component_verify_ticket source env:NAME needs a valid environment variable name"))
        return TicketSpec("env", where)
    if kind == "file":
        if not where:
            raise ValueError(_("the component_verify_ticket source file:/path needs a file path"))
        return TicketSpec("file", where)
    return TicketSpec("sql", _one_select(where))


def _one_select(query: str) -> str:
    statements = [statement for statement in sqlparse.parse(query) if str(statement).strip(" \t\r\n;")]
    if not statements or statements[0].get_type() != "SELECT":  # type: ignore[no-untyped-call]
        raise ValueError(_("the component_verify_ticket source sql:… needs a SELECT query"))
    one = str(statements[0]).strip().rstrip(";").strip()
    # No `;` at all, even where sqlparse sees a string: databases disagree on quoting (PostgreSQL reads '\' as a
    # complete string, sqlparse as an escaped quote), and a `;` is what would let a second statement through.
    if len(statements) > 1 or ";" in one:
        raise ValueError(_("the component_verify_ticket source sql:… must be one SELECT statement, without `;` in it"))
    return one
