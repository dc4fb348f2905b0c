"""iamsim: a local AWS IAM policy evaluation simulator.

Compile a scenario once and decide requests exactly as AWS documents it::

    import iamsim
    s = iamsim.Scenario.from_file("testdata/mfa/force-mfa.json")
    assert s.evaluate("s3:ListAllMyBuckets", context="access-keys").decision == "explicitDeny"

``Scenario.evaluate_jsonl`` and ``Scenario.evaluate_batch`` (Arrow) decide many requests at
once with the same output as ``iamsim batch``; ``iamsim.spark`` runs that inside Spark and
``iamsim.ray`` inside Ray Data.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Union

from ._iamsim import PRESETS, Evaluation, InputError, Scenario, _lint_text, _read_text
from ._iamsim import mfa_audit as _mfa_audit

__all__ = ["Scenario", "Evaluation", "InputError", "mfa_audit", "lint", "PRESETS", "KINDS"]


#: The policy kinds ``lint(kind=...)`` accepts.
KINDS = ("auto", "identity", "boundary", "session", "scp", "rcp", "resource")


def mfa_audit(scenario_or_path: Union[Scenario, str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """The MFA-enforcement audit of a scenario's principal: the structure
    ``iamsim mfa --format json`` prints."""
    if isinstance(scenario_or_path, Scenario):
        return scenario_or_path.mfa_audit()
    return _mfa_audit(os.fspath(scenario_or_path))


def _looks_like_text(s: str) -> bool:
    t = s.lstrip()
    return t.startswith("{") or t.startswith("[") or "\n" in s


def lint(
    text_or_path: Union[str, bytes, "os.PathLike[str]"],
    kind: str = "auto",
    *,
    aws_managed: bool = False,
    scp_legacy: bool = False,
) -> List[Dict[str, Any]]:
    """Validates one policy document, as ``iamsim lint --format json`` does, and returns its
    diagnostics: dicts with ``severity``, ``code``, ``message``, ``file``, ``line``,
    ``column``, ``path`` and (when there is one) ``help``, sorted by position.

    ``text_or_path`` is the document's text (a str starting with ``{``, or bytes) or a path.
    ``kind`` is one of :data:`KINDS` (``auto``: resource-based when a statement has a
    ``Principal``)."""
    if isinstance(text_or_path, bytes):
        return _lint_text(text_or_path.decode("utf-8"), "<text>", kind, aws_managed, scp_legacy)
    if isinstance(text_or_path, str) and _looks_like_text(text_or_path):
        return _lint_text(text_or_path, "<text>", kind, aws_managed, scp_legacy)
    path = os.fspath(text_or_path)
    return _lint_text(_read_text(path), path, kind, aws_managed, scp_legacy)
