//! The admin port over real TCP on 127.0.0.1 with an ephemeral port.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::net::{Direction, FilterAction, Verb, Verdict};
use crate::shutdown::Shutdown;

async fn request(address: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

async fn start(dir: &Path) -> (Shutdown, AdminServer, AdminState) {
    std::fs::write(dir.join("file"), [0u8; 100]).unwrap();
    let status = LocalStatus {
        address: "127.0.0.1".parse().unwrap(),
        dc: "dc1".into(),
        rack: "r1".into(),
        host_id: uuid::Uuid::nil(),
        tokens: 16,
        data_dir: dir.to_path_buf(),
    };
    let state = AdminState {
        filter: Arc::new(MessageFilter::default()),
        metrics: Arc::new(Metrics::new()),
        status: status.provider(),
    };
    let shutdown = Shutdown::new();
    let server = serve(
        "127.0.0.1:0".parse().unwrap(),
        state.clone(),
        shutdown.signal(),
    )
    .await
    .unwrap();
    (shutdown, server, state)
}

#[tokio::test]
async fn faults_are_set_read_back_and_bad_json_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (shutdown, server, state) = start(dir.path()).await;
    let addr = server.local_addr();
    let (code, body) = request(addr, "GET", "/admin/faults", "").await;
    assert_eq!((code, body.as_str()), (200, r#"{"rules":[]}"#));
    let rules = r#"{"rules":[{"peer":"127.0.0.2","direction":"both","action":"drop"},
        {"direction":"outbound","verb":"MUTATION_REQ","action":{"delay_ms":50}}]}"#;
    let (code, _) = request(addr, "POST", "/admin/faults", rules).await;
    assert_eq!(code, 200);
    let peer = "127.0.0.2".parse().unwrap();
    assert_eq!(
        state
            .filter
            .verdict(peer, Direction::Inbound, Verb::ReadReq),
        Verdict::Drop
    );
    let (code, body) = request(addr, "GET", "/admin/faults", "").await;
    assert_eq!(code, 200);
    let back: FilterRules = serde_json::from_str(&body).unwrap();
    assert_eq!(back.rules.len(), 2);
    assert_eq!(back.rules[1].action, FilterAction::Delay(50));
    let (code, body) = request(addr, "POST", "/admin/faults", r#"{"rules":[{"peer":1}]}"#).await;
    assert_eq!(code, 400);
    assert!(body.starts_with("bad fault rules:"), "{body}");
    let (code, _) = request(addr, "POST", "/admin/faults", "not json").await;
    assert_eq!(code, 400);
    assert_eq!(
        state.filter.rules().rules.len(),
        2,
        "a refused body changes nothing"
    );
    let (code, _) = request(addr, "POST", "/admin/faults", r#"{"rules":[]}"#).await;
    assert_eq!(code, 200);
    assert!(state.filter.rules().rules.is_empty());
    shutdown.fire();
    tokio::time::timeout(std::time::Duration::from_secs(5), server.join())
        .await
        .unwrap();
}

#[tokio::test]
async fn status_and_metrics_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (shutdown, server, state) = start(dir.path()).await;
    let addr = server.local_addr();
    let (code, body) = request(addr, "GET", "/admin/status", "").await;
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["local"], "127.0.0.1");
    let node = &status["nodes"][0];
    assert_eq!(node["state"], "UN");
    assert_eq!(node["dc"], "dc1");
    assert_eq!(node["rack"], "r1");
    assert_eq!(node["tokens"], 16);
    assert_eq!(node["load_bytes"], 100);
    assert_eq!(node["host_id"], uuid::Uuid::nil().to_string());
    state.metrics.native_request();
    state.metrics.message_sent(Verb::GossipSyn);
    let (code, body) = request(addr, "GET", "/metrics", "").await;
    assert_eq!(code, 200);
    assert!(body.contains("\nsibyl_native_requests_total 1\n"), "{body}");
    assert!(body.contains("sibyl_messages_sent_total{verb=\"GOSSIP_SYN\"} 1\n"));
    let (code, _) = request(addr, "GET", "/nothing", "").await;
    assert_eq!(code, 404);
    shutdown.fire();
    server.join().await;
}

#[tokio::test]
async fn a_stalled_client_does_not_hold_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (shutdown, server, _) = start(dir.path()).await;
    let mut stalled = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stalled
        .write_all(b"GET /admin/status HTTP/1.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    shutdown.fire();
    tokio::time::timeout(JOIN_TIMEOUT * 2, server.join())
        .await
        .unwrap();
}

#[test]
fn directory_bytes_sums_nested_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("a"), [1u8; 10]).unwrap();
    std::fs::write(dir.path().join("sub/b"), [1u8; 32]).unwrap();
    assert_eq!(directory_bytes(dir.path()), 42);
    assert_eq!(directory_bytes(&dir.path().join("missing")), 0);
}
