//! Replica-aware routing for the tools: each connected node says which
//! tokens it owns (`system.local.tokens`), and a request for a partition goes
//! to the node owning the partition's token — a replica, so the coordinator
//! applies locally instead of forwarding. Tokens owned by nodes the tool is
//! not connected to fall to the next connected owner (still correct, one
//! extra hop); with no token information every request goes by modulo.

use sibyl_protocol::client::{QueryOptions, Session};
use sibyl_protocol::value::CqlValue;

/// Token -> session index, sorted by token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRouter {
    ring: Vec<(i64, usize)>,
}

impl TokenRouter {
    /// Asks every session's node for its tokens (nodes that do not answer
    /// are left out).
    pub async fn discover(sessions: &[Session]) -> Self {
        let mut ring = Vec::new();
        for (index, session) in sessions.iter().enumerate() {
            let Ok(result) = session
                .query(
                    "SELECT tokens FROM system.local WHERE key = 'local'",
                    &[],
                    &QueryOptions::default(),
                )
                .await
            else {
                continue;
            };
            let tokens = result
                .rows()
                .and_then(|r| r.rows.first())
                .and_then(|row| row.first().cloned().flatten());
            if let Some(CqlValue::Set(items)) = tokens {
                for item in items {
                    if let CqlValue::Text(t) | CqlValue::Ascii(t) = item
                        && let Ok(token) = t.parse::<i64>()
                    {
                        ring.push((token, index));
                    }
                }
            }
        }
        Self::from_tokens(ring)
    }

    /// A router from `(token, session index)` pairs.
    pub fn from_tokens(mut ring: Vec<(i64, usize)>) -> Self {
        ring.sort_unstable();
        ring.dedup_by_key(|(t, _)| *t);
        Self { ring }
    }

    /// True when no node reported tokens.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// The session owning `token` (the first ring token at or after it,
    /// wrapping), or `fallback` by modulo when the ring is unknown.
    pub fn route(&self, token: i64, sessions: usize) -> usize {
        if self.ring.is_empty() {
            return usize::try_from(token.unsigned_abs() % sessions.max(1) as u64).unwrap_or(0);
        }
        let at = self.ring.partition_point(|(t, _)| *t < token);
        self.ring
            .get(at)
            .or_else(|| self.ring.first())
            .map_or(0, |(_, index)| *index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_route_to_their_owner_wrapping_at_the_end() {
        let router = TokenRouter::from_tokens(vec![(100, 1), (-50, 0), (500, 2)]);
        assert_eq!(router.route(-1_000, 3), 0);
        assert_eq!(router.route(-50, 3), 0, "a node owns its own token");
        assert_eq!(router.route(-49, 3), 1);
        assert_eq!(router.route(100, 3), 1);
        assert_eq!(router.route(101, 3), 2);
        assert_eq!(
            router.route(501, 3),
            0,
            "past the last token wraps to the first"
        );
        let unknown = TokenRouter::default();
        assert!(unknown.is_empty());
        assert_eq!(unknown.route(7, 3), 1);
    }
}
