from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perpbot.model import RiskDecision
from perpbot.model.checks import CheckLog, RiskCheck

_checks = st.lists(st.builds(RiskCheck, name=st.text(), passed=st.booleans(), detail=st.text()), max_size=12)


@given(_checks)
def test_a_check_log_reads_back_the_checks_it_was_given(checks: list[RiskCheck]) -> None:
    # Any text, the separator and empty texts included: what is read back equals what was given.
    log = CheckLog.of(checks)
    assert len(log) == len(checks)
    assert list(log) == checks
    assert [log[i] for i in range(len(checks))] == checks
    assert log[-1:] == tuple(checks[-1:])
    assert list(log.entries()) == [(c.name, c.passed, c.detail) for c in checks]
    assert log == tuple(checks)
    assert tuple(checks) == log
    assert log == CheckLog.of(checks)
    assert hash(log) == hash(tuple(checks))
    assert repr(log) == repr(tuple(checks))


def test_texts_are_kept_in_one_string_and_paths_share_their_shape() -> None:
    first = CheckLog([("halt", True, "not halted"), ("stop", True, "stop 60901.3"), ("sizing", False, "too small")])
    second = CheckLog([("halt", True, "not halted"), ("stop", True, "stop 59000.1"), ("sizing", False, "too small")])
    assert isinstance(first._texts, str)
    assert first._shape is second._shape
    assert first != second
    assert second[1] == RiskCheck("stop", True, "stop 59000.1")
    with_separator = CheckLog([("a", True, "x\x1fy"), ("b", True, "z")])
    assert [c.detail for c in with_separator] == ["x\x1fy", "z"]


def test_decisions_with_a_check_log_equal_decisions_with_the_same_checks_as_a_tuple() -> None:
    checks = (RiskCheck("halt", True, "not halted"), RiskCheck("exchange_filters", False, "qty 0 is below 0.001"))
    as_log = RiskDecision(False, Decimal(0), None, None, Decimal(5), ("qty 0 is below 0.001",), CheckLog.of(checks))
    as_tuple = RiskDecision(False, Decimal(0), None, None, Decimal(5), ("qty 0 is below 0.001",), checks)
    assert as_log == as_tuple
    assert repr(as_log) == repr(as_tuple)


@given(_checks)
def test_a_log_made_of_its_parts_equals_the_log_made_of_its_checks(checks: list[RiskCheck]) -> None:
    parts = CheckLog.of_parts(tuple((c.name, c.passed) for c in checks), [c.detail for c in checks])
    assert parts == CheckLog.of(checks)
    assert list(parts) == checks


def test_parts_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one text per check, got 1 for 2"):
        CheckLog.of_parts((("halt", True), ("stop", True)), ["not halted"])
