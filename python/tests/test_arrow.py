"""Scenario.evaluate_batch: Arrow in, Arrow out, the decisions of `iamsim batch` row for row."""

import json

import pyarrow as pa
import pytest

import iamsim

SCENARIO = "testdata/batch/mfa-scenario.json"
REQUESTS = "testdata/batch/requests.jsonl"
OUT = ["decision", "statement", "rule", "missing", "error"]
FIELDS = ["action", "resource", "context", "principal"]


def request_rows(root):
    """The lines of requests.jsonl an Arrow table can hold (objects with string fields), with
    their line numbers."""
    rows = []
    for n, line in enumerate((root / REQUESTS).read_text().splitlines(), 1):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if not isinstance(r, dict) or set(r) - {*FIELDS, "context_keys"}:
            continue
        if all(isinstance(r.get(f), (str, type(None))) for f in FIELDS) and isinstance(r.get("context_keys"), (dict, type(None))):
            rows.append((n, r))
    return rows


def text(v):
    """A context-key value as map<string, list<string>> holds it."""
    vs = v if isinstance(v, list) else [v]
    return [("true" if x else "false") if isinstance(x, bool) else None if x is None else str(x) for x in vs]


def table(rows, keys="json"):
    cols = {f: pa.array([r.get(f) for r in rows], pa.string()) for f in FIELDS}
    if keys == "json":
        cols["context_keys"] = pa.array([None if r.get("context_keys") is None else json.dumps(r["context_keys"]) for r in rows], pa.string())
    else:
        mt = pa.map_(pa.string(), pa.list_(pa.string()))
        cols["context_keys"] = pa.array([None if r.get("context_keys") is None else [(k, text(v)) for k, v in r["context_keys"].items()] for r in rows], mt)
    return pa.table(cols)


def as_lines(rows, keys="json"):
    out = []
    for r in rows:
        r = {k: v for k, v in r.items() if v is not None}
        if keys == "map" and "context_keys" in r:
            r["context_keys"] = {k: text(v) for k, v in r["context_keys"].items()}
        out.append(json.dumps(r))
    return ("\n".join(out) + "\n").encode()


