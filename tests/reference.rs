//! Property tests: the compiled decision graph agrees with a plain reference evaluator that
//! walks every statement with regex-based matchers, and the wildcard matcher agrees with a regex
//! oracle. Evaluation invariants (explicit deny wins, guardrails never grant) are checked too.

use iamsim::compile::{PolicySet, Scenario, Wildcard};
use iamsim::context::{build_context, Preset, Principal};
use iamsim::eval::{Decision, Request};
use iamsim::policy::{parse_policy_text, ParseOptions, Policy, PolicyKind};
use proptest::prelude::*;

/// Glob to an anchored regex: `*` any run, `?` one character.
fn glob_regex(p: &str, case_insensitive: bool) -> regex::Regex {
    let mut r = String::from(if case_insensitive { "(?is)^" } else { "(?s)^" });
    for c in p.chars() {
        match c {
            '*' => r.push_str(".*"),
            '?' => r.push('.'),
            c => r.push_str(&regex::escape(&c.to_string())),
        }
    }
    r.push('$');
    regex::Regex::new(&r).unwrap()
}

/// The reference: every statement, action and resource matched by regex, in order.
fn reference(set: &PolicySet, req: &Request<'_>, ctx: &iamsim::compile::Slots) -> Decision {
    set.decide_with(req, ctx, |id, req| {
        let (_, _, pi, si) = set.statement_info(id);
        let st = &set.policies()[pi].policy.statements[si];
        let hit = st
            .action
            .patterns
            .iter()
            .any(|p| p == "*" || glob_regex(p, true).is_match(req.action));
        if hit == st.action.negated {
            return None;
        }
        if let Some(r) = &st.resource {
            let service = req.action.split(':').next().unwrap().to_ascii_lowercase();
            let covers = r.patterns.iter().any(|p| {
                if p == "*" {
                    return true;
                }
                if req.resource == "*" {
                    let parts: Vec<&str> = p.splitn(6, ':').collect();
                    return parts.len() == 6
                        && matches!(parts[3], "" | "*")
                        && matches!(parts[4], "" | "*")
                        && parts[5] == "*"
                        && glob_regex(parts[2], true).is_match(&service);
                }
                glob_regex(p, false).is_match(req.resource)
            });
            if covers == r.negated {
                return None;
            }
        }
        set.principal_and_conditions(id, req, ctx)
    })
    .decision
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListAllMyBuckets",
    "ec2:RunInstances",
    "iam:CreateUser",
    "iam:ListUsers",
    "kms:Decrypt",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:*Object",
    "ec2:*",
    "iam:List*",
    "iam:*User",
    "s3:?etObject",
    "S3:GETOBJECT",
    "kms:*",
    "*:*Object*",
    "ec2:RunInstances",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b/logs/x",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:iam::111122223333:user/bob",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::*log*",
    "arn:aws:ec2:*:*:*",
    "arn:aws:iam::111122223333:user/*",
    "arn:aws:s3:::b/?",
];
const CONDITIONS: &[&str] = &[
    r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
    r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
    r#"{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
    r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
    r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
    r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
    r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
    r#"{"ForAllValues:StringLike":{"aws:TagKeys":["dept*"]}}"#,
    r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner"]}}"#,
    r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#,
    r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
];

#[derive(Debug, Clone)]
struct GenStatement {
    deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    not_resource: bool,
    resources: Vec<usize>,
    condition: Option<usize>,
}

fn gen_statement() -> impl Strategy<Value = GenStatement> {
    (
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..RESOURCE_PATTERNS.len(), 1..3),
        prop::option::weighted(0.5, 0..CONDITIONS.len()),
    )
        .prop_map(
            |(deny, not_action, actions, not_resource, resources, condition)| GenStatement {
                deny,
                not_action,
                actions,
                not_resource,
                resources,
                condition,
            },
        )
}

