"""The ```python examples of docs/python.md and README.md run, from the repository root, so
they cannot go stale. Blocks tagged ```python spark need a Spark cluster and CloudTrail files:
they are compiled (syntax-checked) only; the Spark path itself is tested in test_spark.py."""

import re

import pytest

from conftest import ROOT

BLOCK = re.compile(r"^```python( spark)?\n(.*?)^```", re.M | re.S)


def blocks():
    for name in ("docs/python.md", "README.md"):
        text = (ROOT / name).read_text()
        for m in BLOCK.finditer(text):
            line = text[: m.start()].count("\n") + 1
            yield pytest.param(bool(m.group(1)), m.group(2), id=f"{name}:{line}")


@pytest.mark.parametrize("spark,code", list(blocks()))
def test_example_runs(spark, code):
    compiled = compile(code, "<doc>", "exec")
    if not spark:
        exec(compiled, {"__name__": "__doc_example__"})


def test_the_docs_have_examples():
    assert len(list(blocks())) >= 5
