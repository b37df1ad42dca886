"""The checks behind one risk decision, kept compactly (`CheckLog`).

Not part of the compiled core: `CheckLog` is a `Sequence`, and mypyc does not keep an abstract base class's
bookkeeping apart for a compiled subclass (isinstance of a tuple against it came out true).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, overload


@dataclass(frozen=True, slots=True)
class RiskCheck:
    """One rule the risk manager applied, and what it found."""

    name: str
    passed: bool
    detail: str


# Risk messages are names, numbers and words, never this control character; a CheckLog whose texts hold it
# anyway keeps them apart instead of joined.
_SEPARATOR = "\x1f"
# Every (name, passed) sequence a CheckLog has seen, shared: the risk manager's paths make a few dozen.
_SHAPES: dict[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]] = {}


class CheckLog(Sequence[RiskCheck]):
    """The checks of one risk decision, read as a sequence of `RiskCheck`, kept in two objects: the (name, passed)
    sequence, shared by every decision that took the same path, and the texts joined into one string.

    A year's backtest records about ten checks for each of tens of thousands of decisions; an object and a
    string per check cost about 1 KB per decision more. The checks are made again when read, equal to the
    ones given.
    """

    __slots__ = ("_shape", "_texts")

    def __init__(self, entries: Iterable[tuple[str, bool, str]]) -> None:
        entries = list(entries)
        self._set(tuple([(name, passed) for name, passed, _ in entries]), [text for _, _, text in entries])

    @classmethod
    def of_parts(cls, shape: tuple[tuple[str, bool], ...], texts: list[str]) -> CheckLog:
        """The log of checks given as their (name, passed) pairs and their texts, in order (the compiled risk
        gate splits them itself: this class is interpreted, and its comprehensions cost more here)."""
        log = cls.__new__(cls)
        log._set(shape, texts)
        return log

    def _set(self, shape: tuple[tuple[str, bool], ...], texts: list[str]) -> None:
        if len(shape) != len(texts):
            raise ValueError(f"a check log needs one text per check, got {len(texts)} for {len(shape)}")
        self._shape = _SHAPES.setdefault(shape, shape)
        joined = _SEPARATOR.join(texts)
        self._texts: str | tuple[str, ...] = joined if texts and joined.count(_SEPARATOR) == len(texts) - 1 \
            else tuple(texts)

    @classmethod
    def of(cls, checks: Iterable[RiskCheck]) -> CheckLog:
        return cls((c.name, c.passed, c.detail) for c in checks)

    def _parts(self) -> tuple[tuple[tuple[str, bool], ...], Sequence[str]]:
        """The (name, passed) pairs and the texts, in order."""
        texts = self._texts
        return self._shape, texts.split(_SEPARATOR) if isinstance(texts, str) else texts

    def __len__(self) -> int:
        return len(self._parts()[0])

    @overload
    def __getitem__(self, index: int) -> RiskCheck: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RiskCheck, ...]: ...

    def __getitem__(self, index: int | slice) -> RiskCheck | tuple[RiskCheck, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        shape, texts = self._parts()
        name, passed = shape[index]
        return RiskCheck(name, passed, texts[index])

    def __iter__(self) -> Iterator[RiskCheck]:
        for name, passed, detail in self.entries():
            yield RiskCheck(name, passed, detail)

    def entries(self) -> Iterator[tuple[str, bool, str]]:
        """(name, passed, detail) of each check, without making the RiskCheck objects (for writers)."""
        shape, texts = self._parts()
        for (name, passed), detail in zip(shape, texts, strict=True):
            yield name, passed, detail

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CheckLog):
            (shape, texts), (other_shape, other_texts) = self._parts(), other._parts()
            return shape == other_shape and tuple(texts) == tuple(other_texts)
        if isinstance(other, tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class Explains(Protocol):
    """What a deferred log reads: something that writes the log when asked."""

    def explain(self) -> CheckLog: ...


class DeferredCheckLog(CheckLog):
    """A `CheckLog` written when it is read: `source.explain()` makes the log again from what the decision saw
    (the risk manager runs its gate once more on the inputs it kept), equal to the one it would have written then.

    Nothing of a read is kept, so a run's decisions hold only what their explanations need; reading a log
    costs the gate's time again (about 40 us), once per `entries()`, iteration or index. It holds the source
    itself, not its bound `explain`: a bound method was one more object (72 bytes) for every decision of a run.
    """

    __slots__ = ("_source",)

    def __init__(self, source: Explains) -> None:
        self._source = source

    def _parts(self) -> tuple[tuple[tuple[str, bool], ...], Sequence[str]]:
        return self._source.explain()._parts()

    def __reduce__(self) -> tuple[type[CheckLog], tuple[list[tuple[str, bool, str]]]]:
        """Copied or pickled, it is the written log: the inputs behind it stay with the run."""
        return CheckLog, (list(self.entries()),)