def cli_columns(run_cli, data, tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(data)
    res = run_cli("batch", "--scenario", SCENARIO, "-q", str(p))
    assert res.returncode in (0, 1), res.stderr
    lines = [json.loads(x) for x in res.stdout.decode().splitlines()]
    return {c: [x.get(c) for x in lines] for c in OUT}


def decided(cols):
    """Errors name positions in the line's text, which differs between the two inputs."""
    return {**cols, "error": [e is not None for e in cols["error"]]}


@pytest.mark.parametrize("keys", ["json", "map"])
def test_rows_decide_as_iamsim_batch(run_cli, root, tmp_path, keys):
    rows = [r for _, r in request_rows(root)]
    assert len(rows) >= 15
    got = iamsim.Scenario.from_file(SCENARIO).evaluate_batch(table(rows, keys))
    assert isinstance(got, pa.RecordBatch)
    assert got.schema.names == OUT and all(t == pa.string() for t in got.schema.types)
    assert decided(got.to_pydict()) == decided(cli_columns(run_cli, as_lines(rows, keys), tmp_path))


def test_the_same_requests_as_the_cli_reads_them(run_cli, root):
    numbered = request_rows(root)
    got = iamsim.Scenario.from_file(SCENARIO).evaluate_batch(table([r for _, r in numbered]))
    cli = [json.loads(x) for x in run_cli("batch", "--scenario", SCENARIO, "-q", REQUESTS).stdout.decode().splitlines()]
    for i, (n, _) in enumerate(numbered):
        want = cli[n - 1]
        for c in ["decision", "statement", "rule", "missing"]:
            assert got.column(c)[i].as_py() == want.get(c), (n, c)


def test_a_million_rows_equal_iamsim_batch(run_cli, root, tmp_path):
    rows = [r for _, r in request_rows(root)]
    rows = (rows * (1_000_000 // len(rows) + 1))[:1_000_000]
    got = iamsim.Scenario.from_file(SCENARIO).evaluate_batch(table(rows))
    assert got.num_rows == 1_000_000
    assert decided(got.to_pydict()) == decided(cli_columns(run_cli, as_lines(rows), tmp_path))


def test_passthrough_streams_chunks_and_layouts(root):
    s = iamsim.Scenario.from_file(SCENARIO)
    rows = [r for _, r in request_rows(root)]
    t = table(rows).append_column("eventID", pa.array(range(len(rows)), pa.int64()))
    one = s.evaluate_batch(t, passthrough=["eventID", "action"])
    assert one.schema.names == OUT + ["eventID", "action"]
    assert one.column("eventID").to_pylist() == list(range(len(rows)))
    assert one.schema.field("eventID").type == pa.int64()
    # A table of many chunks (a stream of batches) gives one batch with every row in order.
    chunked = pa.Table.from_batches(t.to_batches(max_chunksize=4))
    assert chunked.column(0).num_chunks > 1
    assert s.evaluate_batch(chunked, passthrough=["eventID"]).column("eventID").to_pylist() == list(range(len(rows)))
    # An object with only __arrow_c_array__, large strings, dictionary-encoded strings.
    class ArrayOnly:
        def __init__(self, b):
            self.b = b

        def __arrow_c_array__(self, requested_schema=None):
            return self.b.__arrow_c_array__(requested_schema)

    batch = t.combine_chunks().to_batches()[0]
    assert s.evaluate_batch(ArrayOnly(batch)).column("decision") == one.column("decision")
    large = t.cast(pa.schema([pa.field(f.name, pa.large_string() if f.type == pa.string() else f.type) for f in t.schema]))
    assert s.evaluate_batch(large).column("decision") == one.column("decision")
    dict_action = t.set_column(0, "action", pa.chunked_array([c.dictionary_encode() for c in t.column("action").chunks]))
    assert s.evaluate_batch(dict_action).column("decision") == one.column("decision")
    # Only an action column: the rest take their defaults.
    only = s.evaluate_batch(pa.table({"action": ["iam:ListUsers", "s3:GetObject"]}))
    assert only.num_rows == 2 and None not in only.column("decision").to_pylist()
    empty = s.evaluate_batch(t.slice(0, 0), passthrough=["eventID"])
    assert empty.num_rows == 0 and empty.schema.names == OUT + ["eventID"]


def test_bad_input_is_an_error_before_any_row():
    s = iamsim.Scenario.from_file(SCENARIO)
    with pytest.raises(ValueError, match='needs an "action" column'):
        s.evaluate_batch(pa.table({"resource": ["*"]}))
    with pytest.raises(ValueError, match='passthrough column "nope"'):
        s.evaluate_batch(pa.table({"action": ["s3:GetObject"]}), passthrough=["nope"])
    with pytest.raises(ValueError, match="output column"):
        s.evaluate_batch(pa.table({"action": ["s3:GetObject"], "error": ["x"]}), passthrough=["error"])
    with pytest.raises(ValueError, match='column "action" must be strings'):
        s.evaluate_batch(pa.table({"action": [1]}))
    with pytest.raises(TypeError, match="Arrow object"):
        s.evaluate_batch([{"action": "s3:GetObject"}])


def test_context_keys_text_cannot_set_other_fields():
    s = iamsim.Scenario.from_file(SCENARIO)
    t = pa.table({
        "action": ["s3:ListAllMyBuckets"] * 3,
        "context": ["access-keys"] * 3,
        "context_keys": ['{}, "context": "console-mfa"', "[1]", '{"aws:SourceIp": "203.0.113.7"}'],
    })
    out = s.evaluate_batch(t).to_pydict()
    assert out["decision"] == [None, None, "explicitDeny"]
    assert out["error"][0].startswith("context_keys is not a JSON object")
    assert out["error"][1].startswith("context_keys is not a JSON object")
    assert out["error"][2] is None
    # Malformed inside the braces: the batch reader's own error, as iamsim batch reports it.
    bad = s.evaluate_batch(pa.table({"action": ["s3:GetObject"], "context_keys": ['{"a": }']}))
    assert bad.column("decision")[0].as_py() is None and bad.column("error")[0].as_py()
