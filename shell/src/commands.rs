//! The shell's state and its command dispatcher: one `match` on the first
//! word runs a shell command (CONSISTENCY, PAGING, EXPAND, ...) or sends the
//! statement to the server verbatim (cqlsh sends the text with its `;`).
//!
//! Output goes to two writers (query output, errors) so `-e` prints results on
//! stdout and errors on stderr; `failed` records whether any statement failed
//! (the exit code of `-e`/`-f`). Messages are cqlsh 6.2.2's text.

use std::io::Write;
use std::time::Instant;

use sibyl_protocol::client::{ConnectOptions, Session};
use sibyl_protocol::types::Consistency;

use crate::format::Style;
use crate::splitter;

/// Rows per page by default (cqlsh: 100).
pub const PAGE_SIZE_DEFAULT: i32 = 100;

/// Where output goes.
pub type Sink = Box<dyn Write + Send>;

/// What the caller does after a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next statement.
    Continue,
    /// EXIT / QUIT.
    Exit,
}

/// Server facts shown by SHOW VERSION / SHOW HOST and the banner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerInfo {
    /// `system.local.cluster_name`.
    pub cluster_name: String,
    /// `system.local.release_version`.
    pub release_version: String,
    /// `system.local.cql_version`.
    pub cql_version: String,
}

/// The interactive state of one shell session.
pub struct Shell {
    /// The connection.
    pub session: Session,
    /// Host and port shown by SHOW HOST.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Consistency of statements.
    pub consistency: Consistency,
    /// Serial consistency of statements.
    pub serial_consistency: Consistency,
    /// Page size, `None` with PAGING OFF.
    pub page_size: Option<i32>,
    /// EXPAND ON.
    pub expand: bool,
    /// TRACING ON.
    pub tracing: bool,
    /// TIMING ON.
    pub timing: bool,
    /// Current keyspace.
    pub keyspace: Option<String>,
    /// Query output is a terminal.
    pub tty: bool,
    /// Formatting options.
    pub style: Style,
    /// Set when any statement failed.
    pub failed: bool,
    /// Server facts.
    pub server: ServerInfo,
    /// Query output.
    pub out: Sink,
    /// Error output.
    pub err: Sink,
    /// CAPTURE: the file and the writer results go to.
    pub capture: Option<(String, Sink)>,
    /// SOURCE nesting depth (bounded).
    pub source_depth: usize,
    /// Column roles per (keyspace, table), for coloured headers.
    pub column_roles:
        std::collections::HashMap<(String, String), std::collections::HashMap<String, String>>,
    /// The command word as typed (cqlsh's error messages repeat it).
    pub cmdword: String,
    /// The options the session connected with (LOGIN reconnects with them).
    pub connect_options: ConnectOptions,
    /// The input's name in batch mode (`-f` file, `<stdin>` for `-e`, the
    /// SOURCE file): errors then start with `name:line:` as cqlsh's do.
    pub input_name: Option<String>,
    /// cqlsh's `lineno`: one past the line the running statement ended on.
    pub lineno: usize,
}

/// Deepest SOURCE nesting accepted.
const SOURCE_DEPTH_MAX: usize = 16;

/// The words of a command, without the trailing `;`.
fn words(stmt: &str) -> Vec<String> {
    stmt.trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// cqlsh's `lineno` once the line holding byte `end` was read: that line's
/// number plus one (it counts lines read, starting at 1).
fn line_after(text: &str, end: usize) -> usize {
    let before = text.get(..end).unwrap_or(text);
    before.bytes().filter(|b| *b == b'\n').count() + 2
}

/// The argument of SOURCE/CAPTURE: a quoted or bare file name.
fn file_arg(stmt: &str, keyword: &str) -> Option<String> {
    let rest = stmt
        .trim()
        .trim_end_matches(';')
        .trim()
        .get(keyword.len()..)?
        .trim();
    if rest.is_empty() {
        return None;
    }
    let unq = rest
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .unwrap_or(rest);
    Some(unq.replace("''", "'"))
}

/// A consistency level by name.
pub fn parse_consistency(name: &str) -> Option<Consistency> {
    Consistency::ALL
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(name))
}

