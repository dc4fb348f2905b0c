"""Spark local[2] throughput of iamsim.spark.evaluate on 1,000,000 rows beside plain Spark
reading the same data, so the cost iamsim adds is visible.

    PYSPARK_PYTHON=$(which python) python python/benches/bench_spark.py [ROWS]
"""

import os
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

import iamsim.spark

sys.path.insert(0, os.path.dirname(__file__))
from bench_arrow import rows  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def main():
    data = rows(ROWS)
    d = tempfile.mkdtemp()
    path = os.path.join(d, "requests.parquet")
    pq.write_table(pa.table({k: [r[k] for r in data] for k in data[0]}), path, row_group_size=100_000)
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(path)
    df.write.format("noop").mode("overwrite").save()  # warm up the JVM and the file cache

    def timed(f):
        t0 = time.perf_counter()
        f()
        return time.perf_counter() - t0

    plain = min(timed(lambda: df.write.format("noop").mode("overwrite").save()) for _ in range(2))
    sim = min(timed(lambda: iamsim.spark.evaluate(df, "testdata/batch/mfa-scenario.json").write.format("noop").mode("overwrite").save()) for _ in range(2))
    print(f"{ROWS} rows, local[2]: plain read {plain:.2f} s ({ROWS / plain:,.0f} rows/s); "
          f"read + iamsim {sim:.2f} s ({ROWS / sim:,.0f} rows/s); iamsim adds {(sim - plain) / ROWS * 1e9:.0f} ns/row")
    spark.stop()


if __name__ == "__main__":
    main()
