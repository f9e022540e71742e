"""The ``neardup`` script: the command line of :mod:`neardup.cli`, started with the process
settings it wants before anything imports numpy."""

import os


def main() -> int:
    """Run the command line. numpy's OpenBLAS starts a thread per core when it loads, each
    spinning for a while (about 0.1 s of CPU per thread); the commands never call BLAS, so
    one thread is asked for unless the caller chose a number."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from neardup.cli import main as run

    return run()
