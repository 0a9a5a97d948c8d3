use super::*;

fn replica(n: u8, dc: &str, alive: bool) -> Replica {
    Replica {
        host: uuid::Uuid::from_u128(u128::from(n)),
        address: IpAddr::from([127, 0, 0, n]),
        dc: dc.to_owned(),
        alive,
        is_local: n == 1,
    }
}

fn nts(pairs: &[(&str, u32)]) -> Replication {
    Replication::NetworkTopology {
        data_centers: pairs.iter().map(|(d, r)| ((*d).to_owned(), *r)).collect(),
    }
}

#[test]
fn block_for_follows_the_replication_factor() {
    let simple3 = Replication::Simple {
        replication_factor: 3,
    };
    let two_dcs = nts(&[("dc1", 3), ("dc2", 3)]);
    let cases: [(Consistency, &Replication, usize); 10] = [
        (Consistency::One, &simple3, 1),
        (Consistency::Two, &simple3, 2),
        (Consistency::Three, &simple3, 3),
        (Consistency::Quorum, &simple3, 2),
        (Consistency::All, &simple3, 3),
        (Consistency::LocalQuorum, &simple3, 2),
        (Consistency::Quorum, &two_dcs, 4),
        (Consistency::All, &two_dcs, 6),
        (Consistency::LocalQuorum, &two_dcs, 2),
        (Consistency::EachQuorum, &two_dcs, 4),
    ];
    for (cl, replication, want) in cases {
        let req = requirement(cl, replication, "dc1", 6, true).unwrap();
        assert_eq!(req.block_for(), want, "{cl:?} on {replication:?}");
    }
    assert!(requirement(Consistency::Serial, &simple3, "dc1", 3, true).is_err());
    assert_eq!(
        requirement(Consistency::Serial, &simple3, "dc1", 3, false)
            .unwrap()
            .block_for(),
        2
    );
}

#[test]
fn unavailable_counts_only_replicas_that_count() {
    let replicas = [
        replica(1, "dc1", true),
        replica(2, "dc1", false),
        replica(3, "dc1", true),
        replica(4, "dc2", false),
        replica(5, "dc2", false),
        replica(6, "dc2", true),
    ];
    let two_dcs = nts(&[("dc1", 3), ("dc2", 3)]);
    let req = |cl| requirement(cl, &two_dcs, "dc1", 6, true).unwrap();
    assert_eq!(
        check_alive(&req(Consistency::LocalQuorum), &replicas, "dc1"),
        Ok(())
    );
    assert_eq!(
        check_alive(&req(Consistency::Quorum), &replicas, "dc1"),
        Err(Unavailable {
            required: 4,
            alive: 3
        })
    );
    assert_eq!(
        check_alive(&req(Consistency::EachQuorum), &replicas, "dc1"),
        Err(Unavailable {
            required: 2,
            alive: 1
        })
    );
    assert_eq!(
        check_alive(&req(Consistency::All), &replicas, "dc1"),
        Err(Unavailable {
            required: 6,
            alive: 3
        })
    );
    // One node, RF 3: QUORUM is unavailable, ONE is fine.
    let single = [replica(1, "dc1", true)];
    let simple3 = Replication::Simple {
        replication_factor: 3,
    };
    let quorum = requirement(Consistency::Quorum, &simple3, "dc1", 1, true).unwrap();
    assert_eq!(
        check_alive(&quorum, &single, "dc1"),
        Err(Unavailable {
            required: 2,
            alive: 1
        })
    );
    let one = requirement(Consistency::One, &simple3, "dc1", 1, true).unwrap();
    assert_eq!(check_alive(&one, &single, "dc1"), Ok(()));
}

#[test]
fn reads_ask_the_closest_replicas() {
    let replicas = [
        replica(4, "dc2", true),
        replica(2, "dc1", true),
        replica(1, "dc1", true),
        replica(3, "dc1", false),
        replica(5, "dc2", true),
    ];
    let two_dcs = nts(&[("dc1", 3), ("dc2", 2)]);
    let targets = |cl| {
        let req = requirement(cl, &two_dcs, "dc1", 5, false).unwrap();
        read_targets(&req, &replicas, "dc1")
            .into_iter()
            .map(|r| r.address)
            .collect::<Vec<_>>()
    };
    let ip = |n: u8| IpAddr::from([127, 0, 0, n]);
    assert_eq!(targets(Consistency::One), vec![ip(1)]);
    assert_eq!(targets(Consistency::LocalQuorum), vec![ip(1), ip(2)]);
    assert_eq!(targets(Consistency::Quorum), vec![ip(1), ip(2), ip(4)]);
    assert_eq!(
        targets(Consistency::EachQuorum),
        vec![ip(1), ip(2), ip(4), ip(5)]
    );
}

#[test]
fn acks_meet_the_level_per_data_center() {
    let a = replica(1, "dc1", true);
    let b = replica(2, "dc1", true);
    let c = replica(3, "dc2", true);
    let d = replica(4, "dc2", true);
    let two_dcs = nts(&[("dc1", 2), ("dc2", 2)]);
    let req = requirement(Consistency::EachQuorum, &two_dcs, "dc1", 4, true).unwrap();
    let mut tracker = AckTracker::new(req, "dc1");
    tracker.ack(&a);
    tracker.ack(&b);
    assert!(!tracker.satisfied());
    assert!(tracker.reachable(&[&c, &d]));
    assert!(!tracker.reachable(&[&c]));
    tracker.ack(&c);
    tracker.ack(&d);
    assert!(tracker.satisfied());
    let local = requirement(Consistency::LocalQuorum, &two_dcs, "dc1", 4, true).unwrap();
    let mut tracker = AckTracker::new(local, "dc1");
    tracker.ack(&c);
    assert_eq!(
        tracker.received(),
        0,
        "remote answers do not count for LOCAL_*"
    );
    tracker.ack(&a);
    tracker.ack(&b);
    assert!(tracker.satisfied());
}
