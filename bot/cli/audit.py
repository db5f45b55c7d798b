"""`audit export` and `audit verify`: the tamper-evident audit log, read from the database."""

from __future__ import annotations

import argparse
import sys

from bot.cli.audit_problems import problem_words
from bot.cli.database import appid_of, database_url, open_database
from bot.cli.failure import Failure
from bot.i18n import _, ngettext
from bot.store import audit_check, export


def audit_export(args: argparse.Namespace) -> int:
    engine = open_database(database_url(args))
    try:
        records = export.export_records(engine, since=args.since, appid=appid_of(args.app))
    finally:
        engine.dispose()
    text = export.render(records, args.format)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as error:
        raise Failure(
            _("cannot write {file}: {error}").format(file=args.output, error=error.strerror or error)
        ) from None
    exported = ngettext("exported {count} event to {file}", "exported {count} events to {file}", len(records))
    print(exported.format(count=len(records), file=args.output))
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    engine = open_database(database_url(args))
    try:
        report = audit_check.verify(engine, expect_head=args.expect_head)
    finally:
        engine.dispose()
    if report.problem is not None:
        broken = ngettext(
            "audit log BROKEN after {entries} intact entry: {problem}",
            "audit log BROKEN after {entries} intact entries: {problem}",
            report.entries,
        )
        print(broken.format(entries=report.entries, problem=problem_words(report.problem)))
        return 1
    entries = ngettext("{count} entry", "{count} entries", report.entries).format(count=report.entries)
    requests = ngettext(
        "{count} request matches its events", "{count} requests match their events", report.requests
    ).format(count=report.requests)
    if report.unchecked:
        intact = ngettext(
            "audit log intact: {entries}, {requests}; {unchecked} older request has no recorded state to check",
            "audit log intact: {entries}, {requests}; {unchecked} older requests have no recorded state to check",
            report.unchecked,
        )
    else:
        intact = _("audit log intact: {entries}, {requests}")
    print(intact.format(entries=entries, requests=requests, unchecked=report.unchecked))
    print(_("head {head}").format(head=report.head))
    return 0
