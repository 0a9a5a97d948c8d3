//! The interactive loop (rustyline): prompt `sibylsh> ` or `sibylsh:ks> `,
//! continuation `   ... ` until the splitter sees a complete statement,
//! history in `~/.sibylsh_history`, Ctrl-C drops the pending input, Ctrl-D exits.

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use sibyl_shell::commands::{Flow, Shell};
use sibyl_shell::splitter;

/// The prompt for the current keyspace.
fn prompt(keyspace: Option<&str>) -> String {
    match keyspace {
        Some(ks) => format!("sibylsh:{ks}> "),
        None => "sibylsh> ".to_owned(),
    }
}

/// Runs until EXIT or Ctrl-D.
pub async fn run(shell: &mut Shell) {
    shell.refresh_server_info().await;
    let host = format!(
        "Connected to {} at {}:{}.",
        shell.server.cluster_name, shell.host, shell.port
    );
    shell.say(&host);
    let banner = shell.version_line();
    shell.say(&banner);
    shell.say("Use HELP for help.");
    let Ok(mut editor) = DefaultEditor::new() else {
        shell.error("cannot open the terminal for line editing");
        return;
    };
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
        let line = tokio::task::block_in_place(|| editor.readline(&p));
        match line {
            Ok(line) => {
                pending.push_str(&line);
                pending.push('\n');
                let split = splitter::split(&pending);
                for stmt in &split.statements {
                    let _ = editor.add_history_entry(stmt.as_str());
                    if shell.run_statement(stmt).await == Flow::Exit {
                        save(&mut editor, history.as_deref());
                        return;
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

fn save(editor: &mut DefaultEditor, path: Option<&str>) {
    if let Some(p) = path {
        let _ = editor.save_history(p);
    }
}
