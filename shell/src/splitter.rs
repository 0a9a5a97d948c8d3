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

/// Splits `input` into complete statements and the unterminated rest.
pub fn split(input: &str) -> Split {
    let mut out = Split::default();
    let mut state = State::Code;
    let mut start = 0;
    let mut meaningful = false;
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
                (b';', _) => {
                    push_statement(&mut out, &input[start..=i]);
                    start = i + 1;
                    meaningful = false;
                }
                (b'\n', _) => {
                    let pending = &input[start..i];
                    if meaningful && is_line_command(pending) {
                        push_statement(&mut out, pending);
                        start = i + 1;
                        meaningful = false;
                    }
                }
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
            meaningful = true;
        }
        i += 1;
    }
    let rest = &input[start..];
    if state == State::Code && meaningful && is_line_command(rest) && rest.ends_with('\n') {
        push_statement(&mut out, rest);
    } else if meaningful || state != State::Code {
        out.rest = rest.to_owned();
    }
    out
}

/// Adds a statement unless it holds only whitespace, comments and `;`.
fn push_statement(out: &mut Split, text: &str) {
    let stripped = strip_comments(text);
    let core = stripped.trim().trim_end_matches(';').trim();
    if !core.is_empty() {
        out.statements.push(stripped.trim().to_owned());
    }
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
