"""Runs the neardup command line and sends itself a signal at a chosen point (run as a script
by tests/test_faults.py, not collected):

    python fault_driver.py POINT ACTION -- NEARDUP-ARGUMENTS...

POINT is where the fault happens:

- ``progress:DESC:N``: when the N-th item of the progress bar named DESC ("learn chrome",
  "clean", "write", ...) is handed to the run;
- ``after:MODULE:NAME:N``: right after the N-th call of the function MODULE.NAME returned
  (NAME may be ``Class.method``), e.g. ``after:neardup.index:Index._insert:2`` lands inside
  the second batch's transaction, before its COMMIT;
- ``before:MODULE:NAME:N``: right before the N-th call.

ACTION is what happens there:

- ``KILL`` or ``TERM``: the process sends itself SIGKILL or SIGTERM. A signal a process
  sends itself is delivered before ``os.kill`` returns, so the point is exact: the same as a
  signal from outside arriving at that moment, without depending on timing;
- ``rmtree:PATH``: the folder PATH is removed (as by ``rm -rf`` in another shell);
- ``rename:PATH:NEW``: the folder PATH is renamed to NEW;
- ``append:PATH``: a record is appended to the JSONL file PATH (the input changing).

The driver prints ``fault at POINT`` to stderr first (with SIGKILL nothing else can tell the
test that the point was reached).
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import signal
import sys
from typing import Any


def fire(point: str, action: str) -> None:
    os.write(2, f"fault at {point}\n".encode())
    kind, *paths = action.split(":")
    if kind == "rmtree":
        shutil.rmtree(paths[0])
    elif kind == "rename":
        os.rename(paths[0], paths[1])
    elif kind == "append":  # one more record at the end of the JSONL input PATH
        with open(paths[0], "a", encoding="utf-8") as stream:
            stream.write('{"id": "late", "text": "a record appended during the run"}\n')
    else:
        os.kill(os.getpid(), {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM}[kind])


def at_progress(desc: str, n: int, point: str, action: str) -> None:
    import neardup.cli.commands

    original = neardup.cli.commands.progress

    def progress(iterable: Any, *, desc: str = "", **kwargs: Any) -> Any:
        wanted = desc == desc_wanted
        for count, item in enumerate(original(iterable, desc=desc, **kwargs), start=1):
            if wanted and count == n:
                fire(point, action)
            yield item

    desc_wanted = desc
    neardup.cli.commands.progress = progress  # looked up by name when a command runs


def at_call(module_name: str, name: str, n: int, after: bool, point: str, action: str) -> None:
    owner: Any = importlib.import_module(module_name)
    *path, attribute = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, attribute)
    calls = [0]

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if not after and calls[0] == n:
            fire(point, action)
        result = original(*args, **kwargs)
        if after and calls[0] == n:
            fire(point, action)
        return result

    setattr(owner, attribute, wrapper)


def main() -> int:
    point, action, separator, *argv = sys.argv[1:]
    assert separator == "--", "usage: fault_driver.py POINT ACTION -- ARGS..."
    kind, *rest = point.split(":")
    if kind == "progress":
        at_progress(rest[0], int(rest[1]), point, action)
    elif kind in ("after", "before"):
        at_call(rest[0], rest[1], int(rest[2]), kind == "after", point, action)
    else:
        raise SystemExit(f"unknown point {point!r}")
    from neardup.cli import main as neardup_main

    return neardup_main(argv)


if __name__ == "__main__":
    sys.exit(main())
