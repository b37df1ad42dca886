"""Handing the C heap's free pages back: done where the C library can, skipped cleanly where it cannot."""

from __future__ import annotations

import ctypes
import platform

import pytest

from perpbot import heap


def test_glibc_hands_free_pages_back() -> None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    assert heap.release_free_heap() is True


def test_a_c_library_without_malloc_trim_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoTrim:
        def __init__(self, name: object) -> None:
            pass

    heap._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", NoTrim)
    try:
        assert heap.release_free_heap() is False
    finally:
        heap._malloc_trim.cache_clear()
