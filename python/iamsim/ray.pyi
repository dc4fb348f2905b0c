from typing import Any, Dict, Optional, Sequence, Tuple, Union
import os

from . import Scenario

class BatchEvaluator:
    """Compiles the scenario once per Ray actor; decides each Arrow batch into a pyarrow.Table."""
    def __init__(
        self,
        text: str,
        origin: Optional[str],
        passthrough: Sequence[str] = (),
        driver_cwd: Optional[str] = None,
    ) -> None: ...
    def __call__(self, batch: Any) -> Any: ...

def evaluate(
    ds: Any,
    scenario: Union[Scenario, str, "os.PathLike[str]", Dict[str, Any]],
    passthrough: Sequence[str] = (),
    concurrency: Union[int, Tuple[int, int], None] = None,
) -> Any:
    """Decides every row of a Ray Dataset with map_batches over Arrow batches."""
