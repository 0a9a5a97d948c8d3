//! The interactive shell through a real pseudo-terminal (tmux): a multi-line
//! statement with the continuation prompt, tab completion of a column name
//! from the schema, history recall with Up, Ctrl-C dropping pending input,
//! paging with `---MORE---`, and Ctrl-D exiting with the history saved. Method: run `sibylsh` inside a
//! private tmux server against the in-process fake node and read the pane.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{FakeNode, SeenQuery, error, rows};
use sibyl_protocol::response::{ErrorKind, Response};
use sibyl_protocol::value::{CqlType, CqlValue};

fn handler(q: &SeenQuery) -> Response {
    let text = |s: &str| Some(CqlValue::Text(s.into()));
    match q.text.as_str() {
        "SELECT keyspace_name, table_name, column_name FROM system_schema.columns" => rows(
            &[
                ("keyspace_name", CqlType::Text),
                ("table_name", CqlType::Text),
                ("column_name", CqlType::Text),
            ],
            &[
                vec![text("ks"), text("users"), text("id")],
                vec![text("ks"), text("users"), text("nickname")],
            ],
            None,
        ),
        "select * from\nks.empty;" => rows(&[("k", CqlType::Int)], &[], None),
        "select k from ks.paged;" => match &q.paging_state {
            None => rows(
                &[("k", CqlType::Int)],
                &[vec![Some(CqlValue::Int(1))]],
                Some(b"p1"),
            ),
            Some(_) => rows(
                &[("k", CqlType::Int)],
                &[vec![Some(CqlValue::Int(22))]],
                None,
            ),
        },
        _ => error(ErrorKind::Invalid, "unknown"),
    }
}

struct Tmux {
    socket: String,
}

impl Tmux {
    async fn run(&self, args: &[&str]) -> String {
        let out = tokio::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .await
            .expect("tmux is required by this test: apt-get install tmux (.ci/run installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types each item: literal text, or a key name in angle brackets (`<Enter>`).
    async fn keys(&self, keys: &[&str]) {
        for k in keys {
            match k.strip_prefix('<').and_then(|k| k.strip_suffix('>')) {
                Some(name) => self.run(&["send-keys", "-t", "t", name]).await,
                // tmux reads a trailing `;` as a command separator.
                None => {
                    let text = match k.strip_suffix(';') {
                        Some(head) => format!("{head}\\;"),
                        None => (*k).to_owned(),
                    };
                    self.run(&["send-keys", "-t", "t", "-l", &text]).await
                }
            };
        }
    }

    async fn pane(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"]).await
    }

    /// Waits until the last non-empty line is a fresh prompt (rustyline has
    /// put the terminal in raw mode, so Ctrl-C reaches it as a key).
    async fn wait_prompt(&self) {
        self.wait("a fresh prompt", |p| {
            p.lines().rev().find(|l| !l.trim().is_empty()) == Some("sibylsh>")
        })
        .await;
    }

    /// Waits until the pane satisfies `pred`; returns it.
    async fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        for _ in 0..400 {
            let p = self.pane().await;
            if pred(&p) {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; pane:\n{}", self.pane().await);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Starts `sibylsh` in a private tmux server against `node`.
async fn start(node: &FakeNode) -> (Tmux, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("temp dir");
    let tmux = Tmux {
        socket: format!("sibylsh-test-{}", std::process::id()),
    };
    let cmd = format!(
        "HOME={} TERM=xterm {} {} {} --protocol-version 4 --no-color",
        home.path().display(),
        env!("CARGO_BIN_EXE_sibylsh"),
        node.addr.ip(),
        node.addr.port()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "40",
        &cmd,
    ])
    .await;
    (tmux, home)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_session_in_a_terminal() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("tmux is not installed: the pseudo-terminal test cannot run");
        return;
    }
    let node = FakeNode::start(Arc::new(handler)).await;
    let (tmux, home) = start(&node).await;
    tmux.wait("the prompt", |p| p.contains("sibylsh>")).await;

    // A statement over two lines: continuation prompt, then the result.
    tmux.keys(&["select * from", "<Enter>"]).await;
    tmux.wait("the continuation prompt", |p| {
        p.lines().any(|l| l.starts_with("   ..."))
    })
    .await;
    tmux.keys(&["ks.empty;", "<Enter>"]).await;
    tmux.wait("the result", |p| p.contains("(0 rows)")).await;
    tmux.wait_prompt().await;

    // Tab completes a column of the table named on the line.
    tmux.keys(&["select * from ks.users where nick", "<Tab>"])
        .await;
    tmux.wait("the completed column", |p| p.contains("where nickname"))
        .await;
    // Ctrl-C drops the pending input: nothing is sent.
    tmux.keys(&["<C-c>"]).await;
    tmux.wait_prompt().await;
    tmux.keys(&["expand on", "<Enter>"]).await;
    tmux.wait("EXPAND set to ON", |p| p.contains("EXPAND set to ON"))
        .await;
    assert!(!node.queries().iter().any(|q| q.text.contains("nickname")));

    // Up recalls the last statement.
    tmux.keys(&["<Up>"]).await;
    tmux.wait("the recalled line", |p| {
        p.lines()
            .filter(|l| l.trim_end() == "sibylsh> expand on")
            .count()
            == 2
    })
    .await;
    tmux.keys(&["<C-c>"]).await;

    // Paging on a terminal pauses with ---MORE--- between pages.
    tmux.wait_prompt().await;
    tmux.keys(&["paging 1", "<Enter>"]).await;
    tmux.wait("the page size", |p| p.contains("Page size: 1"))
        .await;
    tmux.wait_prompt().await;
    tmux.keys(&["select k from ks.paged;", "<Enter>"]).await;
    tmux.wait("the pause", |p| p.contains("---MORE---")).await;
    assert_eq!(
        node.queries()
            .iter()
            .filter(|q| q.text.contains("ks.paged"))
            .count(),
        1
    );
    tmux.keys(&["<Enter>"]).await;
    tmux.wait("both pages", |p| p.contains("(2 rows)")).await;
    tmux.wait_prompt().await;

    // Ctrl-D exits and saves the history.
    tmux.keys(&["<C-d>"]).await;
    let history = home.path().join(".sibylsh_history");
    let mut saved = String::new();
    for _ in 0..100 {
        saved = std::fs::read_to_string(&history).unwrap_or_default();
        if saved.contains("expand on") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saved.contains("expand on"), "history: {saved:?}");
    assert!(saved.contains("ks.empty;"), "history: {saved:?}");
}
