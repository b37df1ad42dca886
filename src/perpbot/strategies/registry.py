"""Finding strategies by name: built-ins, a user folder of `*.py` files, and installed plugins.

Plugins declare an entry point in the group `perpbot.strategies`, pointing at a Strategy subclass or
at a module holding some, e.g. in their pyproject.toml:

    [project.entry-points."perpbot.strategies"]
    my_strategy = "my_package.strategies:MyStrategy"
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import pkgutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from types import ModuleType
from typing import Any

from perpbot.errors import StrategyError
from perpbot.strategies.base import Strategy

__all__ = ["ENTRY_POINT_GROUP", "StrategyRegistry"]

ENTRY_POINT_GROUP = "perpbot.strategies"
BUILTIN_PACKAGE = "perpbot.strategies.builtin"
_USER_MODULE_PREFIX = "perpbot_user_strategies"


@dataclass(frozen=True, slots=True)
class _Entry:
    cls: type[Strategy]
    origin: str
    kind: str  # "builtin" | "user" | "plugin"


def _strategies_in(module: ModuleType) -> list[type[Strategy]]:
    """Named Strategy subclasses defined in `module` itself (not the ones it imports)."""
    found = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Strategy) and obj is not Strategy and obj.name and obj.__module__ == module.__name__:
            found.append(obj)
    return found


class StrategyRegistry:
    """Every strategy the bot can run, by name.

    Discovery happens at construction. With `strict` (the default) any broken user file, broken
    plugin or duplicate name raises one StrategyError naming each file/plugin and its error; with
    `strict=False` the good strategies are kept and the problems are listed in `errors`.
    """

    def __init__(
        self,
        user_dirs: Iterable[str | Path] = (),
        *,
        builtins: bool = True,
        plugins: bool = True,
        strict: bool = True,
    ) -> None:
        self._entries: dict[str, _Entry] = {}
        self._errors: list[StrategyError] = []
        if builtins:
            self._load_builtins()
        for folder in user_dirs:
            self._load_folder(Path(folder))
        if plugins:
            self._load_plugins()
        if strict and self._errors:
            if len(self._errors) == 1:
                raise self._errors[0]
            raise StrategyError(
                f"{len(self._errors)} problems loading strategies:\n" + "\n".join(f"- {e}" for e in self._errors)
            )

    # ------------------------------------------------------------------------------------------ queries

    @property
    def errors(self) -> list[StrategyError]:
        """Problems found while loading (only with strict=False; a strict registry raises them)."""
        return list(self._errors)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def builtin_names(self) -> list[str]:
        return sorted(n for n, e in self._entries.items() if e.kind == "builtin")

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def origin(self, name: str) -> str:
        """Where the strategy came from: a built-in module, a user file, or a plugin entry point."""
        return self._entry(name).origin

    def get(self, name: str) -> type[Strategy]:
        return self._entry(name).cls

    def create(self, name: str, params: Mapping[str, Any] | None = None) -> Strategy:
        """An instance with validated parameters (defaults for the ones not given)."""
        return self.get(name)(**dict(params or {}))

    def describe(self, name: str) -> dict[str, Any]:
        """Everything the CLI shows about a strategy: origin, description, docstring, parameter schema."""
        entry = self._entry(name)
        cls = entry.cls
        try:
            warmup = cls().warmup
        except StrategyError:
            raise
        except Exception as exc:
            raise StrategyError(
                f"strategy {name!r} from {entry.origin} fails with its defaults: {type(exc).__name__}: {exc}"
            ) from exc
        return {
            "name": cls.name,
            "description": cls.description,
            "doc": inspect.getdoc(cls) or "",
            "origin": entry.origin,
            "kind": entry.kind,
            "warmup": warmup,
            "schema": cls.schema(),
        }

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            pass
        known = ", ".join(self.names()) or "(none)"
        close = get_close_matches(str(name), self.names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        broken = f"; {len(self._errors)} strategy source(s) failed to load: see registry.errors" if self._errors else ""
        raise StrategyError(f"unknown strategy {name!r}{hint}; known strategies: {known}{broken}")

    # ---------------------------------------------------------------------------------------- discovery

    def _add(self, cls: type[Strategy], origin: str, kind: str) -> None:
        if inspect.isabstract(cls):
            missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
            self._errors.append(
                StrategyError(f"strategy {cls.name!r} from {origin} is abstract: it does not implement {missing}")
            )
            return
        existing = self._entries.get(cls.name)
        if existing is not None:
            if existing.cls is cls:
                return
            self._errors.append(
                StrategyError(f"duplicate strategy name {cls.name!r}: defined by {existing.origin} and by {origin}")
            )
            return
        self._entries[cls.name] = _Entry(cls, origin, kind)

    def _load_builtins(self) -> None:
        package = importlib.import_module(BUILTIN_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}")
            for cls in _strategies_in(module):
                self._add(cls, f"built-in module {module.__name__}", "builtin")

    def _load_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            self._errors.append(StrategyError(f"strategy folder {folder} does not exist or is not a directory"))
            return
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue  # private helpers (and __init__.py) are imported by the files that need them
            try:
                module = self._import_file(path)
            except Exception as exc:
                self._errors.append(
                    StrategyError(f"strategy file {path} failed to load: {type(exc).__name__}: {exc}")
                )
                continue
            for cls in _strategies_in(module):
                self._add(cls, f"user file {path}", "user")

    @staticmethod
    def _import_file(path: Path) -> ModuleType:
        resolved = path.resolve()
        digest = hashlib.sha1(str(resolved).encode(), usedforsecurity=False).hexdigest()[:10]
        module_name = f"{_USER_MODULE_PREFIX}_{path.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, resolved)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot build an import spec for {resolved}")
        module = importlib.util.module_from_spec(spec)
        # Registered before executing so dataclasses, pickling and relative lookups find the module.
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        return module

    def _load_plugins(self) -> None:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = f" from {ep.dist.name} {ep.dist.version}" if ep.dist is not None else ""
            origin = f"plugin entry point {ep.name} = {ep.value}{dist}"
            try:
                target = ep.load()
            except Exception as exc:
                self._errors.append(StrategyError(f"{origin} failed to load: {type(exc).__name__}: {exc}"))
                continue
            if isinstance(target, ModuleType):
                classes = _strategies_in(target)
                if not classes:
                    self._errors.append(StrategyError(f"{origin}: module defines no named Strategy subclass"))
                for cls in classes:
                    self._add(cls, origin, "plugin")
            elif isinstance(target, type) and issubclass(target, Strategy) and target.name:
                self._add(target, origin, "plugin")
            else:
                self._errors.append(
                    StrategyError(
                        f"{origin}: must point to a Strategy subclass with a name, or a module, was {target!r}"
                    )
                )
