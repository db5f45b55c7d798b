"""`python -m bench [--quick] [--sqlite] [--only ack,approve,storm,tokens,startup] [--latency S] [--markdown FILE]`:
measure, then print the table."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench import ack, approve, startup, storm, tokens
from bench.loadgen import load_generator
from bench.report import Section, markdown, render
from bench.rig import Database, database, machine_line, postgres_version

BENCHMARKS = ("ack", "approve", "storm", "tokens", "startup")


@dataclass(frozen=True)
class Sizes:
    ack_rounds: int
    clients: int
    latency: float
    approve_rounds: int
    storm_rounds: int
    token_requests: int
    startup_runs: int


FULL = Sizes(ack_rounds=3, clients=50, latency=2.5, approve_rounds=3, storm_rounds=3, token_requests=20, startup_runs=5)
QUICK = Sizes(ack_rounds=1, clients=50, latency=2.5, approve_rounds=1, storm_rounds=1, token_requests=8, startup_runs=2)


def run_one(name: str, db: Database, sizes: Sizes) -> Section:
    if name == "ack":
        runs = ack.measure(db, rounds=sizes.ack_rounds, clients=sizes.clients, latency=sizes.latency)
        return ack.section(runs, rounds=sizes.ack_rounds, clients=sizes.clients, latency=sizes.latency)
    if name == "approve":
        path = approve.measure(db, rounds=sizes.approve_rounds, latency=sizes.latency)
        return approve.section(path, latency=sizes.latency)
    if name == "storm":
        clicked = storm.measure(db, rounds=sizes.storm_rounds, clients=sizes.clients, latency=sizes.latency)
        return storm.section(clicked, latency=sizes.latency)
    if name == "tokens":
        return tokens.section(tokens.measure(db, requests=sizes.token_requests))
    if name == "startup":
        return startup.section(startup.measure(db, runs=sizes.startup_runs))
    raise ValueError(f"no benchmark {name!r}")


def main(argv: Sequence[str] | None = None, log: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round of each (a fast check), not three")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file even if PostgreSQL answers")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--latency", type=float, help="seconds every slow WeChat answer waits (default 2.5)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file as Markdown")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}: choose from {', '.join(BENCHMARKS)}")
    if args.latency is not None and args.latency <= 0:
        parser.error("--latency must be above 0")
    sizes = QUICK if args.quick else FULL
    if args.latency is not None:
        sizes = replace(sizes, latency=args.latency)
    version = None if args.sqlite else postgres_version()
    label = f"PostgreSQL {version}" if version else "SQLite"
    machine = machine_line(label)  # the load average before the benchmark adds its own
    sections = []
    try:
        for name in chosen:
            started = time.monotonic()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            with database(prefer_postgres=not args.sqlite) as db:  # a fresh database for each benchmark
                sections.append(run_one(name, db, sizes))
            print(f"[bench] {name} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    finally:
        load_generator().close()
    command = "python -m bench" + (" --quick" if args.quick else "") + (" --sqlite" if args.sqlite else "")
    if args.only != ",".join(BENCHMARKS):
        command += f" --only {','.join(chosen)}"
    if args.latency is not None:
        command += f" --latency {args.latency:g}"
    log(render(sections, machine, command))
    if args.markdown is not None:
        args.markdown.write_text(markdown(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
