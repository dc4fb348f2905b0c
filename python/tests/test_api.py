"""Every call of the Python API, checked against the CLI where the CLI answers the same question."""

import json
import pickle

import pytest

import iamsim

FORCE_MFA = "testdata/mfa/force-mfa.json"
REQUESTS = "testdata/batch/requests.jsonl"
BATCH_SCENARIO = "testdata/batch/mfa-scenario.json"

INLINE = {
    "principal": "arn:aws:iam::111122223333:user/bob",
    "identity_policies": [
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Sid": "NoMfa",
                    "Effect": "Deny",
                    "NotAction": "iam:*",
                    "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                },
            ],
        }
    ],
}


def test_the_readme_assertion():
    s = iamsim.Scenario.from_file(FORCE_MFA)
    assert s.evaluate("s3:ListAllMyBuckets", context="access-keys").decision == "explicitDeny"
    assert s.evaluate("s3:ListAllMyBuckets", context="console-mfa").decision == "allowed"


def test_from_json_from_dict_and_from_file_agree(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(INLINE))
    for s in (
        iamsim.Scenario.from_dict(INLINE),
        iamsim.Scenario.from_json(json.dumps(INLINE)),
        iamsim.Scenario.from_file(path),
        iamsim.Scenario.from_file(str(path)),
    ):
        assert s.principal == "arn:aws:iam::111122223333:user/bob"
        e = s.evaluate("s3:GetObject", "arn:aws:s3:::b/k", context="access-keys")
        assert (e.decision, e.statements) == ("explicitDeny", ["identity_policies[0]#NoMfa"])
        assert not e.allowed
        assert s.evaluate("iam:ListUsers").allowed


