"""The pyarrow side of Scenario.evaluate_batch: one RecordBatch from the extension's batches."""

import pyarrow as pa


def record_batch(holders):
    """Imports the Arrow batches the extension exported (``__arrow_c_array__``) as one
    ``pyarrow.RecordBatch``."""
    batches = [pa.record_batch(h) for h in holders]
    if len(batches) == 1:
        return batches[0]
    if hasattr(pa, "concat_batches"):
        return pa.concat_batches(batches)
    table = pa.Table.from_batches(batches).combine_chunks()
    out = table.to_batches()
    return out[0] if len(out) == 1 else pa.RecordBatch.from_pylist([], schema=table.schema)
