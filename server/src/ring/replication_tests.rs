use std::collections::BTreeMap;
use std::net::IpAddr;

use super::*;
use crate::ring::NodeInfo;

fn host(n: u128) -> HostId {
    uuid::Uuid::from_u128(n)
}

/// A ring from (host, dc, rack, token) rows; one token per node keeps the walk readable.
fn ring(rows: &[(u128, &str, &str, i64)]) -> TokenRing {
    let nodes: BTreeMap<HostId, NodeInfo> = rows
        .iter()
        .map(|(h, dc, rack, _)| {
            let octet = u8::try_from(*h).unwrap();
            (
                host(*h),
                NodeInfo {
                    address: IpAddr::from([127, 0, 0, octet]),
                    dc: (*dc).into(),
                    rack: (*rack).into(),
                },
            )
        })
        .collect();
    TokenRing::new(nodes, rows.iter().map(|(h, _, _, t)| (*t, host(*h)))).unwrap()
}

fn ids(replicas: &[HostId]) -> Vec<u128> {
    replicas.iter().map(|h| h.as_u128()).collect()
}

#[test]
fn simple_strategy_walks_clockwise_from_the_owner() {
    let r = ring(&[
        (1, "dc1", "r1", 10),
        (2, "dc1", "r1", 20),
        (3, "dc1", "r1", 30),
        (4, "dc1", "r1", 40),
    ]);
    let rf = |n| Replication::Simple {
        replication_factor: n,
    };
    let cases: [(i64, u32, Vec<u128>); 5] = [
        (15, 3, vec![2, 3, 4]),
        (35, 3, vec![4, 1, 2]),
        (45, 2, vec![1, 2]),
        (10, 1, vec![1]),
        (0, 9, vec![1, 2, 3, 4]),
    ];
    for (token, factor, expected) in cases {
        assert_eq!(
            ids(&natural_replicas(&r, &rf(factor), token, host(99))),
            expected,
            "token {token} rf {factor}"
        );
    }
}

#[test]
fn vnodes_of_one_node_count_once() {
    let nodes: BTreeMap<HostId, NodeInfo> = (1..=2)
        .map(|h| {
            (
                host(h),
                NodeInfo {
                    address: IpAddr::from([127, 0, 0, 1]),
                    dc: "dc1".into(),
                    rack: "r1".into(),
                },
            )
        })
        .collect();
    let r = TokenRing::new(nodes, [(10, host(1)), (20, host(1)), (30, host(2))]).unwrap();
    let replicas = natural_replicas(
        &r,
        &Replication::Simple {
            replication_factor: 2,
        },
        5,
        host(99),
    );
    assert_eq!(ids(&replicas), [1, 2]);
}

#[test]
fn nts_spreads_over_racks_before_reusing_one() {
    // Ring order: 1(r1) 2(r1) 3(r2) 4(r2) 5(r3) 6(r3), all in dc1.
    let r = ring(&[
        (1, "dc1", "r1", 10),
        (2, "dc1", "r1", 20),
        (3, "dc1", "r2", 30),
        (4, "dc1", "r2", 40),
        (5, "dc1", "r3", 50),
        (6, "dc1", "r3", 60),
    ]);
    let nts = |rf| Replication::NetworkTopology {
        data_centers: [("dc1".to_owned(), rf)].into(),
    };
    assert_eq!(ids(&natural_replicas(&r, &nts(3), 5, host(99))), [1, 3, 5]);
    // RF 4: after all three racks, the first node skipped for its rack comes next.
    assert_eq!(
        ids(&natural_replicas(&r, &nts(4), 5, host(99))),
        [1, 3, 5, 2]
    );
    assert_eq!(ids(&natural_replicas(&r, &nts(3), 15, host(99))), [2, 3, 5]);
}

#[test]
fn nts_places_per_data_center_and_caps_at_its_size() {
    let r = ring(&[
        (1, "dc1", "r1", 10),
        (2, "dc2", "r1", 20),
        (3, "dc1", "r1", 30),
        (4, "dc2", "r1", 40),
        (5, "dc1", "r1", 50),
    ]);
    let nts = Replication::NetworkTopology {
        data_centers: [("dc1".to_owned(), 2), ("dc2".to_owned(), 5)].into(),
    };
    let replicas = natural_replicas(&r, &nts, 35, host(99));
    assert_eq!(
        ids(&replicas),
        [4, 5, 1, 2],
        "dc1 gets 2, dc2 all of its 2 nodes"
    );
    let absent = Replication::NetworkTopology {
        data_centers: [("dc9".to_owned(), 3)].into(),
    };
    assert!(natural_replicas(&r, &absent, 0, host(99)).is_empty());
}

#[test]
fn local_and_everywhere() {
    let r = ring(&[(1, "dc1", "r1", 10), (2, "dc2", "r1", 20)]);
    assert_eq!(
        natural_replicas(&r, &Replication::Local, 0, host(7)),
        [host(7)]
    );
    assert_eq!(
        ids(&natural_replicas(&r, &Replication::Everywhere, 15, host(7))),
        [2, 1]
    );
}
