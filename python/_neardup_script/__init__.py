"""The ``neardup`` script: the command line of :mod:`neardup.cli`, started with the process
settings it wants before anything imports numpy."""

import gc
import os

#: Allocations of tracked objects (net) between two collections of the youngest generation of
#: Python's cyclic garbage collector. The jobs make and free short-lived records, rows and
#: tuples by the million, without cycles; at CPython's default, 700, the collector ran 479
#: times on bench-corpus-22k's `clean` (0.107 s), with this and the modules frozen 65 times.
GC_YOUNG_THRESHOLD = 50_000


def main() -> int:
    """Run the command line. numpy's OpenBLAS starts a thread per core when it loads, each
    spinning for a while (about 0.1 s of CPU per thread); the commands never call BLAS, so
    one thread is asked for unless the caller chose a number. Once the modules are imported,
    their objects are moved out of the garbage collector's reach (``gc.freeze``: they live as
    long as the process) and its youngest generation is collected less often."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from neardup.cli import main as run

    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    return run()