impl Shell {
    /// Writes a line of query output (to the capture file when capturing).
    pub fn write_out(&mut self, text: &str) {
        let sink = match &mut self.capture {
            Some((_, f)) => f,
            None => &mut self.out,
        };
        let _ = sink.write_all(text.as_bytes());
        let _ = sink.flush();
    }

    /// Writes a shell message (never captured, as cqlsh's `print`).
    pub fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    /// Writes an error line (after `name:line:` in batch mode, as cqlsh's
    /// `printerr`) and marks the run failed.
    pub fn error(&mut self, text: &str) {
        self.failed = true;
        let numbered;
        let text = match &self.input_name {
            Some(name) => {
                numbered = format!("{name}:{}:{text}", self.lineno);
                numbered.as_str()
            }
            None => text,
        };
        let colored = if self.style.color {
            format!(
                "{}{text}{}",
                crate::format::color::RED,
                crate::format::color::RESET
            )
        } else {
            text.to_owned()
        };
        let _ = writeln!(self.err, "{colored}");
        let _ = self.err.flush();
    }

    /// Runs every statement of a text (for `-e`, `-f`, SOURCE) named `name`
    /// in error lines; with `count_lines` (a file) each error names the line
    /// after the one its statement ended on (cqlsh's `lineno`), else line 1.
    pub async fn run_script(&mut self, name: &str, text: &str, count_lines: bool) -> Flow {
        let saved = (self.input_name.replace(name.to_owned()), self.lineno);
        let flow = self.run_text(text, count_lines).await;
        (self.input_name, self.lineno) = saved;
        flow
    }

    async fn run_text(&mut self, text: &str, count_lines: bool) -> Flow {
        let mut text = text.to_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let split = splitter::split(&text);
        self.lineno = 1;
        for (stmt, end) in split.statements.iter().zip(&split.ends) {
            if count_lines {
                self.lineno = line_after(&text, *end);
            }
            if self.run_statement(stmt).await == Flow::Exit {
                return Flow::Exit;
            }
        }
        let rest = split.rest.trim();
        if !rest.is_empty() {
            if count_lines {
                // Every line was read: cqlsh's count stops one past the last.
                self.lineno = line_after(&text, text.len()) - 1;
            }
            // cqlsh runs an unterminated last statement of -e/-f as well.
            return self.run_statement(rest).await;
        }
        Flow::Continue
    }

    /// Runs one complete statement or shell command.
    pub async fn run_statement(&mut self, stmt: &str) -> Flow {
        let start = Instant::now();
        let flow = self.dispatch(stmt).await;
        if self.timing {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            self.say(&format!("Elapsed: {ms:.3} ms"));
        }
        flow
    }

    /// cqlsh `handle_parse_error` for shell commands: `Improper <word> command.`
    pub fn improper(&mut self) {
        let msg = format!("Improper {} command.", self.cmdword);
        self.error(&msg);
    }

    async fn dispatch(&mut self, stmt: &str) -> Flow {
        let w = words(stmt);
        self.cmdword = w.first().cloned().unwrap_or_default();
        let first = w
            .first()
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        let arg = w.get(1).map(String::as_str);
        match first.as_str() {
            "exit" | "quit" => return Flow::Exit,
            "consistency" => self.consistency_cmd(arg),
            "serial" => self.serial_cmd(w.get(2).map(String::as_str)),
            "paging" => self.paging_cmd(arg),
            "expand" => self.expand = self.switch("EXPAND", self.expand, arg),
            "tracing" => self.tracing = self.switch("TRACING", self.tracing, arg),
            "timing" => self.timing = self.switch("TIMING", self.timing, arg),
            "clear" | "cls" => self.say("\x1b[2J\x1b[H"),
            "help" | "?" => self.help(&w[1..]),
            "show" => self.show(&w[1..]).await,
            "source" => return self.source(stmt).await,
            "capture" => self.capture_cmd(stmt),
            "describe" | "desc" => self.describe(stmt, &w).await,
            "copy" => self.copy(stmt).await,
            "login" => self.login(&w[1..]).await,
            _ => self.cql(stmt).await,
        }
        Flow::Continue
    }

