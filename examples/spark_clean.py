"""`neardup spark-clean` as a file for spark-submit (which runs a script, not a module):

    spark-submit --archives neardup-env.tar.gz#environment examples/spark_clean.py INPUT... OUTPUT
"""

import sys

from neardup.cli import main

if __name__ == "__main__":
    sys.exit(main(["spark-clean", *sys.argv[1:]]))
