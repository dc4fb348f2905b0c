"""Type stubs of the iamsim package (the extension module iamsim._iamsim and its wrappers)."""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

ContextValue = Union[str, bool, int, float, None, Sequence[Union[str, bool, int, float]]]

#: The request-context preset names ``context=`` accepts.
PRESETS: Tuple[str, ...]
#: The policy kinds ``lint(kind=...)`` accepts.
KINDS: Tuple[str, ...]

class InputError(ValueError):
    """Bad input (a scenario, a policy), with its position."""

    file: str
    """The file (or ``"scenario"`` for JSON text)."""
    line: int
    """1-based line; 0 when the error has no position."""
    column: int
    """1-based column; 0 when the error has no position."""
    path: str
    """The JSON path of the offending element, e.g. ``identity_policies[0].Statement[1].Effect``."""
    message: str
    """What is wrong, without the position."""

class Evaluation:
    """The answer to one request."""

    decision: str
    """``"allowed"``, ``"explicitDeny"`` or ``"implicitDeny"``."""
    statements: List[str]
    """The deciding statements as ``policy#Sid`` labels (the explicit deny, or the allows)."""
    missing: Optional[str]
    """For an implicit deny: the layer without an allow (e.g. ``"identity"``, ``"scp:1"``)."""
    rule: Optional[str]
    """A service rule outside the policies that decided the request."""
    @property
    def allowed(self) -> bool:
        """``decision == "allowed"``."""
    def explain(self) -> str:
        """The explanation ``iamsim eval`` prints: reason, deciding statements, near misses."""
    def to_dict(self) -> Dict[str, Any]:
        """``{"decision", "statements": [{"label", "policy", "sid", "index", "effect", "layer",
        "file", "line", "column"}], "missing", "rule"}``."""

class Scenario:
    """A compiled scenario (the scenario fields of a case file). Thread-safe; picklable."""

    @staticmethod
    def from_file(path: Union[str, "os.PathLike[str]"]) -> "Scenario":
        """A scenario file; ``{"file"}`` references are relative to it."""
    @staticmethod
    def from_json(text: str) -> "Scenario":
        """A scenario from JSON text (references relative to the current directory)."""
    @staticmethod
    def from_dict(obj: Mapping[str, Any]) -> "Scenario":
        """A scenario from a dict shaped like a scenario file."""
    @property
    def principal(self) -> str:
        """The scenario's principal ARN."""
    @property
    def origin(self) -> Optional[str]:
        """The file the scenario was read from, if any."""
    def to_json(self) -> str:
        """The scenario's JSON text (what ``iamsim.spark`` ships to workers)."""
    def evaluate(
        self,
        action: str,
        resource: str = "*",
        principal: Optional[str] = None,
        context: str = "none",
        context_keys: Optional[Mapping[str, ContextValue]] = None,
    ) -> Evaluation:
        """Decides one request. ``context`` is a preset name (:data:`PRESETS`);
        ``context_keys`` values override the preset's (a list is a multivalued key, ``None``
        removes a key)."""
    def evaluate_jsonl(self, data: bytes) -> bytes:
        """Evaluates JSON lines; returns exactly what ``iamsim batch`` writes for them."""
    def evaluate_batch(self, batch: Any, passthrough: Optional[Sequence[str]] = None) -> Any:
        """Evaluates an Arrow record batch, table or stream (anything with
        ``__arrow_c_stream__`` or ``__arrow_c_array__``: pyarrow, Polars, DuckDB) with columns
        ``action``, ``resource``, ``principal``, ``context`` (strings) and ``context_keys``
        (JSON text or ``map<string, list<string>>``). Returns a ``pyarrow.RecordBatch`` with
        ``decision``, ``statement``, ``rule``, ``missing``, ``error`` (plain strings) and the
        ``passthrough`` columns; the decisions of ``iamsim batch``, row for row."""
    def mfa_audit(self) -> Dict[str, Any]:
        """The MFA-enforcement audit (``iamsim mfa --format json``)."""

def mfa_audit(scenario_or_path: Union[Scenario, str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """The MFA-enforcement audit of a scenario (``iamsim mfa --format json``)."""

def lint(
    text_or_path: Union[str, bytes, "os.PathLike[str]"],
    kind: str = "auto",
    *,
    aws_managed: bool = False,
    scp_legacy: bool = False,
) -> List[Dict[str, Any]]:
    """Validates a policy document; returns ``iamsim lint --format json``'s diagnostics."""
