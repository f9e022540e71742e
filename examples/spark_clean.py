"""`neardup spark-clean` as a file for spark-submit (which runs a script, not a module). With the
environment packed as README says ("Running on a cluster"):

    PYSPARK_DRIVER_PYTHON=neardup-env/bin/python PYSPARK_PYTHON=./environment/bin/python \
      spark-submit --master spark://HOST:7077 --conf spark.sql.shuffle.partitions=4 \
      --archives neardup-env.tar.gz#environment examples/spark_clean.py INPUT... OUTPUT

tests/test_spark_cluster.py runs it so on a standalone cluster of two workers.
"""

import sys

from neardup.cli import main

if __name__ == "__main__":
    sys.exit(main(["spark-clean", *sys.argv[1:]]))
