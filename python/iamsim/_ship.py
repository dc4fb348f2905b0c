"""What iamsim.spark and iamsim.ray send to their workers: a scenario as (JSON text, origin)."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple, Union

from ._iamsim import Scenario


def shipped(
    scenario: Union[Scenario, str, "os.PathLike[str]", Dict[str, Any]],
) -> Tuple[str, Optional[str]]:
    """The scenario (a Scenario, a scenario file or a dict) as its JSON text and the name of
    its file, which workers compile with ``_scenario_from_source`` (the origin stays as given:
    statement labels are named after it, as in ``iamsim batch``)."""
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    elif not isinstance(scenario, Scenario):
        scenario = Scenario.from_file(os.fspath(scenario))
    return scenario.to_json(), scenario.origin
