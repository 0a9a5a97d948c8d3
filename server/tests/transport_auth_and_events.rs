//! Goal: SASL PLAIN authentication works as drivers perform it, and
//! registered connections receive events on stream -1. Method: raw frames.

mod support;

use sibyl_protocol::Response;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::request::{EventType, Request};
use sibyl_protocol::response::{
    ErrorKind, Event, SchemaChange, SchemaChangeTarget, SchemaChangeType,
};
use sibyl_server::transport::TransportConfig;
use support::TestServer;

fn plain(user: &str, password: &str) -> Option<bytes::Bytes> {
    Some(bytes::Bytes::from(format!("\0{user}\0{password}")))
}

#[tokio::test]
async fn password_authentication() {
    let config = TransportConfig {
        authenticator: Some("org.apache.cassandra.auth.PasswordAuthenticator".into()),
        ..TransportConfig::default()
    };
    let server = TestServer::start(config).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    let mut options = sibyl_protocol::types::StringMap::new();
    options.insert("CQL_VERSION".into(), "3.0.0".into());
    client.send(1, Request::Startup(options)).await;
    let Response::Authenticate(class) = client.recv().await.unwrap().response else {
        panic!()
    };
    assert_eq!(class, "org.apache.cassandra.auth.PasswordAuthenticator");
    client.query(2, "sneaky").await;
    let Response::Error(error) = client.recv().await.unwrap().response else {
        panic!()
    };
    assert!(
        error.message.contains("expecting SASL response"),
        "{}",
        error.message
    );
    client
        .send(3, Request::AuthResponse(plain("cassandra", "wrong")))
        .await;
    let Response::Error(error) = client.recv().await.unwrap().response else {
        panic!()
    };
    assert!(matches!(error.kind, ErrorKind::AuthenticationError));
    assert_eq!(
        error.message,
        "Provided username cassandra and/or password are incorrect"
    );
    client
        .send(4, Request::AuthResponse(plain("cassandra", "cassandra")))
        .await;
    assert!(matches!(
        client.recv().await.unwrap().response,
        Response::AuthSuccess(_)
    ));
    client.query(5, "now allowed").await;
    assert_eq!(client.recv().await.unwrap().stream, 5);
    assert_eq!(
        server
            .handler
            .served
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn registered_connections_get_events_on_stream_minus_one() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut listener = server.client(ProtocolVersion::V4).await;
    listener.handshake(None).await;
    listener
        .send(2, Request::Register(vec![EventType::SchemaChange]))
        .await;
    assert!(matches!(
        listener.recv().await.unwrap().response,
        Response::Ready
    ));
    let mut bystander = server.client(ProtocolVersion::V4).await;
    bystander.handshake(None).await;
    let change = SchemaChange {
        change: SchemaChangeType::Created,
        target: SchemaChangeTarget::Keyspace {
            keyspace: "ks".into(),
        },
    };
    server.send_event(Event::StatusChange {
        change: sibyl_protocol::response::StatusChange::Up,
        address: "127.0.0.2:9042".parse().unwrap(),
    });
    server.send_event(Event::SchemaChange(change.clone()));
    let event = listener.recv().await.unwrap();
    assert_eq!(event.stream, -1);
    assert_eq!(
        event.response,
        Response::Event(Event::SchemaChange(change)),
        "status change was not registered for"
    );
    bystander.query(9, "ping").await;
    assert_eq!(
        bystander.recv().await.unwrap().stream,
        9,
        "an unregistered connection gets no event"
    );
    server.stop().await;
}
