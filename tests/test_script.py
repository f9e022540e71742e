"""The ``neardup`` script (``_neardup_script``): the process settings it makes come before
anything imports numpy, whose OpenBLAS reads them when it loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.backend_independent

RUN = """
import os, sys
import _neardup_script
assert "numpy" not in sys.modules, "numpy was imported with the script's module"
sys.argv = ["neardup", "--version"]
try:
    _neardup_script.main()
except SystemExit:
    pass
assert "numpy" in sys.modules
print(os.environ["OPENBLAS_NUM_THREADS"])
"""


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("3", "3")])
def test_openblas_gets_one_thread_unless_the_caller_chose(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    result = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split()[-1] == expected