def test_evaluate_fields():
    s = iamsim.Scenario.from_dict(INLINE)
    keys = {"aws:MultiFactorAuthPresent": True}
    assert s.evaluate("s3:GetObject", context="access-keys", context_keys=keys).decision == "allowed"
    # None removes a key the preset sets; a list is a multivalued key; numbers are their text.
    assert s.evaluate("s3:GetObject", context="console-mfa").decision == "allowed"
    gone = {"aws:MultiFactorAuthPresent": None}
    assert s.evaluate("s3:GetObject", context="console-mfa", context_keys=gone).decision == "explicitDeny"
    many = {"aws:TagKeys": ["a", "b"], "aws:MultiFactorAuthAge": 30}
    assert s.evaluate("s3:GetObject", context="console-mfa", context_keys=many).decision == "allowed"
    assert s.evaluate("s3:GetObject", principal="anonymous").decision == "implicitDeny"
    only_iam = {"identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}]}
    none = iamsim.Scenario.from_dict(only_iam).evaluate("s3:GetObject")
    assert (none.decision, none.statements, none.missing) == ("implicitDeny", [], "identity")


def test_to_dict_names_the_statement_with_its_position():
    d = iamsim.Scenario.from_file(FORCE_MFA).evaluate("s3:ListAllMyBuckets", context="access-keys").to_dict()
    assert d["decision"] == "explicitDeny"
    (st,) = d["statements"]
    assert st["label"] == "testdata/policies/force-mfa.json#DenyAllExceptListedIfNoMFA"
    assert (st["file"], st["line"], st["column"], st["effect"]) == ("testdata/policies/force-mfa.json", 34, 5, "Deny")
    assert d["missing"] is None and d["rule"] is None
    assert "explicitDeny" in repr(iamsim.Scenario.from_file(FORCE_MFA).evaluate("s3:X", context="access-keys"))


@pytest.mark.parametrize("action,context", [("s3:ListAllMyBuckets", "access-keys"), ("iam:ListUsers", "console")])
def test_explain_is_the_text_of_iamsim_eval(run_cli, action, context):
    ours = iamsim.Scenario.from_file(FORCE_MFA).evaluate(action, context=context).explain()
    cli = run_cli("eval", "--scenario", FORCE_MFA, "--action", action, "--context", context)
    text = cli.stdout.decode()
    assert text.endswith(ours), text
    assert ours.startswith("decision: ")


def test_evaluate_jsonl_is_iamsim_batch(run_cli, root):
    data = (root / REQUESTS).read_bytes()
    ours = iamsim.Scenario.from_file(BATCH_SCENARIO).evaluate_jsonl(data)
    cli = run_cli("batch", "--scenario", BATCH_SCENARIO, "-q", REQUESTS)
    assert cli.returncode in (0, 1), cli.stderr
    assert ours == cli.stdout
    assert len(ours.splitlines()) == len(data.splitlines())


def test_a_million_lines_through_evaluate_jsonl_equal_iamsim_batch(run_cli, root, tmp_path):
    lines = [x + b"\n" for x in (root / REQUESTS).read_bytes().split(b"\n") if x]
    data = b"".join((lines * (1_000_000 // len(lines) + 1))[:1_000_000])
    big = tmp_path / "big.jsonl"
    big.write_bytes(data)
    cli = run_cli("batch", "--scenario", BATCH_SCENARIO, "-q", str(big))
    ours = iamsim.Scenario.from_file(BATCH_SCENARIO).evaluate_jsonl(data)
    assert ours.count(b"\n") == 1_000_000
    assert ours == cli.stdout


def test_mfa_audit_is_iamsim_mfa_json(run_cli):
    cli = run_cli("mfa", "--scenario", FORCE_MFA, "--format", "json")
    expected = json.loads(cli.stdout)
    for got in (iamsim.mfa_audit(FORCE_MFA), iamsim.mfa_audit(iamsim.Scenario.from_file(FORCE_MFA))):
        assert got == expected
    assert iamsim.Scenario.from_file(FORCE_MFA).mfa_audit()["rows"] == expected["rows"]


def test_lint_text_and_path(run_cli, tmp_path):
    bad = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Alow", "Action": "*", "Resource": "*"}]}'
    (d,) = iamsim.lint(bad)
    assert (d["severity"], d["code"], d["line"], d["column"]) == ("error", "invalid-effect", 2, 27)
    assert d["path"] == "Statement[0].Effect" and d["help"] == 'did you mean "Allow"?'
    p = tmp_path / "p.json"
    p.write_text(bad)
    assert [x["file"] for x in iamsim.lint(p)] == [str(p)]
    cli = json.loads(run_cli("lint", "--format", "json", str(p)).stdout)
    assert iamsim.lint(str(p)) == cli["diagnostics"]
    assert iamsim.lint(bad.encode()) == iamsim.lint(bad)
    assert iamsim.lint("testdata/policies/admin.json") == []
    scp = iamsim.lint('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}', kind="scp")
    assert isinstance(scp, list)
    with pytest.raises(ValueError, match="unknown policy kind"):
        iamsim.lint("{}", kind="bucket")


def test_lint_reports_mfa_anti_patterns_as_the_cli_does(run_cli):
    f = "testdata/lint/mfa/deny-bool.json"
    got = iamsim.lint(f)
    assert [(d["code"], d["line"], d["column"]) for d in got] == [("MFA001", 24, 18)]
    assert got == json.loads(run_cli("lint", "--format", "json", f).stdout)["diagnostics"]


def test_pickle_round_trip_compiles_the_same_scenario():
    for s in (iamsim.Scenario.from_file(FORCE_MFA), iamsim.Scenario.from_dict(INLINE)):
        t = pickle.loads(pickle.dumps(s))
        assert t.to_json() == s.to_json() and t.origin == s.origin
        assert t.evaluate("s3:X", context="access-keys").decision == s.evaluate("s3:X", context="access-keys").decision


def test_presets_are_the_cli_presets():
    assert "access-keys" in iamsim.PRESETS and "none" in iamsim.PRESETS
    s = iamsim.Scenario.from_dict(INLINE)
    for p in iamsim.PRESETS:
        assert s.evaluate("iam:ListUsers", context=p).decision in ("allowed", "explicitDeny", "implicitDeny")
