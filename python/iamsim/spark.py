"""iamsim inside Spark: ``evaluate(df, scenario)`` decides every row of a DataFrame with
``mapInArrow``, so the rows stay Arrow batches end to end and Spark spreads the work.

The scenario is shipped to the workers as its JSON text (and the name of its file, for
``{"file"}`` references, which must then be readable on the workers) and compiled once per
Python worker process, however many partitions and batches that process evaluates.

Needs ``pyspark`` (3.5 or newer), ``pyarrow`` and ``pandas>=2.2,<3`` (mapInArrow's
requirements), and the iamsim package installed on the workers' interpreter
(``PYSPARK_PYTHON``).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Iterator, Optional, Sequence, Tuple, Union

from . import Scenario
from ._iamsim import _scenario_from_source
from ._ship import shipped

__all__ = ["evaluate", "output_schema", "REQUEST_COLUMNS", "OUTPUT_COLUMNS"]

#: The input columns read (only ``action`` is required).
REQUEST_COLUMNS = ("action", "resource", "principal", "context", "context_keys")
#: The output columns, before the passthrough columns.
OUTPUT_COLUMNS = ("decision", "statement", "rule", "missing", "error")

# Per Python worker process: the compiled scenarios, by (JSON text, origin, driver directory).
_compiled: Dict[Tuple[str, Optional[str], Optional[str]], Scenario] = {}


def _trace(event: str) -> None:
    """With IAMSIM_SPARK_TRACE set to a directory, each worker records what it did there
    (one file per event: the tests count compilations per process with it)."""
    d = os.environ.get("IAMSIM_SPARK_TRACE")
    if d:
        with open(os.path.join(d, f"{event}-{os.getpid()}-{os.urandom(4).hex()}"), "w"):
            pass


def _scenario(text: str, origin: Optional[str], root: Optional[str] = None) -> Scenario:
    key = (text, origin, root)
    s = _compiled.get(key)
    if s is None:
        s = _scenario_from_source(text, origin, root)
        _compiled[key] = s
        _trace("compile")
    return s


def output_schema(df_schema: Any, passthrough: Sequence[str] = ()) -> Any:
    """The Spark schema ``evaluate`` returns for a DataFrame schema."""
    from pyspark.sql.types import StringType, StructField, StructType

    fields = [StructField(c, StringType(), True) for c in OUTPUT_COLUMNS]
    fields += [df_schema[p] for p in passthrough]
    return StructType(fields)


def evaluate(
    df: Any,
    scenario: Union[Scenario, str, "os.PathLike[str]", Dict[str, Any]],
    passthrough: Sequence[str] = (),
) -> Any:
    """Decides every row of ``df`` (columns ``action``, and optionally ``resource``,
    ``principal``, ``context``, ``context_keys`` as a JSON string or
    ``map<string, array<string>>``) and returns a DataFrame with the string columns
    ``decision``, ``statement``, ``rule``, ``missing``, ``error`` and the ``passthrough``
    columns: the decisions of ``iamsim batch``, row for row.

    ``scenario`` is a :class:`iamsim.Scenario`, a scenario file or a scenario dict."""
    text, origin = shipped(scenario)
    # The origin stays as given (statement labels are named after it, as in `iamsim batch`);
    # a worker whose working directory differs finds the file under the driver's.
    driver_cwd = os.getcwd()
    passthrough = list(passthrough)
    names = df.columns
    if "action" not in names:
        raise ValueError(f'iamsim.spark.evaluate needs an "action" column; the DataFrame has {names}')
    for p in passthrough:
        if p not in names:
            raise ValueError(f'passthrough column "{p}" is not in the DataFrame; it has {names}')
    wanted = [c for c in REQUEST_COLUMNS if c in names]
    wanted += [p for p in passthrough if p not in wanted]
    schema = output_schema(df.schema, passthrough)

    def run(batches: Iterable[Any]) -> Iterator[Any]:
        # The origin stays as given (statement labels are named after it); a worker in another
        # working directory reads the files under the driver's.
        s = _scenario(text, origin, driver_cwd)
        for b in batches:
            yield s.evaluate_batch(b, passthrough)

    return df.select(*wanted).mapInArrow(run, schema)
