from typing import Any, Dict, Sequence, Tuple, Union
import os

from . import Scenario

REQUEST_COLUMNS: Tuple[str, ...]
OUTPUT_COLUMNS: Tuple[str, ...]

def output_schema(df_schema: Any, passthrough: Sequence[str] = ()) -> Any: ...
def evaluate(
    df: Any,
    scenario: Union[Scenario, str, "os.PathLike[str]", Dict[str, Any]],
    passthrough: Sequence[str] = (),
) -> Any:
    """Decides every row of a Spark DataFrame via mapInArrow; returns a DataFrame with the
    string columns decision, statement, rule, missing, error and the passthrough columns."""
