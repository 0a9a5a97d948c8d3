//! Free loopback address blocks for clusters that run beside others (tests
//! run in parallel, other worktrees run their own nodes): a block is
//! `127.0.X.1 ..= 127.0.X.n` where nobody listens on the native, internode or
//! admin port of any of its addresses.
//!
//! X starts at a per-process offset in 10..=250 and moves on with every
//! block handed out, so test processes side by side rarely probe the same
//! block (and never `127.0.0.x`, where single-node tests and the CLI default
//! live). Probing and the node's own bind can still race; a node that cannot
//! bind exits with a clear error.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Mutex;

use super::error::ClusterError;

const BLOCK_FIRST: u32 = 10;
const BLOCK_COUNT: u32 = 241;
/// The ports a node binds by default.
pub const DEFAULT_PORTS: [u16; 3] = [9042, 7000, 9180];

static NEXT_BLOCK: Mutex<Option<u32>> = Mutex::new(None);

/// The first address of a block of `count` addresses free on `ports`.
///
/// # Errors
/// [`ClusterError::NoFreeAddresses`] when every block is taken (or `count`
/// is 0 or above 254).
pub fn free_block(count: usize, ports: &[u16]) -> Result<Ipv4Addr, ClusterError> {
    let none = || ClusterError::NoFreeAddresses { count };
    let count_u8 = u8::try_from(count)
        .ok()
        .filter(|c| (1..255).contains(c))
        .ok_or_else(none)?;
    let mut next = NEXT_BLOCK.lock().map_err(|_| none())?;
    let offset = next.get_or_insert_with(|| std::process::id() % BLOCK_COUNT);
    for _ in 0..BLOCK_COUNT {
        let third = u8::try_from(BLOCK_FIRST + *offset % BLOCK_COUNT).map_err(|_| none())?;
        *offset += 1;
        let base = Ipv4Addr::new(127, 0, third, 1);
        if (0..count_u8).all(|i| is_free(Ipv4Addr::new(127, 0, third, 1 + i), ports)) {
            return Ok(base);
        }
    }
    Err(none())
}

/// True when every port of `ports` can be bound on `address` right now.
pub fn is_free(address: Ipv4Addr, ports: &[u16]) -> bool {
    ports
        .iter()
        .all(|port| TcpListener::bind(SocketAddr::new(IpAddr::V4(address), *port)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_free_and_distinct() {
        let a = free_block(3, &DEFAULT_PORTS).unwrap();
        let b = free_block(3, &DEFAULT_PORTS).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.octets()[3], 1);
        let busy = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = busy.local_addr().unwrap().port();
        assert!(!is_free(Ipv4Addr::LOCALHOST, &[port]));
        assert!(free_block(0, &DEFAULT_PORTS).is_err());
        assert!(free_block(300, &DEFAULT_PORTS).is_err());
    }
}
