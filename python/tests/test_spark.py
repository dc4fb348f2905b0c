"""iamsim.spark.evaluate in PySpark local[2]: many small Arrow batches over a repartitioned
input, every row equal to `iamsim batch`, the scenario compiled once per Python worker."""

import json
import os
import shutil
import sys

import pytest

SCENARIO = "testdata/batch/mfa-scenario.json"
REQUESTS = "testdata/batch/requests.jsonl"
ROWS = 20_000


def _spark_or_reason():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession  # noqa: F401
    except Exception as e:  # pragma: no cover - depends on the machine
        return f"PySpark cannot be imported here ({e}); install pyspark, pandas>=2.2,<3, pyarrow"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "PySpark needs Java (17 or newer) and none is installed here"
    return None


REASON = _spark_or_reason()
# Not silent: CI (IAMSIM_REQUIRE_SPARK=1) fails instead of skipping.
if REASON and os.environ.get("IAMSIM_REQUIRE_SPARK"):
    raise RuntimeError(REASON)
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    trace = tmp_path_factory.mktemp("spark-trace")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["IAMSIM_SPARK_TRACE"] = str(trace)
    s = (
        SparkSession.builder.master("local[2]")
        .appName("iamsim-test")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s, trace
    s.stop()
    os.environ.pop("IAMSIM_SPARK_TRACE", None)


def test_every_row_equals_iamsim_batch_and_compiles_once_per_worker(spark, run_cli, root, tmp_path):
    import iamsim.spark
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    session, trace = spark
    lines = []
    for line in (root / REQUESTS).read_text().splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and set(r) <= {"action", "resource", "context", "principal", "context_keys"} and all(
            isinstance(r.get(f), (str, type(None))) for f in ("action", "resource", "context", "principal")
        ) and isinstance(r.get("context_keys"), (dict, type(None))):
            lines.append(r)
    rows = (lines * (ROWS // len(lines) + 1))[:ROWS]
    data = [
        (i, r.get("action"), r.get("resource"), r.get("context"), r.get("principal"),
         None if r.get("context_keys") is None else json.dumps(r["context_keys"]))
        for i, r in enumerate(rows)
    ]
    schema = StructType([StructField("id", LongType())] + [StructField(c, StringType()) for c in ("action", "resource", "context", "principal", "context_keys")])
    df = session.createDataFrame(data, schema).repartition(8)

    out = iamsim.spark.evaluate(df, SCENARIO, passthrough=["id"])
    assert out.columns == ["decision", "statement", "rule", "missing", "error", "id"]
    got = sorted(out.collect(), key=lambda r: r["id"])
    assert [r["id"] for r in got] == list(range(ROWS))

    p = tmp_path / "in.jsonl"
    p.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows))
    cli = [json.loads(x) for x in run_cli("batch", "--scenario", SCENARIO, "-q", str(p)).stdout.decode().splitlines()]
    assert len(cli) == ROWS
    for r, want in zip(got, cli):
        for c in ("decision", "statement", "rule", "missing"):
            assert r[c] == want.get(c), (r["id"], c)
        assert (r["error"] is None) == ("error" not in want), r["id"]

    compiles = sorted(f.name.split("-")[1] for f in trace.iterdir() if f.name.startswith("compile-"))
    assert compiles, "no worker recorded a compilation"
    assert len(compiles) == len(set(compiles)), f"a worker compiled the scenario more than once: {compiles}"
    # 8 partitions of 40 batches each ran on at most 2 concurrent (reused) workers.
    assert len(set(compiles)) <= 4, compiles
