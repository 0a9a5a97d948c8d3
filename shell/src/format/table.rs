//! Result layout as cqlsh prints it (`cqlshmain.py` `print_result`,
//! `print_formatted_result`, `print_formatted_result_vertically`): a header
//! of left-justified names, a `-+-` rule, right-justified values, a blank line
//! and `(N rows)`; or `@ Row N` records with EXPAND ON.

use sibyl_protocol::value::CqlValue;

use super::value::{format_cell, format_text};
use super::{Formatted, Kind, Style};

/// A column name formatted as cqlsh's `myformat_colname` (magenta; `role`
/// picks red for partition key, cyan for clustering, white for static).
pub fn format_column_name(name: &str, role: Kind, style: &Style) -> Formatted {
    let mut f = format_text(
        name,
        &Style {
            color: false,
            ..style.clone()
        },
        false,
    );
    if style.color {
        f.colored = format!("{}{}{}", role.color(), f.plain, super::color::RESET);
    }
    f
}

/// Formats every cell of a page.
pub fn format_rows(rows: &[Vec<Option<CqlValue>>], style: &Style) -> Vec<Vec<Formatted>> {
    rows.iter()
        .map(|row| row.iter().map(|c| format_cell(c.as_ref(), style)).collect())
        .collect()
}

/// One page as `print_formatted_result`: `rows = None` prints the header only
/// (and the blank line cqlsh writes after an empty result).
pub fn render_table(
    names: &[Formatted],
    rows: Option<&[Vec<Formatted>]>,
    with_header: bool,
    tty: bool,
    style: &Style,
) -> String {
    let mut widths: Vec<usize> = names.iter().map(|n| n.width).collect();
    for row in rows.unwrap_or(&[]) {
        for (w, col) in widths.iter_mut().zip(row) {
            *w = (*w).max(col.width);
        }
    }
    let mut out = String::new();
    if with_header {
        let header: Vec<String> = names
            .iter()
            .zip(&widths)
            .map(|(n, w)| format!("{}{}", n.shown(style), n.pad(*w)))
            .collect();
        out.push(' ');
        out.push_str(header.join(" | ").trim_end_matches(' '));
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&format!("-{}-\n", rule.join("-+-")));
    }
    let Some(rows) = rows else {
        out.push('\n');
        return out;
    };
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{}{}", c.pad(*w), c.shown(style)))
            .collect();
        out.push(' ');
        out.push_str(&cells.join(" | "));
        out.push('\n');
    }
    if tty {
        out.push('\n');
    }
    out
}

/// Rows as `@ Row N` records (EXPAND ON); `offset` is the rows already shown.
pub fn render_vertical(
    names: &[Formatted],
    rows: &[Vec<Formatted>],
    offset: usize,
    style: &Style,
) -> String {
    let name_w = names.iter().map(|n| n.width).max().unwrap_or(0);
    let value_w = rows.iter().flatten().map(|v| v.width).max().unwrap_or(0);
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&format!("@ Row {}\n", offset + i + 1));
        out.push_str(&format!(
            "-{}-+-{}-\n",
            "-".repeat(name_w),
            "-".repeat(value_w)
        ));
        for (name, value) in names.iter().zip(row) {
            out.push_str(&format!(
                " {}{} | {}\n",
                name.shown(style),
                name.pad(name_w),
                value.shown(style)
            ));
        }
        out.push('\n');
    }
    out
}

/// A page of a result, formatted: what `print_static_result` prints for it.
pub fn render_page(
    names: &[Formatted],
    rows: &[Vec<Formatted>],
    first: bool,
    tty: bool,
    expand: bool,
    offset: usize,
    style: &Style,
) -> String {
    if rows.is_empty() {
        return render_table(names, None, true, tty, style);
    }
    if expand {
        render_vertical(names, rows, offset, style)
    } else {
        render_table(names, Some(rows), first || tty, tty, style)
    }
}

/// The whole of `print_result` for a result whose pages are all known: the
/// leading blank line, each page, the blank line and `(N rows)`.
pub fn render_result(
    names: &[Formatted],
    pages: &[Vec<Vec<Formatted>>],
    tty: bool,
    expand: bool,
    style: &Style,
) -> String {
    let mut out = String::from("\n");
    let mut count = 0;
    for (i, page) in pages.iter().enumerate() {
        if !page.is_empty() || i == 0 {
            out.push_str(&render_page(names, page, i == 0, tty, expand, count, style));
            count += page.len();
        }
    }
    if pages.is_empty() {
        out.push_str(&render_page(names, &[], true, tty, expand, 0, style));
    }
    if !tty {
        out.push('\n');
    }
    out.push_str(&format!("({count} rows)\n"));
    out
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
