//! Output formatting exactly as cqlsh 6.2.2 prints it (`cqlshlib/formatting.py`,
//! `displaying.py`, `cqlshmain.py` print_* functions).
//!
//! Every formatter returns a [`Formatted`]: the plain text, the coloured text
//! and the display width (terminal columns, not bytes), so layout never counts
//! escape codes. Colour is decided once per call by [`Style`].

pub mod error;
pub mod number;
pub mod table;
pub mod value;

/// ANSI colours of cqlsh's `displaying.py`.
pub mod color {
    /// Bold red.
    pub const RED: &str = "\x1b[0;1;31m";
    /// Bold green.
    pub const GREEN: &str = "\x1b[0;1;32m";
    /// Bold yellow.
    pub const YELLOW: &str = "\x1b[0;1;33m";
    /// Bold blue.
    pub const BLUE: &str = "\x1b[0;1;34m";
    /// Bold magenta.
    pub const MAGENTA: &str = "\x1b[0;1;35m";
    /// Bold cyan.
    pub const CYAN: &str = "\x1b[0;1;36m";
    /// Bold white.
    pub const WHITE: &str = "\x1b[0;1;37m";
    /// Plain magenta (blobs).
    pub const DARK_MAGENTA: &str = "\x1b[0;35m";
    /// Reset.
    pub const RESET: &str = "\x1b[0m";
}

/// The kind of a value, which picks its colour (cqlsh `DEFAULT_VALUE_COLORS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (yellow).
    Text,
    /// Null and errors (red).
    Error,
    /// Blobs (dark magenta).
    Blob,
    /// Numbers, dates, uuids, inets, booleans (green).
    Green,
    /// Collection punctuation (blue).
    Collection,
    /// A column name (magenta).
    ColumnName,
    /// A partition key column name (red).
    PartitionKey,
    /// A clustering column name (cyan).
    Clustering,
    /// A static column name (white).
    Static,
}

impl Kind {
    /// The colour escape of this kind.
    pub fn color(self) -> &'static str {
        match self {
            Kind::Text => color::YELLOW,
            Kind::Error => color::RED,
            Kind::Blob => color::DARK_MAGENTA,
            Kind::Green => color::GREEN,
            Kind::Collection => color::BLUE,
            Kind::ColumnName => color::MAGENTA,
            Kind::PartitionKey => color::RED,
            Kind::Clustering => color::CYAN,
            Kind::Static => color::WHITE,
        }
    }
}

/// Display options (cqlsh's `[ui]` settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colours.
    pub color: bool,
    /// Significant digits for `float` (cqlsh `float_precision`, default 5).
    pub float_precision: usize,
    /// Significant digits for `double` (cqlsh `double_precision`, default 12).
    pub double_precision: usize,
    /// Text printed for null (cqlsh `null`).
    pub null_text: String,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            float_precision: 5,
            double_precision: 12,
            null_text: "null".into(),
        }
    }
}

/// A formatted value: plain text, coloured text and display width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    /// The text without colour.
    pub plain: String,
    /// The text with colour escapes (equal to `plain` without colour).
    pub colored: String,
    /// Terminal columns the text takes.
    pub width: usize,
}

impl Formatted {
    /// A value of one kind, coloured as a whole when `style.color`.
    pub fn kind(text: String, kind: Kind, style: &Style) -> Formatted {
        let width = display_width(&text);
        let colored = if style.color {
            format!("{}{}{}", kind.color(), text, color::RESET)
        } else {
            text.clone()
        };
        Formatted {
            plain: text,
            colored,
            width,
        }
    }

    /// The text to print (coloured or plain).
    pub fn shown(&self, style: &Style) -> &str {
        if style.color {
            &self.colored
        } else {
            &self.plain
        }
    }

    /// Spaces that pad this value to `width` columns.
    pub fn pad(&self, width: usize) -> String {
        " ".repeat(width.saturating_sub(self.width))
    }
}

/// Terminal columns of `s` (cqlsh uses `wcwidth.wcswidth`).
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Python's `cmd.Cmd.columnize`: names in as few rows as fit `width`
/// columns, column-major, two spaces apart; `<empty>` for none.
pub fn columnize(names: &[String], width: usize) -> String {
    if names.is_empty() {
        return "<empty>\n".into();
    }
    let size = names.len();
    let w = |i: usize| names.get(i).map_or(0, |n| display_width(n));
    let mut layout = (size, vec![0]);
    for nrows in 1..size {
        let ncols = size.div_ceil(nrows);
        let mut colwidths = Vec::with_capacity(ncols);
        let mut total: isize = -2;
        for col in 0..ncols {
            let cw = (0..nrows)
                .map(|row| row + nrows * col)
                .take_while(|i| *i < size)
                .map(w)
                .max()
                .unwrap_or(0);
            colwidths.push(cw);
            total += isize::try_from(cw + 2).unwrap_or(isize::MAX);
            if total > isize::try_from(width).unwrap_or(isize::MAX) {
                break;
            }
        }
        if total <= isize::try_from(width).unwrap_or(isize::MAX) {
            layout = (nrows, colwidths);
            break;
        }
    }
    let (nrows, colwidths) = layout;
    let mut out = String::new();
    for row in 0..nrows {
        let mut texts: Vec<&str> = (0..colwidths.len())
            .map(|col| names.get(row + nrows * col).map_or("", String::as_str))
            .collect();
        while texts.last().is_some_and(|t| t.is_empty()) {
            texts.pop();
        }
        let padded: Vec<String> = texts
            .iter()
            .zip(&colwidths)
            .map(|(t, cw)| format!("{t}{}", " ".repeat(cw.saturating_sub(display_width(t)))))
            .collect();
        out.push_str(&padded.join("  "));
        out.push('\n');
    }
    out
}
