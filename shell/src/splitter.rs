//! The statement splitter: cuts shell input into complete statements.
//!
//! Pure (no IO). A CQL statement ends at a `;` outside string literals
//! (`'..'` with `''` escapes), quoted identifiers (`".."`), `$$..$$` strings
//! and comments (`--`, `//` to end of line, `/* .. */`). A shell command
//! (`EXPAND ON`, `EXIT`, ...) needs no `;` and ends at the newline, as in
//! cqlsh. Invariant: every byte of the input is either in a returned
//! statement, in the pending remainder, or is whitespace/comment between
//! statements; the splitter never panics on any input.

/// Shell commands that end at a newline without `;` (cqlsh's `cqlsh_extra_syntax_rules`).
const LINE_COMMANDS: &[&str] = &[
    "help",
    "?",
    "exit",
    "quit",
    "consistency",
    "serial",
    "paging",
    "expand",
    "tracing",
    "timing",
    "show",
    "source",
    "capture",
    "clear",
    "cls",
    "login",
    "describe",
    "desc",
    "copy",
];

/// The lexical state at the end of the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    Single,
    Double,
    Dollar,
    LineComment,
    BlockComment,
}

/// The result of splitting a buffer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    /// Complete statements, trimmed, each with its terminating `;` when it had one.
    pub statements: Vec<String>,
    /// Byte offset in the input where each statement ended (its `;`, or the
    /// newline ending a shell command): the line it completed on.
    pub ends: Vec<usize>,
    /// Text not yet terminated (the REPL keeps reading lines into it).
    pub rest: String,
}

/// True when `stmt` starts with a shell command word that needs no `;`.
pub fn is_line_command(stmt: &str) -> bool {
    let first = first_word(stmt);
    LINE_COMMANDS.iter().any(|c| first.eq_ignore_ascii_case(c))
}

/// The first word of a statement (letters, digits, `_`, or a lone `?`).
fn first_word(stmt: &str) -> &str {
    let t = stmt.trim_start();
    if t.starts_with('?') {
        return "?";
    }
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    t.get(..end).unwrap_or("")
}

/// Where statements are cut, while [`split`] scans the input.
struct Cuts<'a> {
    input: &'a str,
    out: Split,
    /// Start of the statement being scanned.
    start: usize,
    /// It holds more than whitespace and comments.
    meaningful: bool,
    /// Inside `BEGIN BATCH ... APPLY BATCH`: inner `;` do not end the
    /// statement (cqlsh `cql_split_statements`).
    in_batch: bool,
    /// Where the current `;`-terminated part of a batch began.
    piece: usize,
}

impl Cuts<'_> {
    /// A `;` in code at byte `i`.
    fn semicolon(&mut self, i: usize) {
        let (begins, applies) = batch_edges(self.input.get(self.piece..=i).unwrap_or(""));
        self.piece = i + 1;
        if !applies && (self.in_batch || begins) {
            self.in_batch = true;
        } else {
            self.in_batch = false;
            let text = self.input.get(self.start..=i).unwrap_or("");
            push_statement(&mut self.out, text, i);
            self.start = i + 1;
            self.meaningful = false;
        }
    }

    /// A newline in code at byte `i`: the end of a pending shell command.
    fn newline(&mut self, i: usize) {
        let pending = self.input.get(self.start..i).unwrap_or("");
        if self.meaningful && !self.in_batch && is_line_command(pending) {
            push_statement(&mut self.out, pending, i);
            self.start = i + 1;
            self.piece = self.start;
            self.meaningful = false;
        }
    }

    /// The end of the input in `state`: a last shell command, or the rest.
    fn finish(mut self, state: State) -> Split {
        let rest = self.input.get(self.start..).unwrap_or("");
        let command = state == State::Code
            && self.meaningful
            && !self.in_batch
            && is_line_command(rest)
            && rest.ends_with('\n');
        if command {
            push_statement(&mut self.out, rest, self.input.len().saturating_sub(1));
        } else if self.meaningful || state != State::Code {
            self.out.rest = rest.to_owned();
        }
        self.out
    }
}

/// Splits `input` into complete statements and the unterminated rest.
pub fn split(input: &str) -> Split {
    let mut cuts = Cuts {
        input,
        out: Split::default(),
        start: 0,
        meaningful: false,
        in_batch: false,
        piece: 0,
    };
    let mut state = State::Code;
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        let before = state;
        match state {
            State::Code => match (b, next) {
                (b'\'', _) => state = State::Single,
                (b'"', _) => state = State::Double,
                (b'$', Some(b'$')) => {
                    state = State::Dollar;
                    i += 1;
                }
                (b'-', Some(b'-')) | (b'/', Some(b'/')) => state = State::LineComment,
                (b'/', Some(b'*')) => {
                    state = State::BlockComment;
                    i += 1;
                }
                (b';', _) => cuts.semicolon(i),
                (b'\n', _) => cuts.newline(i),
                _ => {}
            },
            State::Single if b == b'\'' => state = State::Code,
            State::Double if b == b'"' => state = State::Code,
            State::Dollar if b == b'$' && next == Some(b'$') => {
                state = State::Code;
                i += 1;
            }
            State::LineComment if b == b'\n' => {
                state = State::Code;
                continue;
            }
            State::BlockComment if b == b'*' && next == Some(b'/') => {
                state = State::Code;
                i += 1;
            }
            _ => {}
        }
        let in_text = matches!(state, State::Single | State::Double | State::Dollar);
        let code_byte = before == State::Code && state == State::Code && b != b';';
        if in_text || (code_byte && !b.is_ascii_whitespace()) {
            cuts.meaningful = true;
        }
        i += 1;
    }
    cuts.finish(state)
}

/// Adds a statement ending at byte `end` unless it holds only whitespace,
/// comments and `;`.
fn push_statement(out: &mut Split, text: &str, end: usize) {
    let stripped = strip_comments(text);
    let core = stripped.trim().trim_end_matches(';').trim();
    if !core.is_empty() {
        out.statements.push(stripped.trim().to_owned());
        out.ends.push(end);
    }
}

/// Whether a `;`-terminated part starts a batch (`BEGIN ...`) and whether it
/// ends one (`... APPLY BATCH;`: cqlsh looks at the third token from the end).
fn batch_edges(part: &str) -> (bool, bool) {
    let stripped = strip_comments(part);
    let words: Vec<&str> = stripped
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .collect();
    let begins = words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("begin"));
    let applies = words.len() >= 2
        && words
            .get(words.len() - 2)
            .is_some_and(|w| w.eq_ignore_ascii_case("apply"));
    (begins, applies)
}

/// Removes comments outside strings (what remains is sent to the server).
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut state = State::Code;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match state {
            State::Code => match (c, next) {
                ('-', Some('-')) | ('/', Some('/')) => {
                    state = State::LineComment;
                    continue;
                }
                ('/', Some('*')) => {
                    chars.next();
                    state = State::BlockComment;
                    out.push(' ');
                    continue;
                }
                ('\'', _) => state = State::Single,
                ('"', _) => state = State::Double,
                ('$', Some('$')) => {
                    chars.next();
                    out.push('$');
                    state = State::Dollar;
                }
                _ => {}
            },
            State::Single if c == '\'' => state = State::Code,
            State::Double if c == '"' => state = State::Code,
            State::Dollar if c == '$' && next == Some('$') => {
                chars.next();
                out.push('$');
                state = State::Code;
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                    out.push('\n');
                }
                continue;
            }
            State::BlockComment => {
                if c == '*' && next == Some('/') {
                    chars.next();
                    state = State::Code;
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "splitter_tests.rs"]
mod tests;
