//! Goal: the pinned Python driver and cqlsh that judge compatibility install
//! by themselves on a fresh machine. Method: ask the harness for them and check
//! the versions they report.

use sibyl_tests::python;

#[test]
fn pinned_driver_and_cqlsh_are_installed() {
    let clients = python::clients().expect("install the Python clients");
    let out = clients
        .run_script(
            "import cassandra, sys; sys.stdout.write(cassandra.__version__)",
            &[],
        )
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3.30.1");
    let murmur = clients
        .run_script(
            "from cassandra.murmur3 import murmur3; print(murmur3(b'hello'))",
            &[],
        )
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&murmur.stdout).trim(),
        "-3758069500696749310"
    );
    let version = std::process::Command::new(&clients.cqlsh)
        .arg("--version")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&version.stdout),
        String::from_utf8_lossy(&version.stderr)
    );
    assert!(text.contains("cqlsh 6.2.2"), "{text}");
}
