"""iamsim inside Ray Data: ``evaluate(ds, scenario)`` decides every row of a Ray ``Dataset``
with ``map_batches`` over Arrow batches.

Each Ray actor builds one :class:`BatchEvaluator`, which compiles the scenario once (from its
JSON text, as ``iamsim.spark`` ships it) and then decides every batch handed to it. Needs
``ray[data]`` (2.9 or newer, for ``concurrency=``) and ``pyarrow``; iamsim must be installed
where the actors run.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from . import Scenario
from ._iamsim import _scenario_from_source
from ._ship import shipped as _shipped

__all__ = ["evaluate", "BatchEvaluator"]


class BatchEvaluator:
    """What each Ray actor runs: compiles the scenario once, then decides each batch (a
    ``pyarrow.Table`` or anything Arrow) into a ``pyarrow.Table`` with the columns of
    :meth:`iamsim.Scenario.evaluate_batch`."""

    def __init__(
        self,
        text: str,
        origin: Optional[str],
        passthrough: Sequence[str] = (),
        driver_cwd: Optional[str] = None,
    ):
        # The origin stays as given (statement labels are named after it, as in `iamsim
        # batch`); an actor in another working directory reads the files under the driver's.
        self._scenario = _scenario_from_source(text, origin, driver_cwd)
        self._passthrough = list(passthrough)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        out = self._scenario.evaluate_batch(batch, self._passthrough)
        return pa.Table.from_batches([out])


def evaluate(
    ds: Any,
    scenario: Union[Scenario, str, "os.PathLike[str]", Dict[str, Any]],
    passthrough: Sequence[str] = (),
    concurrency: Union[int, Tuple[int, int], None] = None,
) -> Any:
    """Decides every row of the Ray ``Dataset`` ``ds`` (columns ``action`` and optionally
    ``resource``, ``principal``, ``context``, ``context_keys``) and returns the Dataset of
    decisions: the columns ``decision``, ``statement``, ``rule``, ``missing``, ``error`` and the
    ``passthrough`` columns, as ``iamsim batch`` decides them.

    ``concurrency`` is Ray's: a number of actors or a ``(min, max)`` range. The default is an
    autoscaling pool from 1 to the cluster's CPUs, which starts with one actor: a fixed pool
    as large as the cluster would leave no CPU for the tasks that read the input, and wait."""
    text, origin = _shipped(scenario)
    if concurrency is None:
        import ray

        cpus = int(ray.cluster_resources().get("CPU", 1))
        concurrency = (1, max(1, cpus))
    return ds.map_batches(
        BatchEvaluator,
        fn_constructor_args=(text, origin, tuple(passthrough), os.getcwd()),
        batch_format="pyarrow",
        concurrency=concurrency,
    )