fn render(stmts: &[GenStatement], principal: bool) -> String {
    let parts: Vec<String> = stmts
        .iter()
        .map(|s| {
            let list = |ix: &[usize], table: &[&str]| {
                ix.iter()
                    .map(|i| format!("\"{}\"", table[*i]))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                r#"{{"Effect":"{}",{}"{}":[{}],"{}":[{}]{}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                if principal {
                    r#""Principal":{"AWS":"111122223333"},"#
                } else {
                    ""
                },
                if s.not_action { "NotAction" } else { "Action" },
                list(&s.actions, ACTION_PATTERNS),
                if s.not_resource {
                    "NotResource"
                } else {
                    "Resource"
                },
                list(&s.resources, RESOURCE_PATTERNS),
                s.condition
                    .map(|c| format!(",\"Condition\":{}", CONDITIONS[c]))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        parts.join(",")
    )
}

fn policy(stmts: &[GenStatement], kind: PolicyKind) -> Policy {
    let text = render(stmts, kind == PolicyKind::Resource);
    parse_policy_text(&text, "gen.json", "gen", kind, ParseOptions::default())
        .unwrap_or_else(|e| panic!("{text}: {e:?}"))
        .0
}

#[derive(Debug, Clone)]
struct GenScenario {
    identity: Vec<Vec<GenStatement>>,
    boundary: Option<Vec<GenStatement>>,
    scps: Vec<Vec<GenStatement>>,
    resource: Option<Vec<GenStatement>>,
}

fn gen_scenario() -> impl Strategy<Value = GenScenario> {
    let stmts = || prop::collection::vec(gen_statement(), 1..4);
    (
        prop::collection::vec(stmts(), 0..3),
        prop::option::weighted(0.3, stmts()),
        prop::collection::vec(stmts(), 0..3),
        prop::option::weighted(0.3, stmts()),
    )
        .prop_map(|(identity, boundary, scps, resource)| GenScenario {
            identity,
            boundary,
            scps,
            resource,
        })
}

fn compile(g: &GenScenario) -> PolicySet {
    let sc = Scenario {
        identity: g
            .identity
            .iter()
            .map(|s| policy(s, PolicyKind::Identity))
            .collect(),
        boundary: g.boundary.as_ref().map(|s| policy(s, PolicyKind::Boundary)),
        scps: g
            .scps
            .iter()
            .map(|s| vec![policy(s, PolicyKind::Scp)])
            .collect(),
        resource_policy: g.resource.as_ref().map(|s| policy(s, PolicyKind::Resource)),
        ..Default::default()
    };
    PolicySet::compile(&sc).unwrap()
}

const PRESETS: &[Preset] = &[
    Preset::None,
    Preset::Console,
    Preset::ConsoleMfa,
    Preset::AccessKeys,
    Preset::Role,
];

fn decide(
    set: &PolicySet,
    action: &str,
    resource: &str,
    preset: Preset,
    extra: &[(&str, iamsim::context::CtxValue)],
) -> (Decision, Decision) {
    let principal = Principal::parse(if preset == Preset::Role {
        "arn:aws:sts::111122223333:assumed-role/r/s"
    } else {
        "arn:aws:iam::111122223333:user/alice"
    })
    .unwrap();
    let mut ctx = build_context(&principal, preset, set.settings(), 1_700_000_000);
    for (k, v) in extra {
        ctx.set(k, v.clone());
    }
    let slots = set.bind(&ctx);
    let req = Request {
        principal: &principal,
        action,
        resource,
        preset,
    };
    (
        set.evaluate(&req, &slots).decision,
        reference(set, &req, &slots),
    )
}

fn extras(i: usize) -> Vec<(&'static str, iamsim::context::CtxValue)> {
    use iamsim::context::CtxValue::{Many, One};
    match i % 4 {
        0 => vec![],
        1 => vec![
            ("aws:SourceIp", One("203.0.113.9".into())),
            ("aws:RequestedRegion", One("us-east-1".into())),
        ],
        2 => vec![
            ("aws:SourceIp", One("198.51.100.1".into())),
            ("aws:TagKeys", Many(vec!["dept-a".into(), "owner".into()])),
        ],
        _ => vec![
            ("aws:RequestedRegion", One("eu-west-1".into())),
            ("aws:TagKeys", Many(vec![])),
        ],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn compiled_graph_agrees_with_reference_evaluator(g in gen_scenario(), a in 0..ACTIONS.len(), r in 0..RESOURCES.len(), p in 0..PRESETS.len(), x in 0..4usize) {
        let set = compile(&g);
        let (fast, slow) = decide(&set, ACTIONS[a], RESOURCES[r], PRESETS[p], &extras(x));
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn trace_marks_the_deciding_statements_as_applying(g in gen_scenario(), a in 0..ACTIONS.len(), r in 0..RESOURCES.len(), p in 0..PRESETS.len(), x in 0..4usize) {
        // Explanations come from trace(); they must name as applying exactly the statements
        // evaluate() decided by, or `iamsim eval` would contradict its own decision.
        let set = compile(&g);
        let preset = PRESETS[p];
        let principal = Principal::parse(if preset == Preset::Role {
            "arn:aws:sts::111122223333:assumed-role/r/s"
        } else {
            "arn:aws:iam::111122223333:user/alice"
        })
        .unwrap();
        let mut ctx = build_context(&principal, preset, set.settings(), 1_700_000_000);
        for (k, v) in extras(x) {
            ctx.set(k, v);
        }
        let slots = set.bind(&ctx);
        let req = Request { principal: &principal, action: ACTIONS[a], resource: RESOURCES[r], preset };
        let outcome = set.evaluate(&req, &slots);
        let trace = set.trace(&req, &slots);
        for id in &outcome.statements {
            let t = trace.iter().find(|t| t.id == *id);
            prop_assert!(t.is_some_and(|t| t.applies), "statement {} decided {:?} but the trace says {:?}", id, outcome.decision, t.map(|t| t.applies));
        }
        // An explicit deny is the first applicable deny of the trace.
        if outcome.decision == Decision::ExplicitDeny {
            let first_deny = trace.iter().find(|t| t.applies && set.statement_info(t.id).1 == iamsim::policy::Effect::Deny);
            prop_assert_eq!(first_deny.map(|t| t.id), outcome.statements.first().copied());
        }
    }

    #[test]
    fn an_applicable_identity_deny_always_yields_explicit_deny(g in gen_scenario(), a in 0..ACTIONS.len(), r in 0..RESOURCES.len(), p in 0..PRESETS.len()) {
        let mut g = g;
        g.identity.push(vec![GenStatement { deny: true, not_action: false, actions: vec![0], not_resource: false, resources: vec![0], condition: None }]);
        let set = compile(&g);
        let (fast, _) = decide(&set, ACTIONS[a], RESOURCES[r], PRESETS[p], &[]);
        prop_assert_eq!(fast, Decision::ExplicitDeny);
    }

    #[test]
    fn removing_a_deny_statement_never_turns_allow_into_deny(g in gen_scenario(), a in 0..ACTIONS.len(), r in 0..RESOURCES.len(), p in 0..PRESETS.len()) {
        let before = decide(&compile(&g), ACTIONS[a], RESOURCES[r], PRESETS[p], &[]).0;
        let mut h = g.clone();
        for pol in &mut h.identity { pol.retain(|s| !s.deny); }
        h.identity.retain(|p| !p.is_empty());
        let after = decide(&compile(&h), ACTIONS[a], RESOURCES[r], PRESETS[p], &[]).0;
        if before == Decision::Allowed { prop_assert_eq!(after, Decision::Allowed); }
    }

    #[test]
    fn adding_a_guardrail_never_turns_deny_into_allow(g in gen_scenario(), extra in prop::collection::vec(gen_statement(), 1..3), a in 0..ACTIONS.len(), r in 0..RESOURCES.len(), p in 0..PRESETS.len()) {
        let before = decide(&compile(&g), ACTIONS[a], RESOURCES[r], PRESETS[p], &[]).0;
        let mut h = g.clone();
        h.scps.push(extra.clone());
        let with_scp = decide(&compile(&h), ACTIONS[a], RESOURCES[r], PRESETS[p], &[]).0;
        let mut k = g.clone();
        if k.boundary.is_none() { k.boundary = Some(extra); }
        let with_boundary = decide(&compile(&k), ACTIONS[a], RESOURCES[r], PRESETS[p], &[]).0;
        if before != Decision::Allowed {
            prop_assert_ne!(with_scp, Decision::Allowed);
            prop_assert_ne!(with_boundary, Decision::Allowed);
        }
    }

    #[test]
    fn wildcard_matching_agrees_with_a_regex_oracle(p in "[ab*?/:]{0,12}", t in "[ab/:é]{0,16}") {
        prop_assert_eq!(Wildcard::new(&p).matches(&t), glob_regex(&p, false).is_match(&t), "pattern {:?} text {:?}", p, t);
    }

    #[test]
    fn wildcard_matching_agrees_with_a_regex_oracle_on_question_marks(p in "[ab?é]{0,6}(\\*[ab??é]{0,8}){0,4}\\*?", t in "[abé]{0,24}") {
        prop_assert_eq!(Wildcard::new(&p).matches(&t), glob_regex(&p, false).is_match(&t), "pattern {:?} text {:?}", p, t);
    }

    /// Segments longer than one 64-bit word of the Shift-And matcher, mostly `?`.
    #[test]
    fn wildcard_matching_agrees_with_a_regex_oracle_on_long_question_mark_segments(
        head in "[a?]{0,70}",
        mid in "[ab?????]{60,140}",
        tail in "[?b]{0,70}",
        stars in 0u8..8,
        random in "[ab]{0,30}[abé]{60,200}",
        derived: bool,
        flip in proptest::option::of(0usize..300),
    ) {
        let p = format!(
            "{}{head}{}{mid}{}{tail}{}",
            if stars & 1 != 0 { "*" } else { "" },
            if stars & 2 != 0 { "*" } else { "" },
            if stars & 4 != 0 { "*" } else { "" },
            if stars & 1 != 0 { "*" } else { "" },
        );
        // A text built from the pattern matches, or nearly does (one character changed).
        let t: String = if derived {
            let mut c: Vec<char> = p
                .chars()
                .enumerate()
                .flat_map(|(i, c)| match c {
                    '?' => vec![if i % 3 == 0 { 'é' } else { 'b' }],
                    '*' => "ab".chars().take(i % 3).collect(),
                    c => vec![c],
                })
                .collect();
            if let Some(i) = flip.filter(|&i| i < c.len()) {
                c[i] = if c[i] == 'a' { 'b' } else { 'a' };
            }
            c.into_iter().collect()
        } else {
            random
        };
        prop_assert_eq!(Wildcard::new(&p).matches(&t), glob_regex(&p, false).is_match(&t), "pattern {:?} text {:?}", p, t);
    }
}
