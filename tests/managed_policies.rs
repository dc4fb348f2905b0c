//! Issue 13's "measured, not hoped": every AWS managed policy linted as `iamsim lint
//! --aws-managed` does gives 0 errors, and every catalog warning names something truly absent
//! from the built-in catalog (listed below with the reason), never a wrong global key, operator
//! type or MFA pattern; and `strict_validation` rejects none of them.
//!
//! The policies are not in the repository (1,641 files of AWS's). Run it against the
//! `iann0036/iam-dataset` snapshot (commit 2073fa52), whose `aws/managedpolicies/*.json` wrap
//! each document in `{"document": ...}` (plain policy files work too):
//!
//! ```sh
//! git clone https://github.com/iann0036/iam-dataset /tmp/iam-dataset
//! IAMSIM_MANAGED_POLICIES=/tmp/iam-dataset/aws/managedpolicies cargo test --test managed_policies -- --ignored
//! ```

use iamsim::policy::ParseOptions;
use std::collections::BTreeMap;

/// Service prefixes of retired services, absent from the catalog (the Service Authorization
/// Reference no longer lists them), that managed policies still name.
const RETIRED_SERVICES: &[&str] = &[
    "applicationwizard",
    "builderid",
    "catalog-admin",
    "catalog-user",
    "crowd",
    "datazonecontrol",
    "deepcomposer",
    "deeplens",
    "deepracer",
    "ec2-reports",
    "elastic-inference",
    "iot1click",
    "iotroborunner",
    "mobilehub",
    "sagemaker-groundtruth-synthetic",
    "sumerian",
    "zocalo",
];

/// Actions absent from the catalog snapshot: retired (the CloudHSM Classic and pre-2023 billing
/// actions, `s3:ListObjects*`/`s3:ListBuckets`, which are API names rather than IAM actions),
/// misspelt by AWS itself (`ssm:RemoveTagsToResource`), or newer than the snapshot.
const ABSENT_ACTIONS: &[&str] = &[
    // Billing and Cost Management actions replaced in 2023.
    "budgets:CreateBudget",
    "budgets:DeleteBudget",
    "budgets:DescribeBudget",
    "budgets:DescribeBudgets",
    "budgets:UpdateBudget",
    "payments:AcceptTermsAndConditionsForProgramByAccountId",
    "payments:BatchGetPaymentProfiles",
    "payments:CreatePaymentAttempt",
    "payments:CreatePaymentProfile",
    "payments:Get",
    "payments:GetAcceptedTermsAndConditionsForProgramByAccountId",
    "payments:GetAccountBalance",
    "payments:GetDefaultPaymentProfile",
    "payments:GetEligibleCurrencies",
    "payments:GetPaymentAttempt",
    "payments:GetPaymentPreferences",
    "payments:GetPreferredCurrency",
    "payments:GetRecommendedTermsAndConditionsForProgram",
    "payments:ListPaymentProfiles",
    "payments:SearchFinancialRecords",
    "payments:SetPreferredCurrency",
    "payments:UpdatePaymentProfile",
    // CloudHSM Classic (retired).
    "cloudhsm:CreateLunaClient",
    "cloudhsm:DeleteLunaClient",
    "cloudhsm:DescribeHapg",
    "cloudhsm:DescribeLunaClient",
    "cloudhsm:GetConfig",
    "cloudhsm:ModifyHapg",
    "cloudhsm:ModifyLunaClient",
    // API operation names that are not IAM actions (s3:ListBucket authorizes them).
    "s3:ListBuckets",
    "s3:ListObjects",
    "s3:ListObjectsV2",
    // Misspelt in AWS's policy (the action is ssm:RemoveTagsFromResource).
    "ssm:RemoveTagsToResource",
    // Not (or no longer) in the reference.
    "cloud9:ValidateEnvironmentName",
    "memorydb:ReplicateMultiRegionClusterData",
    "organizations:CreateBuilderIdOwnedAccount",
    "qapps:ImportDocumentToQApp",
    "qapps:ImportDocumentToQAppSession",
    "route53-recovery-control-config:DescribeRoutingControlByName",
    "servicecatalog:AccountLevelDescribeRecord",
    "servicecatalog:AccountLevelListRecordHistory",
    "servicecatalog:AccountLevelScanProvisionedProducts",
    "servicecatalog:GetTagOptionMigrationStatus",
    // A service in preview, newer than the snapshot's entries for it.
    "securityagent:BatchGetAgentInstances",
    "securityagent:BatchGetSecurityTestContentMetadata",
    "securityagent:BatchGetTasks",
    "securityagent:CreateDocumentReview",
    "securityagent:DeleteDocumentReview",
    "securityagent:GetCodeReviewTask",
    "securityagent:GetDocReviewTask",
    "securityagent:GetDocumentReview",
    "securityagent:GetDocumentReviewArtifact",
    "securityagent:ListAgentInstances",
    "securityagent:ListControls",
    "securityagent:ListDocumentReviewComments",
    "securityagent:ListDocumentReviews",
    "securityagent:ListTasks",
    "securityagent:StartPentestExecution",
    "securityagent:StopPentestExecution",
];

