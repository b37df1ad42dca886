"""The v5 response envelope every REST answer is wrapped in: retCode, retMsg, result, retExtInfo, time."""

from __future__ import annotations

from typing import Any

from perpbot.venues.bybit.testserver.retcodes import RetCode


def ok(result: dict[str, Any], now_ms: int, ret_msg: str = "OK") -> dict[str, Any]:
    """A success; market endpoints say "OK" (other endpoints use "success" or "", as Bybit does)."""
    return {"retCode": int(RetCode.OK), "retMsg": ret_msg, "result": result, "retExtInfo": {}, "time": now_ms}


def error(ret_code: RetCode, ret_msg: str, now_ms: int) -> dict[str, Any]:
    """A refusal: Bybit answers these with HTTP 200 and the reason in retCode/retMsg."""
    return {"retCode": int(ret_code), "retMsg": ret_msg, "result": {}, "retExtInfo": {}, "time": now_ms}
