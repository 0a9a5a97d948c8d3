use std::io::Write;
use std::net::IpAddr;

use super::*;

fn sources_with_file(text: &str) -> (tempfile::NamedTempFile, ConfigSources) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let sources = ConfigSources {
        file: Some(file.path().to_owned()),
        ..Default::default()
    };
    (file, sources)
}

#[test]
fn defaults_need_nothing_and_follow_cassandra() {
    let config = load(&ConfigSources::default()).unwrap();
    assert_eq!(config, NodeConfig::default());
    assert_eq!(config.cluster_name, "Test Cluster");
    assert_eq!(
        config.listen_address,
        "127.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        (
            config.native_transport_port,
            config.storage_port,
            config.admin_port
        ),
        (9042, 7000, 9180)
    );
    assert_eq!(
        (config.dc.as_str(), config.rack.as_str()),
        ("datacenter1", "rack1")
    );
    assert_eq!(config.num_tokens, 16);
    assert_eq!(config.commitlog_sync, CommitlogSync::Periodic);
    assert_eq!(config.effective_seeds(), vec![config.listen_address]);
}

#[test]
fn file_then_set_then_flags() {
    let (_file, mut sources) = sources_with_file(
        "cluster_name = 'prod'\nnum_tokens = 8\ndc = 'east'\nseeds = '127.0.0.1, 127.0.0.2'\n",
    );
    sources.sets = vec![
        "num_tokens=4".into(),
        "rack=r2".into(),
        "commitlog_sync=batch".into(),
    ];
    sources.flags = vec![("dc", "dc", toml::Value::String("west".into()))];
    let config = load(&sources).unwrap();
    assert_eq!(config.cluster_name, "prod");
    assert_eq!(config.num_tokens, 4, "--set overrides the file");
    assert_eq!(config.dc, "west", "a flag overrides the file");
    assert_eq!(config.rack, "r2", "bare --set values are strings");
    assert_eq!(config.commitlog_sync, CommitlogSync::Batch);
    let seeds: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()];
    assert_eq!(
        config.seeds, seeds,
        "Cassandra's comma-separated seeds are accepted"
    );
}

#[test]
fn unknown_keys_are_named_with_their_origin() {
    let (_file, sources) = sources_with_file("cluster_nmae = 'x'\n");
    let err = load(&sources).unwrap_err().to_string();
    assert!(err.contains("unknown config key `cluster_nmae`"), "{err}");
    let sources = ConfigSources {
        sets: vec!["bogus=1".into()],
        ..Default::default()
    };
    let err = load(&sources).unwrap_err().to_string();
    assert!(err.contains("`bogus`") && err.contains("--set"), "{err}");
}

#[test]
fn bad_values_name_the_key() {
    let sources = ConfigSources {
        sets: vec!["native_transport_port=hello".into()],
        ..Default::default()
    };
    let err = load(&sources).unwrap_err().to_string();
    assert!(
        err.starts_with("bad value for `native_transport_port` (from --set)"),
        "{err}"
    );
    let sources = ConfigSources {
        sets: vec!["commitlog_sync=sometimes".into()],
        ..Default::default()
    };
    let err = load(&sources).unwrap_err().to_string();
    assert!(err.contains("commitlog_sync"), "{err}");
    let sources = ConfigSources {
        sets: vec!["listen_address=not-an-ip".into()],
        ..Default::default()
    };
    assert!(
        load(&sources)
            .unwrap_err()
            .to_string()
            .contains("listen_address")
    );
}

#[test]
fn syntax_errors_give_file_and_line() {
    let (file, sources) = sources_with_file("cluster_name = 'a'\n\nnum_tokens = = 3\n");
    let err = load(&sources).unwrap_err().to_string();
    let expected = format!("{}:3:", file.path().display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let sources = ConfigSources {
        file: Some("/nonexistent/sibyl.toml".into()),
        ..Default::default()
    };
    let err = load(&sources).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot read config file /nonexistent/sibyl.toml"),
        "{err}"
    );
}

#[test]
fn inconsistent_values_are_rejected() {
    let cases = [
        ("storage_port=9042", "storage_port"),
        ("num_tokens=0", "num_tokens"),
        ("num_tokens=5000", "num_tokens"),
        ("listen_address=0.0.0.0", "listen_address"),
        (
            "tombstone_warn_threshold=200000",
            "tombstone_warn_threshold",
        ),
        (
            "native_transport_max_frame_size_mb=1000",
            "native_transport_max_frame_size_mb",
        ),
        ("cluster_name=' '", "cluster_name"),
        ("phi_convict_threshold=-1.0", "phi_convict_threshold"),
    ];
    for (set, key) in cases {
        let sources = ConfigSources {
            sets: vec![set.into()],
            ..Default::default()
        };
        let err = load(&sources).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid(InvalidValue { key: k, .. }) if *k == key),
            "{set}: {err}"
        );
    }
}

#[test]
fn set_without_equals_is_reported() {
    let sources = ConfigSources {
        sets: vec!["num_tokens".into()],
        ..Default::default()
    };
    assert!(matches!(load(&sources), Err(ConfigError::BadSet(_))));
}

#[test]
fn client_encryption_options_parse_and_need_both_files() {
    let (_file, sources) = sources_with_file(
        "[client_encryption_options]\nenabled = true\ncertificate = \"/etc/sibyl/node.crt\"\nprivate_key = \"/etc/sibyl/node.key\"\n",
    );
    let tls = load(&sources).unwrap().client_encryption_options;
    assert!(tls.enabled && !tls.optional);
    assert_eq!(
        tls.certificate.as_deref(),
        Some(std::path::Path::new("/etc/sibyl/node.crt"))
    );
    // Off by default; enabled without a key names the missing key.
    assert!(!NodeConfig::default().client_encryption_options.enabled);
    let sources = ConfigSources {
        sets: vec!["client_encryption_options={enabled=true, certificate=\"a.pem\"}".to_owned()],
        ..Default::default()
    };
    let error = load(&sources).unwrap_err().to_string();
    assert!(
        error.contains("client_encryption_options.private_key"),
        "{error}"
    );
    // An unknown key inside the table is refused.
    let (_file, sources) = sources_with_file("[client_encryption_options]\nkeystore = \"x\"\n");
    assert!(load(&sources).is_err());
}
