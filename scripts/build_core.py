"""Compile perpbot's trading core with mypyc, in place beside its source (run by `make core`).

The modules are listed in `perpbot/compiled.py`. A build that matches the source is left alone, so running
this again costs a few milliseconds. `--clean` removes the compiled files (the core then runs interpreted);
so does any run with PERPBOT_PURE_PYTHON=1 set, which is how to work on the core without recompiling.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
BUILD = REPO / "build" / "mypyc"


def _core_spec() -> ModuleType:
    # Loaded by path: importing the `perpbot` package would refuse the stale build this script is to replace.
    path = SRC / "perpbot" / "compiled.py"
    spec = importlib.util.spec_from_file_location("_perpbot_compiled", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def clean(core: ModuleType) -> int:
    removed = 0
    for module in (*core.BUILT_MODULES, core.RUNTIME_LIBRARY):
        for path in core.extension_paths(module, SRC):
            path.unlink()
            removed += 1
    manifest = SRC / "perpbot" / core.MANIFEST
    if manifest.exists():
        manifest.unlink()
    return removed


def build(core: ModuleType) -> None:
    from mypyc.build import mypycify
    from setuptools import Extension, setup

    digests = core.source_digests(SRC)
    clean(core)
    paths = [str(core.source_path(m, SRC).relative_to(REPO)) for m in core.CORE_MODULES]
    started = time.perf_counter()
    cwd = Path.cwd()
    os.chdir(REPO)  # mypy reads its settings (strict, plugins) from pyproject.toml here
    try:
        extensions = mypycify(paths, opt_level="3", group_name="perpbot_core", target_dir=str(BUILD / "c"))
        # The C kernels: no fused multiply-adds, so their float arithmetic is their Python twins' to the bit.
        extensions += [Extension(module, [str(core.source_path(module, SRC).relative_to(REPO))],
                                 extra_compile_args=["-O2", "-ffp-contract=off"]) for module in core.C_KERNELS]
        with warnings.catch_warnings():  # setuptools' notes on reading pyproject.toml, which it only reads here
            warnings.simplefilter("ignore")
            setup(name="perpbot-core", ext_modules=extensions, package_dir={"": "src"},
                  script_args=["--quiet", "build_ext", "--inplace", "--build-temp", str(BUILD / "temp"),
                               "--build-lib", str(BUILD / "lib")])
    finally:
        os.chdir(cwd)
    (SRC / "perpbot" / core.MANIFEST).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n",
                                                 encoding="utf-8")
    print(f"compiled the core ({len(paths)} modules, {len(core.C_KERNELS)} C kernel) "
          f"in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="store_true", help="remove the compiled core")
    args = parser.parse_args()
    core = _core_spec()
    if args.clean or os.environ.get("PERPBOT_PURE_PYTHON"):
        removed = clean(core)
        print(f"the core runs interpreted (removed {removed} compiled files)")
        return
    try:
        state = core.core_build(SRC)
    except core.CompiledCoreStale:
        state = None
    if state is not None and state.compiled:
        print("the compiled core is up to date")
        return
    build(core)


if __name__ == "__main__":
    main()
