"""The test server's public linear WebSocket: Bybit's frames, checked on the wire and through pybit itself."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import websocket
from pybit.unified_trading import WebSocket

from perpbot.venues.bybit.testserver import BybitTestServer, decimal_text

HOUR = 3_600_000
TOPIC = "kline.60.BTCUSDT"


@pytest.fixture
def client(server: BybitTestServer) -> Iterator[websocket.WebSocket]:
    ws = websocket.create_connection(server.ws_public_url, timeout=5)
    yield ws
    ws.close()


def send(ws: websocket.WebSocket, payload: dict[str, Any]) -> None:
    ws.send(json.dumps(payload))


def receive(ws: websocket.WebSocket) -> dict[str, Any]:
    message = json.loads(ws.recv())
    assert isinstance(message, dict)
    return message


def subscribe(ws: websocket.WebSocket, server: BybitTestServer, topic: str = TOPIC) -> dict[str, Any]:
    send(ws, {"op": "subscribe", "req_id": "sub-1", "args": [topic]})
    ack = receive(ws)
    server.wait_for_subscribers(topic)
    return ack


def test_subscribe_ack_echoes_req_id(client: websocket.WebSocket, server: BybitTestServer) -> None:
    ack = subscribe(client, server)
    assert set(ack) == {"success", "ret_msg", "conn_id", "req_id", "op"}
    assert (ack["success"], ack["ret_msg"], ack["req_id"], ack["op"]) == (True, "", "sub-1", "subscribe")
    assert isinstance(ack["conn_id"], str) and ack["conn_id"]


def test_ping_gets_bybit_pong(client: websocket.WebSocket) -> None:
    send(client, {"op": "ping", "req_id": "p1"})
    pong = receive(client)
    assert (pong["success"], pong["ret_msg"], pong["req_id"], pong["op"]) == (True, "pong", "p1", "ping")
    send(client, {"op": "ping"})
    assert receive(client)["req_id"] == ""


def test_kline_push_is_shaped_as_bybit_sends_it(client: websocket.WebSocket, server: BybitTestServer,
                                                clock: Any, candles: pd.DataFrame) -> None:
    subscribe(client, server)
    row = candles.iloc[3]
    clock.now = int(row["ts"]) + 1234
    assert server.publish_candle("BTCUSDT", "60", row, confirm=False) == 1
    forming = receive(client)
    clock.now = int(row["ts"]) + HOUR + 150
    server.publish_candle("BTCUSDT", "60", row, confirm=True)
    closing = receive(client)
    assert set(forming) == {"topic", "data", "ts", "type"}
    assert (forming["topic"], forming["type"], forming["ts"]) == (TOPIC, "snapshot", int(row["ts"]) + 1234)
    (entry,) = forming["data"]
    assert entry == {
        "start": int(row["ts"]), "end": int(row["ts"]) + HOUR - 1, "interval": "60",
        "open": decimal_text(row["open"]), "close": decimal_text(row["close"]), "high": decimal_text(row["high"]),
        "low": decimal_text(row["low"]), "volume": decimal_text(row["volume"]), "turnover": entry["turnover"],
        "confirm": False, "timestamp": int(row["ts"]) + 1234,
    }
    assert isinstance(entry["turnover"], str)
    assert closing["data"][0]["confirm"] is True
    assert closing["data"][0]["timestamp"] == closing["ts"] == int(row["ts"]) + HOUR + 150


def test_copies_and_delays_reach_the_client_as_asked(client: websocket.WebSocket, server: BybitTestServer,
                                                     candles: pd.DataFrame) -> None:
    subscribe(client, server)
    server.publish_candle("BTCUSDT", "60", candles.iloc[1], delay_s=0.3)
    server.publish_candle("BTCUSDT", "60", candles.iloc[2], copies=2)
    starts = [receive(client)["data"][0]["start"] for _ in range(3)]
    assert starts == [int(candles["ts"].iloc[2])] * 2 + [int(candles["ts"].iloc[1])]


def test_unsubscribe_stops_pushes(client: websocket.WebSocket, server: BybitTestServer,
                                  candles: pd.DataFrame) -> None:
    subscribe(client, server)
    send(client, {"op": "unsubscribe", "req_id": "sub-1", "args": [TOPIC]})
    ack = receive(client)
    assert (ack["success"], ack["op"], ack["req_id"]) == (True, "unsubscribe", "sub-1")
    assert server.subscribers(TOPIC) == 0
    assert server.publish_candle("BTCUSDT", "60", candles.iloc[0]) == 0


@pytest.mark.parametrize(("topic", "message"), [
    ("kline.7.BTCUSDT", "Invalid kline type :[kline.7.BTCUSDT]"),
    ("kline.60.NOPEUSDT", "Invalid symbol :[kline.60.NOPEUSDT]"),
    ("tickers.BTCUSDT", "error:handler not found,topic:tickers.BTCUSDT"),
])
def test_refused_topics(client: websocket.WebSocket, topic: str, message: str) -> None:
    send(client, {"op": "subscribe", "req_id": "r", "args": [TOPIC, topic]})
    reply = receive(client)
    assert (reply["success"], reply["ret_msg"], reply["req_id"], reply["op"]) == (False, message, "r", "subscribe")


def test_a_refused_request_subscribes_nothing(client: websocket.WebSocket, server: BybitTestServer) -> None:
    send(client, {"op": "subscribe", "req_id": "r", "args": [TOPIC, "kline.7.BTCUSDT"]})
    receive(client)
    subscribe(client, server)  # TOPIC was not taken by the refused request, so this succeeds
    assert server.subscribers(TOPIC) == 1


def test_subscribing_twice_is_refused(client: websocket.WebSocket, server: BybitTestServer) -> None:
    subscribe(client, server)
    send(client, {"op": "subscribe", "req_id": "again", "args": [TOPIC]})
    assert receive(client)["ret_msg"] == f"error:already subscribed,topic:{TOPIC}"
    assert server.subscribers(TOPIC) == 1


def test_bad_ops_and_bad_json_are_answered_not_fatal(client: websocket.WebSocket) -> None:
    send(client, {"op": "dance", "req_id": "d"})
    assert receive(client)["ret_msg"] == "error:invalid op"
    client.send("not json")
    reply = receive(client)
    assert reply["success"] is False and reply["ret_msg"].startswith("Failed to decode incoming data")
    send(client, {"op": "ping"})
    assert receive(client)["ret_msg"] == "pong"


def test_dropping_cleanly_sends_a_close_frame(client: websocket.WebSocket, server: BybitTestServer) -> None:
    subscribe(client, server)
    assert server.drop_connections() == 1
    opcode, frame = client.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 1001
    assert server.subscribers(TOPIC) == 0


def test_dropping_abruptly_cuts_the_connection(client: websocket.WebSocket, server: BybitTestServer) -> None:
    subscribe(client, server)
    assert server.drop_connections(abrupt=True) == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        client.recv()


def test_pybit_subscribes_and_receives_pushes(server: BybitTestServer, candles: pd.DataFrame) -> None:
    """The server speaks what pybit expects: its dispatcher accepts the ack and routes the push."""

    class Routed(WebSocket):  # type: ignore[misc]
        def _connect(self, url: str) -> None:
            super()._connect(server.ws_public_url)

    got: queue.Queue[dict[str, Any]] = queue.Queue()
    ws = Routed(channel_type="linear", testnet=False, restart_on_error=False, retries=2)
    try:
        ws.kline_stream(60, "BTCUSDT", got.put)
        server.wait_for_subscribers(TOPIC)
        server.publish_candle("BTCUSDT", "60", candles.iloc[0])
        message = got.get(timeout=5)
        assert message["topic"] == TOPIC and message["data"][0]["confirm"] is True
        assert ws.is_connected()
    finally:
        keepalive = ws.custom_ping_timer
        ws.exit()
        for thread in (ws.wst, keepalive):  # pybit does not wait for its threads; later tests count them
            thread.join(5)


def test_stopping_leaves_no_thread(clock: Any) -> None:
    before = set(threading.enumerate())
    with BybitTestServer(clock=clock) as server:
        ws = websocket.create_connection(server.ws_public_url, timeout=5)
        send(ws, {"op": "ping"})
        receive(ws)
    assert set(threading.enumerate()) == before
    opcode, _ = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE  # open connections were closed, not abandoned
    ws.close()
