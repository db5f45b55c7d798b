"""The TCP proxy, in front of the real PostgreSQL: it forwards, holds, releases in order, refuses and restores."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import psycopg
import pytest

from tests.support import in_background
from tests.support.tcp_proxy import TcpProxy

WAIT = 30.0  # a generous bound on waiting for something the test made happen; never a measure of speed


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    with TcpProxy.in_front_of(postgres_url) as proxy:
        yield proxy


@pytest.fixture
def conninfo(proxy: TcpProxy, postgres_url: str) -> str:
    return proxy.through(postgres_url).replace("postgresql+psycopg://", "postgresql://", 1)


def connect(conninfo: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=int(WAIT))


def test_it_forwards_a_session(proxy: TcpProxy, conninfo: str, postgres_url: str) -> None:
    assert f":{proxy.port}/" in conninfo and proxy.port != 5432
    with connect(conninfo) as connection:
        assert connection.execute("SELECT current_database(), 6 * 7").fetchone() == (
            postgres_url.rsplit("/", 1)[1],
            42,
        )


def test_a_held_statement_waits_for_release(proxy: TcpProxy, conninfo: str) -> None:
    with connect(conninfo) as connection:
        proxy.hold()
        answer = in_background(lambda: connection.execute("SELECT 'answered'").fetchone())
        assert proxy.wait_held(), "the statement never reached the proxy"
        # The server cannot have answered what the proxy never passed on: no timing involved.
        assert not answer.done()
        proxy.release()
        assert answer.result(timeout=WAIT) == ("answered",)
        assert connection.execute("SELECT 1").fetchone() == (1,)  # forwarding goes on after release


def test_the_server_to_client_direction_is_held_too(proxy: TcpProxy, conninfo: str, postgres_url: str) -> None:
    direct = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with connect(conninfo) as listening, connect(direct) as notifier:
        listening.execute("LISTEN proxied")
        proxy.hold()
        notifier.execute("NOTIFY proxied, 'held'")  # the server sends it to the proxy unasked
        assert proxy.wait_held(), "the notification never reached the proxy"
        assert list(listening.notifies(timeout=0.1, stop_after=1)) == []  # held, so it cannot be here
        proxy.release()
        received = list(listening.notifies(timeout=WAIT, stop_after=1))
        assert [notice.payload for notice in received] == ["held"]


def test_release_forwards_what_was_held_in_order(proxy: TcpProxy, conninfo: str) -> None:
    with connect(conninfo) as connection:
        proxy.hold()

        def pipelined() -> list[object]:
            with connection.pipeline():
                cursors = [connection.execute("SELECT %s::int", [n]) for n in range(1, 6)]
            return [cursor.fetchone() for cursor in cursors]

        answers = in_background(pipelined)
        assert proxy.wait_held()
        proxy.release()
        # Any byte out of order would break PostgreSQL's protocol; every answer matches its query.
        assert answers.result(timeout=WAIT) == [(n,) for n in range(1, 6)]


def test_a_connection_opened_while_held_completes_on_release(proxy: TcpProxy, conninfo: str) -> None:
    proxy.hold()
    opening = in_background(lambda: connect(conninfo))
    assert proxy.wait_held(), "the connection's start-up message never reached the proxy"
    assert not opening.done()
    proxy.release()
    with opening.result(timeout=WAIT) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_refuse_ends_every_connection_at_once_until_restore(proxy: TcpProxy, conninfo: str) -> None:
    with connect(conninfo) as existing:
        proxy.refuse()
        with pytest.raises(psycopg.OperationalError):
            existing.execute("SELECT 1")
    # Reset, not stalled: connect_timeout (WAIT) would raise ConnectionTimeout instead.
    with pytest.raises(psycopg.OperationalError) as refused:
        connect(conninfo)
    assert not isinstance(refused.value, psycopg.errors.ConnectionTimeout)

    proxy.restore()
    with connect(conninfo) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_refuse_drops_what_was_held(proxy: TcpProxy, conninfo: str) -> None:
    with connect(conninfo) as connection:
        proxy.hold()
        answer = in_background(lambda: connection.execute("SELECT 1").fetchone())
        assert proxy.wait_held()
        proxy.refuse()
        with pytest.raises(psycopg.OperationalError):
            answer.result(timeout=WAIT)


def test_closing_stops_listening(postgres_url: str) -> None:
    with TcpProxy.in_front_of(postgres_url) as proxy:
        port = proxy.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
