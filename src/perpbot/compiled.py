"""The compiled trading core: which modules it is, and whether the compiled build still matches its source.

The core (order and position books, the ledger, the risk gate, the simulated exchange, the trading node and
the backtest loop) is plain typed Python. `make core` compiles it in place with mypyc to C extensions, which
Python then imports instead of the source; without them the same source runs interpreted, with the same
results (tested). A compiled module that no longer matches its source would silently run old code, so
importing perpbot refuses a stale build (`CompiledCoreStale`) and says how to rebuild or remove it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

# In dependency order. Only modules whose classes nothing outside subclasses or patches: mypyc makes them
# native classes (fixed attributes, C-level method calls).
CORE_MODULES = (
    "perpbot.model.enums",
    "perpbot.model.instrument",
    "perpbot.model.order",
    "perpbot.model.trading",
    "perpbot.execution.ledger",
    "perpbot.execution.orders",
    "perpbot.execution.positions",
    "perpbot.signals.codes",
    "perpbot.risk._format",
    "perpbot.risk.breakers",
    "perpbot.risk.correlation",
    "perpbot.risk.liquidation",
    "perpbot.risk.portfolio",
    "perpbot.risk.sizing",
    "perpbot.risk.streaks",
    "perpbot.risk.manager",
    "perpbot.venues.events",
    "perpbot.venues.sim.exchange",
    "perpbot.engine.prepared",
    "perpbot.engine.decisions",
    "perpbot.engine.market",
    "perpbot.engine.node",
    "perpbot.engine.backtest",
)
# Written in C, built beside the mypyc modules and checked against their source the same way; each has a Python
# twin that runs when the core is interpreted (see perpbot.kernels).
C_KERNELS = ("perpbot._kernels",)
BUILT_MODULES = (*CORE_MODULES, *C_KERNELS)  # what a compiled core consists of
RUNTIME_LIBRARY = "perpbot_core__mypyc"  # the C runtime mypyc shares between the modules, beside the package
MANIFEST = "_compiled.json"  # {module: sha256 of the source it was compiled from}
SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the folder holding the `perpbot` package


class CompiledCoreStale(ImportError):
    """The compiled core was built from other source than the one beside it."""


@dataclass(frozen=True, slots=True)
class CoreBuild:
    compiled: bool
    modules: tuple[str, ...]  # the compiled ones (all of CORE_MODULES when compiled)

    @property
    def label(self) -> str:
        return "compiled (mypyc)" if self.compiled else "interpreted"


def source_path(module: str, root: Path = SOURCE_ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".c" if module in C_KERNELS else ".py")


def extension_paths(module: str, root: Path = SOURCE_ROOT) -> list[Path]:
    """The compiled files of `module` that exist (any of this interpreter's extension suffixes)."""
    base = root.joinpath(*module.split("."))
    return [p for p in (base.with_name(base.name + suffix) for suffix in EXTENSION_SUFFIXES) if p.exists()]


def source_digests(root: Path = SOURCE_ROOT) -> dict[str, str]:
    return {m: hashlib.sha256(source_path(m, root).read_bytes()).hexdigest() for m in BUILT_MODULES}


def read_manifest(root: Path = SOURCE_ROOT) -> dict[str, str] | None:
    path = root / "perpbot" / MANIFEST
    if not path.exists():
        return None
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def core_build(root: Path = SOURCE_ROOT) -> CoreBuild:
    """What Python will import for the core: the compiled modules or the source. Raises `CompiledCoreStale`
    when some module is compiled but the build does not match the source now beside it."""
    compiled = tuple(m for m in BUILT_MODULES if extension_paths(m, root))
    if not compiled:
        return CoreBuild(False, ())
    manifest = read_manifest(root)
    remedy = ("rebuild it with `make core`, or delete it with `make pure` to run the core interpreted")
    if manifest is None:
        raise CompiledCoreStale(f"compiled core modules ({', '.join(compiled)}) have no build manifest "
                                f"({root / 'perpbot' / MANIFEST}); {remedy}")
    digests = source_digests(root)
    changed = [m for m in BUILT_MODULES if manifest.get(m) != digests[m]]
    missing = [m for m in BUILT_MODULES if m not in compiled]
    if changed or missing:
        detail = "; ".join(part for part in (
            f"source changed since it was compiled: {', '.join(changed)}" if changed else "",
            f"not compiled: {', '.join(missing)}" if missing else "") if part)
        raise CompiledCoreStale(f"the compiled core does not match its source ({detail}); {remedy}")
    return CoreBuild(True, compiled)
