//! Argument, environment and rc-file handling.

use super::*;

fn parse(args: &[&str]) -> Args {
    Args::try_parse_from(std::iter::once("sibylsh").chain(args.iter().copied())).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn positional_host_and_port() {
    let a = parse(&[
        "10.0.0.5",
        "9043",
        "-u",
        "bob",
        "-p",
        "pw",
        "-k",
        "ks",
        "-e",
        "select 1;",
    ]);
    let s = settings(&a, &no_env, &Ini::new()).unwrap();
    assert_eq!((s.host.as_str(), s.port), ("10.0.0.5", 9043));
    assert_eq!(s.credentials, Some(("bob".into(), "pw".into())));
    assert_eq!(s.keyspace.as_deref(), Some("ks"));
    assert_eq!(s.execute.as_deref(), Some("select 1;"));
    assert_eq!(s.request_timeout, Duration::from_secs(10));
    assert_eq!(s.color, ColorMode::Auto);
}

#[test]
fn defaults_env_and_rc() {
    let s = settings(&parse(&[]), &no_env, &Ini::new()).unwrap();
    assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 9042));
    let env = |k: &str| match k {
        "SIBYLSH_HOST" => Some("envhost".to_owned()),
        "SIBYLSH_PORT" => Some("1234".to_owned()),
        _ => None,
    };
    let ini = parse_ini(
        "[connection]\nhostname = rchost\nport = 7777\ntimeout = 2\n[ui]\ncolor = off\nfloat_precision = 3\n; c\n",
    );
    let s = settings(&parse(&[]), &env, &ini).unwrap();
    assert_eq!((s.host.as_str(), s.port), ("envhost", 1234));
    let s = settings(&parse(&[]), &no_env, &ini).unwrap();
    assert_eq!((s.host.as_str(), s.port), ("rchost", 7777));
    assert_eq!(s.connect_timeout, Duration::from_secs(2));
    assert_eq!(s.color, ColorMode::Never);
    assert_eq!(s.float_precision, 3);
    // The command line wins over everything.
    let s = settings(&parse(&["h", "1", "--color"]), &env, &ini).unwrap();
    assert_eq!(
        (s.host.as_str(), s.port, s.color),
        ("h", 1, ColorMode::Always)
    );
}

#[test]
fn errors() {
    assert_eq!(
        settings(&parse(&["--ssl"]), &no_env, &Ini::new()),
        Err(CliError::SslNoCertfile)
    );
    let bad_port = |k: &str| (k == "SIBYLSH_PORT").then(|| "x".to_owned());
    assert!(matches!(
        settings(&parse(&[]), &bad_port, &Ini::new()),
        Err(CliError::Invalid { .. })
    ));
    assert!(Args::try_parse_from(["sibylsh", "--color", "--no-color"]).is_err());
    let s = settings(
        &parse(&[
            "--no-color",
            "--request-timeout",
            "2.5",
            "--protocol-version",
            "4",
        ]),
        &no_env,
        &Ini::new(),
    )
    .unwrap();
    assert_eq!(
        (s.color, s.request_timeout, s.protocol_version),
        (ColorMode::Never, Duration::from_millis(2500), Some(4))
    );
}

#[test]
fn ssl_settings_follow_cqlsh() {
    let no_env = |_: &str| None;
    assert_eq!(
        settings(&parse(&[]), &no_env, &Ini::new()).unwrap().ssl,
        None
    );
    let ini = parse_ini("[ssl]\ncertfile = ~/ca.pem\n[certfiles]\nnode1 = /etc/node1.pem\n");
    let home = |k: &str| (k == "HOME").then(|| "/home/me".to_owned());
    let s = settings(&parse(&["--ssl"]), &home, &ini).unwrap();
    assert_eq!(
        s.ssl,
        Some(TlsOptions {
            ca_file: Some(PathBuf::from("/home/me/ca.pem")),
            validate: true
        })
    );
    // [certfiles] <host> wins over [ssl] certfile; the environment over both.
    let s = settings(&parse(&["node1", "--ssl"]), &no_env, &ini).unwrap();
    assert_eq!(
        s.ssl.unwrap().ca_file,
        Some(PathBuf::from("/etc/node1.pem"))
    );
    let env = |k: &str| match k {
        "SSL_CERTFILE" => Some("/env.pem".to_owned()),
        "SSL_VALIDATE" => Some("FALSE".to_owned()),
        _ => None,
    };
    let s = settings(&parse(&["node1", "--ssl"]), &env, &ini).unwrap();
    assert_eq!(
        s.ssl,
        Some(TlsOptions {
            ca_file: Some(PathBuf::from("/env.pem")),
            validate: false
        })
    );
    // validate = false needs no certificate; [connection] ssl = true turns TLS on.
    let ini = parse_ini("[connection]\nssl = true\n[ssl]\nvalidate = false\n");
    let s = settings(&parse(&[]), &no_env, &ini).unwrap();
    assert_eq!(
        s.ssl,
        Some(TlsOptions {
            ca_file: None,
            validate: false
        })
    );
}
