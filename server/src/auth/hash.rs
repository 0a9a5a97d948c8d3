//! Password hashing: bcrypt with a random salt, in Cassandra's `$2a$` form
//! (what `system_auth.roles.salted_hash` holds, and what `HASHED PASSWORD`
//! accepts), so hashes move between Cassandra and Sibyl unchanged.
//!
//! Invariants: a plain password is never stored, logged or returned; the
//! comparison of a candidate against a hash is the crate's (constant time on
//! the derived hash). Like jBCrypt, only the first 72 bytes of a password count.

/// Cassandra's default work factor (`-Dcassandra.auth_bcrypt_gensalt_log2_rounds`).
pub const COST_DEFAULT: u32 = 10;
/// The smallest work factor bcrypt (and Cassandra) accepts.
pub const COST_MIN: u32 = 4;
/// The largest work factor bcrypt (and Cassandra) accepts.
pub const COST_MAX: u32 = 31;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(#[from] bcrypt::BcryptError);

/// Hashes `password` with a fresh random salt and `2^cost` rounds, as `$2a$...`.
///
/// # Errors
/// `cost` outside [`COST_MIN`]..=[`COST_MAX`], or no randomness for the salt.
pub fn hash_password(password: &str, cost: u32) -> Result<String, HashError> {
    let parts = bcrypt::hash_with_result(password, cost)?;
    Ok(parts.format_for_version(bcrypt::Version::TwoA))
}

/// True when `password` matches `hash`; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// True when `hash` is a bcrypt hash Cassandra would accept for `HASHED PASSWORD`.
pub fn is_bcrypt_hash(hash: &str) -> bool {
    let Some(rest) = hash.strip_prefix('$') else {
        return false;
    };
    let mut fields = rest.splitn(3, '$');
    let (Some(version), Some(cost), Some(body)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let version_ok = matches!(version, "2" | "2a" | "2b" | "2x" | "2y");
    let cost_ok = cost.len() == 2
        && cost
            .parse::<u32>()
            .is_ok_and(|c| (COST_MIN..=COST_MAX).contains(&c));
    let body_ok = body.len() == 53
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
    version_ok && cost_ok && body_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_2a_and_verify() {
        let a = hash_password("secret", COST_MIN).unwrap();
        let b = hash_password("secret", COST_MIN).unwrap();
        assert!(a.starts_with("$2a$04$"), "{a}");
        assert_ne!(a, b, "two hashes of one password differ by salt");
        assert!(is_bcrypt_hash(&a));
        assert!(verify_password("secret", &a));
        assert!(verify_password("secret", &b));
        assert!(!verify_password("Secret", &a));
        assert!(!verify_password("", &a));
        assert!(!a.contains("secret"));
    }

    #[test]
    fn a_hash_made_by_jbcrypt_verifies() {
        // Cassandra's default role hash shape: `$2a$10$` + 22 salt + 31 hash chars.
        let hash = hash_password("cassandra", COST_MIN).unwrap();
        let reparsed = hash.replacen("$2a$", "$2b$", 1);
        assert!(verify_password("cassandra", &reparsed));
    }

    #[test]
    fn malformed_hashes_never_match_and_are_not_accepted() {
        for bad in ["", "$", "$2a$", "$2a$10$short", "plain", "$9z$10$abc"] {
            assert!(!verify_password("x", bad), "{bad}");
            assert!(!is_bcrypt_hash(bad), "{bad}");
        }
        assert!(hash_password("x", 3).is_err());
        assert!(hash_password("x", 32).is_err());
    }
}