    /// cqlsh's `on_off_switch`.
    fn switch(&mut self, name: &str, current: bool, arg: Option<&str>) -> bool {
        let state = |b: bool| if b { "ON" } else { "OFF" };
        let Some(arg) = arg else {
            self.say(&format!("{name} is {}", state(current)));
            return current;
        };
        let new = match arg.to_ascii_uppercase().as_str() {
            "ON" => true,
            "OFF" => false,
            _ => {
                self.improper();
                return current;
            }
        };
        if new == current {
            self.say(&format!("{name} is already {}", state(current)));
        } else {
            self.say(&format!("{name} set to {}", state(new)));
        }
        new
    }

    /// LOGIN user [password]: reconnects with the new credentials and keeps
    /// the current keyspace (cqlsh `do_login`).
    async fn login(&mut self, args: &[String]) {
        let (Some(user), Some(password)) = (args.first(), args.get(1)) else {
            return self
                .error("Usage: LOGIN <username> <password> (sibylsh does not prompt for it)");
        };
        let unquote = |s: &str| s.trim_matches('\'').replace("''", "'");
        let mut options = self.connect_options.clone();
        options.credentials = Some((unquote(user), unquote(password)));
        options.keyspace.clone_from(&self.keyspace);
        let addr = format!("{}:{}", self.host, self.port);
        match Session::connect(addr.as_str(), options.clone()).await {
            Ok(session) => {
                self.session.connection().close();
                self.session = session;
                self.connect_options = options;
            }
            Err(e) => self.error(&format!("Connection error: {e}")),
        }
    }

    fn consistency_cmd(&mut self, arg: Option<&str>) {
        match arg {
            None => {
                let msg = format!("Current consistency level is {}.", self.consistency.name());
                self.say(&msg);
            }
            Some(level) => match parse_consistency(level) {
                Some(c) => {
                    self.consistency = c;
                    self.say(&format!(
                        "Consistency level set to {}.",
                        level.to_ascii_uppercase()
                    ));
                }
                None => self.improper(),
            },
        }
    }

    fn serial_cmd(&mut self, arg: Option<&str>) {
        match arg {
            None => {
                let msg = format!(
                    "Current serial consistency level is {}.",
                    self.serial_consistency.name()
                );
                self.say(&msg);
            }
            Some(level) => match parse_consistency(level) {
                Some(c @ (Consistency::Serial | Consistency::LocalSerial)) => {
                    self.serial_consistency = c;
                    self.say(&format!(
                        "Serial consistency level set to {}.",
                        level.to_ascii_uppercase()
                    ));
                }
                _ => self.improper(),
            },
        }
    }

