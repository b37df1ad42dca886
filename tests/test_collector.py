"""The collector pause: what a paused region leaves alive goes to the oldest generation, unscanned."""

from __future__ import annotations

import gc

from perpbot.collector import collector_paused, freeze_long_lived, thaw


class _Kept:
    """A tracked object (instances of plain classes are followed by the collector)."""


def _in_generation(obj: object, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation=generation))


def test_survivors_of_a_paused_region_skip_the_young_generations() -> None:
    assert gc.get_freeze_count() == 0
    with collector_paused():
        kept = _Kept()
        assert _in_generation(kept, 0)
    assert gc.isenabled()
    assert not _in_generation(kept, 0) and not _in_generation(kept, 1)
    assert _in_generation(kept, 2)
    assert gc.get_freeze_count() == 0  # promoted, not left frozen


def test_under_a_runtimes_freeze_survivors_join_the_frozen_set_and_nothing_is_released() -> None:
    early = _Kept()
    freeze_long_lived()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0 and not any(_in_generation(early, g) for g in range(3))
        with collector_paused():
            kept = _Kept()
        assert gc.get_freeze_count() > frozen  # the survivors were added; the runtime's set is still frozen
        assert not any(_in_generation(o, g) for o in (early, kept) for g in range(3))
    finally:
        thaw()
    assert gc.get_freeze_count() == 0 and _in_generation(kept, 2)


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
