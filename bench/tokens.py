"""Access-token fetches per token lifetime with two replicas on one database.

Two `python app.py` processes share the database; a burst of slash commands, split between them, makes each
ask WeChat for versions (three calls per command, each needing the access token). Then the fake WeChat expires
every token it issued (as WeChat does at the end of a token's life: calls answer 42001) and a second burst
follows. The target is one fetch per lifetime, whatever the number of replicas.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bench.botprocess import bots
from bench.report import Figure, Section
from bench.rig import Database, burst, fakes, wait_until
from bench.steps import CHANNEL, pickers_answered
from bot.store.database import make_engine, session_factory
from bot.store.token_store import TokenStore
from tests.fakes.wechat import STABLE_TOKEN

REPLICAS = 2


@dataclass(frozen=True)
class Phase:
    fetches: int  # stable_token calls WeChat received during the phase
    requests: int  # slash commands answered, split between the replicas
    replicas_used: int  # replicas that logged serving a share of the commands
    tokens_presented: int  # distinct access tokens WeChat saw (after expiry: the expired one, then the new one)


@dataclass(frozen=True)
class TokenResult:
    database: str
    first: Phase
    after_expiry: Phase
    valid_tokens: int  # tokens the fake still accepts at the end
    recorded_fetches: int  # the bot's own count, in the shared database


def measure(db: Database, *, requests: int = 20) -> TokenResult:
    with fakes() as found, bots(found, db, count=REPLICAS) as replicas:
        senders = [bot.sender(found.slack) for bot in replicas]

        def phase() -> Phase:
            calls_before = len(found.wechat.calls)
            marks = [bot.mark() for bot in replicas]
            prepared = [
                senders[n % REPLICAS].prepare(partial(senders[n % REPLICAS].command, "", f"UTOKEN{n:02d}", CHANNEL))
                for n in range(requests)
            ]
            timings = burst(requests, lambda n: senders[n % REPLICAS].send(prepared[n]))
            if any(timing.status != 200 for timing in timings):
                raise RuntimeError(f"commands answered {[timing.status for timing in timings]}")
            urls = [p.response_url for p in prepared]
            wait_until(lambda: pickers_answered(found.slack, urls), 120, "every command's picker")
            calls = found.wechat.calls[calls_before:]
            return Phase(
                fetches=sum(1 for call in calls if call.path == STABLE_TOKEN),
                requests=requests,
                replicas_used=sum(1 for bot, mark in zip(replicas, marks, strict=True) if bot.access_ms(mark)),
                tokens_presented=len({call.query["access_token"] for call in calls if "access_token" in call.query}),
            )

        first = phase()
        found.wechat.expire_tokens()
        after = phase()
        engine = make_engine(db.url)
        try:
            recorded = TokenStore(session_factory(engine)).fetch_count(f"stable:{found.wechat.appid}")
        finally:
            engine.dispose()
        return TokenResult(db.label, first, after, len(found.wechat.valid_tokens), recorded)


def section(result: TokenResult) -> Section:
    total = result.first.fetches + result.after_expiry.fetches
    return Section(
        f"Access tokens: {REPLICAS} replicas on one database",
        [
            Figure(
                "token fetches, first lifetime",
                f"{result.first.fetches} (over {result.first.requests} commands, served by "
                f"{result.first.replicas_used} of {REPLICAS} replicas)",
                "1",
                result.first.fetches == 1,
            ),
            Figure(
                "token fetches after the token expired",
                f"{result.after_expiry.fetches} (over {result.after_expiry.requests} more commands, served by "
                f"{result.after_expiry.replicas_used}; tokens presented {result.after_expiry.tokens_presented})",
                "1",
                result.after_expiry.fetches == 1,
            ),
            Figure(
                "fetches the bot recorded / tokens valid at the end",
                f"{result.recorded_fetches} / {result.valid_tokens}",
                f"{total} / 1",
                result.recorded_fetches == total and result.valid_tokens == 1,
            ),
        ],
        [
            f"database: {result.database}; each burst: all commands at once, alternating between the replicas, "
            "each answered with a version list (3 WeChat calls)",
            "fetches: POST /cgi-bin/stable_token calls the fake WeChat received; expiry: FakeWeChat.expire_tokens(), "
            "after which every call with the old token is answered 42001",
        ],
    )
