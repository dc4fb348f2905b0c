"""Errors are exceptions: bad input raises iamsim.InputError with file, line, column, path, message."""

import pytest

import iamsim


def test_a_bad_scenario_file_names_file_line_and_column(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{\n  "identity_policies": [\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Alow", "Action": "*", "Resource": "*"}]}\n  ]\n}\n')
    with pytest.raises(iamsim.InputError) as e:
        iamsim.Scenario.from_file(p)
    err = e.value
    assert err.file == str(p)
    assert (err.line, err.column) == (3, 56)
    assert "Effect" in err.path and "Alow" in err.message
    assert str(err).startswith(f"{p}:3:56: ")
    assert isinstance(err, ValueError)


def test_json_text_errors_have_positions():
    with pytest.raises(iamsim.InputError) as e:
        iamsim.Scenario.from_json('{"principal": "arn:aws:iam::111122223333:user/a",\n "principal": "x"}')
    assert e.value.file == "scenario" and e.value.line == 2 and "duplicate" in e.value.message.lower()
    with pytest.raises(iamsim.InputError) as e:
        iamsim.Scenario.from_json("{\u201cprincipal\u201d: 1}")  # curly quotes get a hint
    assert (e.value.line, e.value.column) == (1, 2)
    with pytest.raises(iamsim.InputError):
        iamsim.Scenario.from_json('{"tests": []}')


def test_a_missing_file_is_an_input_error():
    with pytest.raises(iamsim.InputError) as e:
        iamsim.Scenario.from_file("no/such/file.json")
    assert e.value.file == "no/such/file.json"
    with pytest.raises(OSError):
        iamsim.lint("no/such/policy.json")


def test_from_dict_wants_a_dict():
    with pytest.raises(TypeError):
        iamsim.Scenario.from_dict([1, 2])
    with pytest.raises(iamsim.InputError) as e:
        iamsim.Scenario.from_dict({"identity_policies": [{"Version": 5}]})
    assert e.value.line > 0 and e.value.path


def test_bad_requests_are_value_errors():
    s = iamsim.Scenario.from_file("testdata/mfa/force-mfa.json")
    with pytest.raises(ValueError, match="service:Action"):
        s.evaluate("nonsense")
    with pytest.raises(ValueError, match="unknown context preset"):
        s.evaluate("s3:GetObject", context="acess-keys")
    with pytest.raises(ValueError, match="invalid principal"):
        s.evaluate("s3:GetObject", principal="bob")
    with pytest.raises(ValueError):
        s.evaluate("s3:GetObject", context_keys={"aws:CurrentTime": "garbage"})
    with pytest.raises(TypeError):
        s.evaluate("s3:GetObject", context_keys={"aws:SourceIp": {"a": 1}})
    with pytest.raises(TypeError):
        iamsim.mfa_audit(42)
