//! The echo server speaks the protocol: v4 and v5, with and without LZ4,
//! through the protocol crate's client.
#![cfg(test)]

mod common;

use std::time::Duration;

use sibyl_protocol::ProtocolVersion;
use sibyl_protocol::client::{BatchItem, ConnectOptions, QueryOptions, QueryResult, Session};
use sibyl_protocol::compression::Compression;
use sibyl_protocol::request::BatchType;
use sibyl_protocol::value::CqlValue;

async fn exercise(version: ProtocolVersion, compression: Option<Compression>) {
    let addr = common::echo_server();
    let options = ConnectOptions {
        protocol_version: Some(version),
        compression,
        ..ConnectOptions::default()
    };
    let session = tokio::time::timeout(Duration::from_secs(10), Session::connect(addr, options))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.connection().version(), version);
    assert_eq!(session.connection().compression(), compression);
    let q = QueryOptions::default();
    let work = async {
        let insert = session
            .prepare("INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?)")
            .await
            .unwrap();
        assert_eq!(insert.bind_columns.len(), 3);
        let blob = CqlValue::Blob(vec![1, 2, 3]);
        let r = session
            .execute(&insert, &[blob.clone(), blob.clone(), blob.clone()], &q)
            .await
            .unwrap();
        assert!(matches!(r, QueryResult::Void));
        let select = session
            .prepare("SELECT v FROM ks.t WHERE k = ?")
            .await
            .unwrap();
        assert_eq!(select.bind_columns.len(), 1);
        let rows = session
            .execute(&select, std::slice::from_ref(&blob), &q)
            .await
            .unwrap();
        assert_eq!(rows.rows().unwrap().rows.len(), 0);
        let rows = session.query("SELECT * FROM ks.t", &[], &q).await.unwrap();
        assert!(rows.rows().is_some());
        let r = session.query("CREATE KEYSPACE IF NOT EXISTS x WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", &[], &q).await.unwrap();
        assert!(matches!(r, QueryResult::Void));
        let items = vec![BatchItem::Prepared(
            insert,
            vec![blob.clone(), blob.clone(), blob],
        )];
        session
            .batch(BatchType::Unlogged, &items, &q)
            .await
            .unwrap();
        // A big frame crosses several v5 segments.
        let big = CqlValue::Blob(vec![7; 300_000]);
        session
            .query("INSERT INTO ks.t (k) VALUES (?)", &[big], &q)
            .await
            .unwrap();
        let err = session.prepare("SELEKT nonsense").await.unwrap_err();
        assert_eq!(err.server_code(), Some(0x2000));
    };
    tokio::time::timeout(Duration::from_secs(20), work)
        .await
        .unwrap();
}

#[tokio::test]
async fn v4_plain() {
    exercise(ProtocolVersion::V4, None).await;
}

#[tokio::test]
async fn v4_lz4() {
    exercise(ProtocolVersion::V4, Some(Compression::Lz4)).await;
}

#[tokio::test]
async fn v5_segments() {
    exercise(ProtocolVersion::V5, None).await;
}

#[tokio::test]
async fn v5_segments_lz4() {
    exercise(ProtocolVersion::V5, Some(Compression::Lz4)).await;
}

#[tokio::test]
async fn negotiates_v5_by_default() {
    let addr = common::echo_server();
    let session = tokio::time::timeout(
        Duration::from_secs(10),
        Session::connect(addr, ConnectOptions::default()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(session.connection().version(), ProtocolVersion::V5);
}
