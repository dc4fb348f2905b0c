//! AWS account ids: exactly twelve ASCII digits (leading zeros are significant).

/// Whether `s` is an AWS account id: twelve ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account field of an ARN (`arn:partition:service:region:ACCOUNT:resource`), when it holds
/// an account id; S3 bucket and object ARNs (and `*`) carry none.
pub fn arn_account(arn: &str) -> Option<&str> {
    // The colons ending the partition, service, region and account fields (a byte search:
    // this runs for every resource of a bulk run).
    let rest = arn.strip_prefix("arn:")?;
    let mut colons = memchr::memchr_iter(b':', rest.as_bytes());
    let (_partition, _service) = (colons.next()?, colons.next()?);
    let region_end = colons.next()?;
    let account_end = colons.next()?;
    let account = &rest[region_end + 1..account_end];
    is_account_id(account).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_is_twelve_digits() {
        assert!(is_account_id("012345678901"));
        assert!(!is_account_id("01234567890"));
        assert!(!is_account_id("0123456789012"));
        assert!(!is_account_id("O12345678901"));
        assert!(!is_account_id("٠١٢٣٤٥٦٧٨٩٠١"));
    }

    #[test]
    fn arn_account_reads_the_fifth_field() {
        assert_eq!(
            arn_account("arn:aws:sqs:us-east-1:444455556666:q"),
            Some("444455556666")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket/key"), None);
        assert_eq!(arn_account("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
        assert_eq!(arn_account("*"), None);
        assert_eq!(arn_account("arn:aws:sqs:us-east-1:444455556666"), None);
        assert_eq!(arn_account("arn:aws:sqs:us-east-1:444455556666:"), Some("444455556666"));
        assert_eq!(arn_account("aws:sqs:us-east-1:444455556666:q:r"), None);
        assert_eq!(arn_account("arn:aws:sqs:444455556666:q"), None);
    }
}
