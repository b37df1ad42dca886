"""Run the Bybit test server by hand: `python -m perpbot.venues.bybit.testserver [--port N] [--data DIR]`.

With `--data`, every `bybit_linear_<SYMBOL>_<tf>.csv.gz` / `_funding` file in DIR is served (the shared
data layout); without it, the GENERATED sample (not market data) is. The server answers until Ctrl-C.
It only serves what it holds: nothing is pushed on the WebSocket unless a program drives the server.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from perpbot.data.formats import DataKind, parse_data_filename, read_data_file
from perpbot.data.sample import SAMPLE_TIMEFRAME, generate_sample
from perpbot.errors import PerpbotError
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.model.timeframe import bybit_interval
from perpbot.venues.bybit.testserver.server import BybitTestServer


def _load_folder(server: BybitTestServer, folder: Path) -> list[str]:
    loaded = []
    for path in sorted(folder.iterdir()):
        named = parse_data_filename(path)
        if named is None or named.symbol not in REFERENCE_INSTRUMENTS:
            continue
        data = read_data_file(path)
        if data.kind is DataKind.FUNDING:
            server.load_funding(data.symbol, data.frame)
            loaded.append(f"{data.symbol} funding ({len(data.frame)} rates)")
        elif data.timeframe is not None:
            server.load_candles(data.symbol, bybit_interval(data.timeframe), data.frame)
            loaded.append(f"{data.symbol} {data.timeframe} ({len(data.frame)} candles)")
    return loaded


def _load_sample(server: BybitTestServer) -> list[str]:
    loaded = []
    for symbol, (candles, funding) in generate_sample().items():
        server.load_candles(symbol, bybit_interval(SAMPLE_TIMEFRAME), candles)
        server.load_funding(symbol, funding)
        loaded.append(f"{symbol} {SAMPLE_TIMEFRAME} ({len(candles)} GENERATED candles, not market data)")
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perpbot.venues.bybit.testserver",
                                     description="A Bybit v5 test server on 127.0.0.1 (public REST and WebSocket).")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--data", type=Path, help="folder of bybit_linear_<SYMBOL>_<tf>.csv.gz files to serve")
    args = parser.parse_args(argv)
    if args.data is not None and not args.data.is_dir():
        print(f"--data must be a folder, was {args.data}", file=sys.stderr)
        return 2
    server = BybitTestServer(port=args.port)
    with server:
        try:
            loaded = _load_folder(server, args.data) if args.data is not None else _load_sample(server)
        except PerpbotError as exc:
            print(f"cannot load market data: {exc}", file=sys.stderr)
            return 1
        print(f"REST:      {server.rest_url}", flush=True)
        print(f"WebSocket: {server.ws_public_url}", flush=True)
        for line in loaded or ["(no candles loaded)"]:
            print(f"serving {line}")
        print("Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
