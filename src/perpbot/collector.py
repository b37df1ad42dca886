"""Pausing Python's cyclic garbage collector around bulk work on long-lived, acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the loop.

    The loop makes hundreds of thousands of small, acyclic objects (orders, fills, decisions) that all
    live to the end of the run. The collector's full passes re-scan every one of them, so with it on
    the cost of an order grew with the history behind it (measured: 640 us per fill on half a year,
    1,170 us on the whole). Reference counting still frees everything acyclic at once, and the
    collector resumes when the loop ends, after what the loop left alive has gone to the oldest
    generation unscanned (`_promote_survivors`).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _promote_survivors()
        if was_enabled:
            gc.enable()


def _promote_survivors() -> None:
    """Move every object in the younger generations (all the paused region left) to the oldest, unscanned.

    Paused, nothing is ever collected, so all the region made (a year-long backtest: millions of objects)
    sits in generation 0, and the first allocation after `gc.enable()` scanned all of it, then the next
    generation's pass scanned it again: a tenth of a year-long backtest's time. Freezing and unfreezing
    is CPython's way to place objects in the oldest generation directly; they are scanned again only by a
    full collection. While a runtime has frozen its state (`freeze_long_lived`) an unfreeze would release
    that too, so the survivors join the frozen set instead, until its `thaw()`.
    """
    runtime_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    if not runtime_frozen:
        gc.unfreeze()


def freeze_long_lived() -> None:
    """Collect once, then move every object alive now out of the collector's reach.

    For a runtime after its warm-up (or a resume's replay): the windows, the engine and the history it
    rebuilt live as long as the process, yet a full collection re-scanned all of them (about 50 ms,
    landing on whichever candle close happened to trigger it). Frozen, they are never scanned again;
    objects made later are collected as usual. `thaw()` hands them back when the run ends.
    """
    gc.collect()
    gc.freeze()


def thaw() -> None:
    """Undo `freeze_long_lived`: what was frozen is collectable again (a cycle among it that died meanwhile
    is freed at the next full collection instead of never)."""
    gc.unfreeze()