/// Condition keys the reference does not list (for the action, or at all).
const ABSENT_KEYS: &[&str] = &[
    // Keys of a retired service (Alexa for Business).
    "a4b:amazonId",
    "a4b:filters_deviceType",
    // Used by AWS on actions the reference does not list them for.
    "aws-marketplace:ProductId",
    "iottwinmaker:linkedServices",
    // Not in the reference.
    "lakeformation:GlueARN",
];

/// Warnings that are about the policy as written, not the catalog: expected, with their count.
const AS_WRITTEN: &[(&str, usize)] = &[
    // e.g. AmazonSageMakerFullAccess: deliberate, exactly what the warning is for.
    ("allow-with-notresource", 8),
    // A variable in an ARN's account part.
    ("variable-outside-resource-part", 1),
];

/// The managed policies `strict_validation=true` rejects: none. (Two were, until strict
/// validation kept to semantics §6.2: AWSSSOServiceRolePolicy's `aws:PrincipalOrgMasterAccountId`,
/// a global key AWS uses but does not list, and AmazonTimestreamInfluxDBServiceRolePolicy's
/// variable in an ARN's account part.)
const STRICT_REJECTED: &[(&str, &str)] = &[];

/// The first quoted name of a message: the action, prefix or key the finding is about.
fn subject(message: &str) -> &str {
    message.split('"').nth(1).unwrap_or("")
}

#[test]
#[ignore = "needs the AWS managed policies: IAMSIM_MANAGED_POLICIES=DIR (see the file's header)"]
fn aws_managed_policies_lint_clean_but_for_names_absent_from_the_catalog() {
    let dir = std::env::var("IAMSIM_MANAGED_POLICIES").expect(
        "IAMSIM_MANAGED_POLICIES=DIR: a directory of AWS managed policies (see the header)",
    );
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 1600, "{} policies in {dir}", files.len());
    let mut unexpected: Vec<String> = Vec::new();
    let mut as_written: BTreeMap<&str, usize> = BTreeMap::new();
    let mut strict_rejected: Vec<String> = Vec::new();
    for f in &files {
        let raw = std::fs::read_to_string(f).unwrap();
        // iam-dataset wraps the document with its metadata.
        let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let text = match v.get("document") {
            Some(d) => serde_json::to_string_pretty(d).unwrap(),
            None => raw,
        };
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let strict = ParseOptions {
            strict: true,
            ..Default::default()
        };
        let kind = iamsim::policy::quota::guess_kind(&text);
        if iamsim::policy::parse_policy_text(&text, &name, &name, kind, strict).is_err() {
            strict_rejected.push(name.clone());
        }
        let diags =
            iamsim::mfa::lint::lint_document(&text, &name, None, ParseOptions::default(), true);
        for d in diags {
            let who = subject(&d.message);
            let code = d.code.as_str();
            let expected = match code {
                "unknown-service" => RETIRED_SERVICES.contains(&who),
                "unknown-action" => ABSENT_ACTIONS.contains(&who),
                "unknown-condition-key"
                | "condition-key-not-for-action"
                | "unknown-global-condition-key" => ABSENT_KEYS.contains(&who),
                code if AS_WRITTEN.iter().any(|(c, _)| *c == code) => {
                    *as_written.entry(code).or_default() += 1;
                    true
                }
                _ => false,
            };
            if d.is_error() || !expected {
                unexpected.push(format!(
                    "{name}:{}:{} {:?} [{}] {}",
                    d.line, d.column, d.severity, code, d.message
                ));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected findings:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    let expected: Vec<&str> = STRICT_REJECTED.iter().map(|(f, _)| *f).collect();
    assert_eq!(strict_rejected, expected, "rejected by strict_validation");
    for (code, n) in AS_WRITTEN {
        assert_eq!(as_written.get(code).copied().unwrap_or(0), *n, "{code}");
    }
}
