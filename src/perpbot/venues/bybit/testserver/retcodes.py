"""Bybit v5 retCodes and the error a handler raises to answer with one.

The vocabulary is the one the bot must handle (docs/bybit.md, from Bybit's v5 documentation); the public
market endpoints use only OK and PARAMS_ERROR today, the private half will use the rest.
"""

from __future__ import annotations

from enum import IntEnum


class RetCode(IntEnum):
    OK = 0
    SERVER_TIMEOUT = 10000
    PARAMS_ERROR = 10001
    TIMESTAMP_OUT_OF_WINDOW = 10002
    INVALID_API_KEY = 10003
    INVALID_SIGNATURE = 10004
    PERMISSION_DENIED = 10005
    TOO_MANY_VISITS = 10006
    IP_NOT_WHITELISTED = 10010
    SERVER_ERROR = 10016
    ORDER_NOT_EXISTS = 110001
    PRICE_OUT_OF_RANGE = 110003
    WALLET_BALANCE_INSUFFICIENT = 110004
    POSITION_MARGIN_INSUFFICIENT = 110006
    AVAILABLE_BALANCE_INSUFFICIENT = 110007
    ORDER_COMPLETED = 110008
    ORDER_CANCELLED = 110010
    REDUCE_ONLY_NOT_SATISFIED = 110017
    LEVERAGE_NOT_MODIFIED = 110043
    DUPLICATE_ORDER_LINK_ID = 110072
    ORDER_NOTIONAL_TOO_SMALL = 110094


class BybitApiError(Exception):
    """Raised by a handler: the server answers HTTP 200 with this retCode and retMsg, as Bybit does."""

    def __init__(self, ret_code: RetCode, ret_msg: str) -> None:
        super().__init__(f"{ret_msg} (retCode {int(ret_code)})")
        self.ret_code = ret_code
        self.ret_msg = ret_msg


def params_error(message: str) -> BybitApiError:
    return BybitApiError(RetCode.PARAMS_ERROR, message)