    /// cqlsh's `do_paging` with `on_off_switch_with_value`.
    fn paging_cmd(&mut self, arg: Option<&str>) {
        let on = self.page_size.is_some();
        let (new_on, size) = match arg {
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                (true, v.parse::<i32>().ok())
            }
            _ => (self.switch("PAGING", on, arg), None),
        };
        if new_on {
            let size = size.or(self.page_size).unwrap_or(PAGE_SIZE_DEFAULT);
            self.page_size = Some(size);
            self.say(&format!("Page size: {size}"));
        } else {
            self.page_size = None;
        }
    }

    fn help(&mut self, topics: &[String]) {
        if topics.is_empty() {
            let mut names: Vec<String> = crate::complete::SHELL_COMMANDS
                .iter()
                .chain(&["DESC", "DESCRIBE"])
                .map(|s| (*s).to_owned())
                .collect();
            names.sort();
            // Python's cmd.Cmd.print_topics: the ruler is as long as the
            // header including its leading newline; columnize gets maxcol - 1.
            let header = "\nDocumented shell commands:";
            let text = crate::format::columnize(&names, 79);
            let ruler = "=".repeat(header.len());
            self.say(&format!("{header}\n{ruler}\n{text}"));
            return;
        }
        for t in topics {
            let msg = format!(
                "{}: see the CQL and sibylsh documentation (docs/shell.md).",
                t.to_ascii_uppercase()
            );
            self.say(&msg);
        }
    }

    async fn show(&mut self, args: &[String]) {
        let what = args
            .first()
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        match what.as_str() {
            "version" => {
                self.refresh_server_info().await;
                let msg = self.version_line();
                self.say(&msg);
            }
            "host" => {
                self.refresh_server_info().await;
                let msg = format!(
                    "Connected to {} at {}:{}",
                    self.server.cluster_name, self.host, self.port
                );
                self.say(&msg);
            }
            "session" => self.show_session(args.get(1).map(String::as_str)).await,
            _ => self.improper(),
        }
    }

    /// The banner / SHOW VERSION line (cqlsh's format with our name).
    pub fn version_line(&self) -> String {
        format!(
            "[sibylsh {} | Cassandra {} | CQL spec {} | Native protocol v{}]",
            env!("CARGO_PKG_VERSION"),
            self.server.release_version,
            self.server.cql_version,
            self.session.connection().version().number()
        )
    }

    async fn source(&mut self, stmt: &str) -> Flow {
        let Some(path) = file_arg(stmt, "source") else {
            self.improper();
            return Flow::Continue;
        };
        if self.source_depth >= SOURCE_DEPTH_MAX {
            self.error("SOURCE nested too deeply.");
            return Flow::Continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                self.source_depth += 1;
                let flow = Box::pin(self.run_script(&path, &text, true)).await;
                self.source_depth -= 1;
                flow
            }
            Err(e) => {
                self.error(&format!("Could not open '{path}': {e}"));
                Flow::Continue
            }
        }
    }

    fn capture_cmd(&mut self, stmt: &str) {
        let Some(name) = file_arg(stmt, "capture") else {
            let msg = match &self.capture {
                Some((f, _)) => format!("Currently capturing query output to '{f}'."),
                None => "Currently not capturing query output.".to_owned(),
            };
            self.say(&msg);
            return;
        };
        if name.eq_ignore_ascii_case("off") {
            if self.capture.take().is_none() {
                self.error("Not currently capturing output.");
            }
            return;
        }
        if let Some((f, _)) = &self.capture {
            let msg = format!("Already capturing output to {f}. Use CAPTURE OFF to disable.");
            self.error(&msg);
            return;
        }
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&name)
        {
            Ok(f) => {
                self.capture = Some((name.clone(), Box::new(f)));
                self.say(&format!("Now capturing query output to '{name}'."));
            }
            Err(e) => self.error(&format!("Could not open '{name}' for append: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistency_names() {
        assert_eq!(
            parse_consistency("local_quorum"),
            Some(Consistency::LocalQuorum)
        );
        assert_eq!(parse_consistency("ONE"), Some(Consistency::One));
        assert_eq!(parse_consistency("nope"), None);
    }

    #[test]
    fn file_arguments() {
        assert_eq!(
            file_arg("SOURCE 'a b.cql';", "source").as_deref(),
            Some("a b.cql")
        );
        assert_eq!(file_arg("capture off", "capture").as_deref(), Some("off"));
        assert_eq!(file_arg("capture", "capture"), None);
        assert_eq!(words("PAGING 50;"), vec!["PAGING", "50"]);
    }

    #[test]
    fn error_lines_count_as_cqlsh_does() {
        // cqlsh reports one past the line a statement ended on.
        let text = "select 1;\nselect\n 2;\n";
        assert_eq!(line_after(text, 8), 2);
        assert_eq!(line_after(text, text.find("2;").unwrap() + 1), 4);
    }
}
