//! The interactive loop (rustyline): prompt `sibylsh> ` or `sibylsh:ks> `,
//! continuation `   ... ` until the splitter sees a complete statement,
//! history in `~/.sibylsh_history`, Ctrl-C drops the pending input, Ctrl-D
//! exits; schema-aware completion refreshed on SCHEMA_CHANGE events, and
//! highlighting when colour is on.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use sibyl_protocol::request::EventType;
use sibyl_shell::commands::{Flow, Shell};
use sibyl_shell::complete::{self, SchemaCache};
use sibyl_shell::splitter;

/// Shared between the editor and the loop.
struct ShellHelper {
    schema: Arc<Mutex<SchemaCache>>,
    keyspace: Arc<Mutex<Option<String>>>,
    color: bool,
}

impl Helper for ShellHelper {}
impl Hinter for ShellHelper {
    type Hint = String;
}
impl Validator for ShellHelper {}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let schema = self.schema.lock().map(|s| s.clone()).unwrap_or_default();
        let ks = self.keyspace.lock().map(|k| k.clone()).unwrap_or_default();
        Ok(complete::complete(line, pos, &schema, ks.as_deref()))
    }
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(complete::highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

/// The prompt for the current keyspace.
fn prompt(keyspace: Option<&str>) -> String {
    match keyspace {
        Some(ks) => format!("sibylsh:{ks}> "),
        None => "sibylsh> ".to_owned(),
    }
}

/// Loads the schema now and again after every SCHEMA_CHANGE event.
async fn watch_schema(shell: &Shell, schema: &Arc<Mutex<SchemaCache>>) {
    let loaded = SchemaCache::load(&shell.session).await;
    if let Ok(mut s) = schema.lock() {
        *s = loaded;
    }
    let Ok(mut events) = shell
        .session
        .connection()
        .register(&[EventType::SchemaChange])
        .await
    else {
        return;
    };
    let session = shell.session.clone();
    let schema = Arc::clone(schema);
    tokio::spawn(async move {
        while events.recv().await.is_some() {
            let loaded = SchemaCache::load(&session).await;
            if let Ok(mut s) = schema.lock() {
                *s = loaded;
            }
        }
    });
}

/// Runs until EXIT or Ctrl-D.
pub async fn run(shell: &mut Shell) {
    shell.refresh_server_info().await;
    let host = format!(
        "Connected to {} at {}:{}",
        shell.server.cluster_name, shell.host, shell.port
    );
    shell.say(&host);
    let banner = shell.version_line();
    shell.say(&banner);
    shell.say("Use HELP for help.");
    let schema = Arc::new(Mutex::new(SchemaCache::default()));
    let keyspace = Arc::new(Mutex::new(shell.keyspace.clone()));
    watch_schema(shell, &schema).await;
    let Ok(mut editor) = Editor::<ShellHelper, DefaultHistory>::new() else {
        shell.error("cannot open the terminal for line editing");
        return;
    };
    editor.set_helper(Some(ShellHelper {
        schema,
        keyspace: Arc::clone(&keyspace),
        color: shell.style.color,
    }));
    let history = std::env::var("HOME")
        .ok()
        .map(|h| format!("{h}/.sibylsh_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    let mut pending = String::new();
    loop {
        let p = if pending.is_empty() {
            prompt(shell.keyspace.as_deref())
        } else {
            "   ... ".to_owned()
        };
        match tokio::task::block_in_place(|| editor.readline(&p)) {
            Ok(line) => {
                pending.push_str(&line);
                pending.push('\n');
                let split = splitter::split(&pending);
                for stmt in &split.statements {
                    let _ = editor.add_history_entry(stmt.as_str());
                    // Ctrl-C while a statement runs abandons it (the
                    // terminal is in cooked mode, so it arrives as SIGINT).
                    let flow = tokio::select! {
                        flow = shell.run_statement(stmt) => flow,
                        _ = tokio::signal::ctrl_c() => {
                            shell.say("");
                            Flow::Continue
                        }
                    };
                    if flow == Flow::Exit {
                        save(&mut editor, history.as_deref());
                        return;
                    }
                    if let Ok(mut k) = keyspace.lock() {
                        k.clone_from(&shell.keyspace);
                    }
                }
                pending = split.rest;
            }
            Err(ReadlineError::Interrupted) => pending.clear(),
            Err(_) => break,
        }
    }
    save(&mut editor, history.as_deref());
}

fn save(editor: &mut Editor<ShellHelper, DefaultHistory>, path: Option<&str>) {
    if let Some(p) = path {
        let _ = editor.save_history(p);
    }
}
