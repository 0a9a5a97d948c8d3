//! The node's identity: host id and tokens, chosen at first start and kept.

use std::path::Path;

use super::NodeError;
use crate::ring::random_tokens;

/// Host id and tokens, chosen once and kept across restarts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// The node's host id.
    pub host_id: uuid::Uuid,
    /// The node's tokens.
    pub tokens: Vec<i64>,
}

impl Identity {
    /// Loads the identity under `data_dir`, creating it on first start.
    ///
    /// # Errors
    /// The file cannot be read, written or parsed.
    pub fn load_or_create(data_dir: &Path, num_tokens: u32) -> Result<Self, NodeError> {
        let path = data_dir.join("identity.json");
        let io = |source| NodeError::DataDir {
            path: path.clone(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            return serde_json::from_str(&text).map_err(|e| NodeError::Identity {
                path: path.clone(),
                reason: e.to_string(),
            });
        }
        let count = usize::try_from(num_tokens).unwrap_or(1);
        let identity = Identity {
            host_id: uuid::Uuid::new_v4(),
            tokens: random_tokens(count, || uuid::Uuid::new_v4().as_u64_pair().0),
        };
        let text = serde_json::to_vec_pretty(&identity).map_err(|e| NodeError::Identity {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        crate::durable_file::write_atomically(&path, &text).map_err(|e| NodeError::DataDir {
            path: e.path,
            source: e.source,
        })?;
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_create(dir.path(), 16).unwrap();
        assert_eq!(first.tokens.len(), 16);
        let again = Identity::load_or_create(dir.path(), 8).unwrap();
        assert_eq!(again, first, "tokens are chosen at first start and kept");
        std::fs::write(dir.path().join("identity.json"), "{").unwrap();
        assert!(matches!(
            Identity::load_or_create(dir.path(), 16),
            Err(NodeError::Identity { .. })
        ));
    }
}
