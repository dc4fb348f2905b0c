"""Arrow from other engines: a Polars DataFrame and a DuckDB relation go into evaluate_batch
through the Arrow PyCapsule interface and come out decided exactly as the same rows from
pyarrow (which test_arrow.py checks against `iamsim batch`); the Ray Data helper's per-actor
callable decides the same way, and with Ray installed a real Dataset runs through it."""

import os

import pyarrow as pa
import pytest

import iamsim
from test_arrow import SCENARIO, decided, request_rows, table

OUT = ["decision", "statement", "rule", "missing", "error"]


def reference(root):
    rows = [r for _, r in request_rows(root)]
    t = table(rows, "json")
    return t, decided(iamsim.Scenario.from_file(SCENARIO).evaluate_batch(t).to_pydict())


def test_a_polars_dataframe_is_decided_as_its_pyarrow_rows(root):
    pl = pytest.importorskip("polars")
    t, want = reference(root)
    df = pl.from_arrow(t)
    assert not isinstance(df, pa.Table)
    got = iamsim.Scenario.from_file(SCENARIO).evaluate_batch(df)
    assert decided(got.to_pydict()) == want
    # And back into Polars, as a pipeline would.
    assert pl.from_arrow(got).columns == OUT


def test_a_duckdb_relation_is_decided_as_its_pyarrow_rows(root):
    duckdb = pytest.importorskip("duckdb")
    t, want = reference(root)
    con = duckdb.connect()
    con.register("requests", t)
    # A query result, not the registered table: what a user holds after SQL over a trail.
    rel = con.sql("SELECT action, resource, context, principal, context_keys FROM requests")
    got = iamsim.Scenario.from_file(SCENARIO).evaluate_batch(rel)
    assert decided(got.to_pydict()) == want


def test_the_ray_batch_callable_decides_each_batch_like_evaluate_batch(root, tmp_path):
    from iamsim.ray import BatchEvaluator, _shipped

    t, want = reference(root)
    ids = pa.array([f"e{i}" for i in range(t.num_rows)])
    t = t.append_column("eventID", ids)
    # The actor is built as Ray builds it: from the shipped text, in another directory.
    text, origin = _shipped(SCENARIO)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        ev = BatchEvaluator(text, origin, ("eventID",), cwd)
    finally:
        os.chdir(cwd)
    # Ray hands tables in several chunks.
    half = t.num_rows // 2
    chunked = pa.concat_tables([t.slice(0, half), t.slice(half)])
    assert chunked.column("action").num_chunks == 2
    got = ev(chunked)
    assert isinstance(got, pa.Table)
    assert got.column_names == OUT + ["eventID"]
    assert decided({c: got.column(c).to_pylist() for c in OUT}) == want
    assert got.column("eventID").to_pylist() == ids.to_pylist()


def test_a_ray_dataset_is_decided_on_actors(root):
    ray = pytest.importorskip("ray")
    import iamsim.ray

    t, want = reference(root)
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        ds = ray.data.from_arrow(t).repartition(3)
        # The default pool: it must not wait for CPUs the read tasks hold (a fixed pool of two
        # actors on two CPUs did).
        decided_ds = iamsim.ray.evaluate(ds, SCENARIO)
        out = pa.concat_tables(ray.get(decided_ds.to_arrow_refs()))
    finally:
        ray.shutdown()
    assert out.column_names == OUT
    # Ray may reorder blocks: compare the decisions as multisets.
    got = decided({c: out.column(c).to_pylist() for c in OUT})
    assert sorted(zip(*[got[c] for c in OUT]), key=repr) == sorted(zip(*[want[c] for c in OUT]), key=repr)


def test_a_worker_elsewhere_labels_absolute_references_as_the_driver_does(root, tmp_path):
    from iamsim.ray import BatchEvaluator, _shipped

    # The driver runs in tmp_path with a relative scenario path whose policy is named by an
    # absolute path; the worker runs elsewhere. Both must label the statement the same way.
    (tmp_path / "pol").mkdir()
    admin = tmp_path / "pol" / "admin.json"
    admin.write_text((root / "testdata/policies/admin.json").read_text())
    (tmp_path / "s.json").write_text('{"identity_policies": [{"file": "%s"}]}' % admin)
    elsewhere = tmp_path / "w"
    elsewhere.mkdir()
    t = pa.table({"action": ["s3:GetObject"]})
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        want = iamsim.Scenario.from_file("s.json").evaluate_batch(t).column("statement").to_pylist()
        text, origin = _shipped("s.json")
        os.chdir(elsewhere)
        ev = BatchEvaluator(text, origin, (), str(tmp_path))
    finally:
        os.chdir(cwd)
    assert want[0].startswith(str(admin)), want
    assert ev(t).column("statement").to_pylist() == want
