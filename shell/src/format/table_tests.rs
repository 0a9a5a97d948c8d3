//! Golden layout tests: expected text follows cqlshmain.py's print_result,
//! print_formatted_result and print_formatted_result_vertically. The page
//! bodies were checked by calling those cqlsh functions from the pinned venv
//! on the same values (identical strings); the surrounding blank lines and
//! `(N rows)` come from reading print_result.

use sibyl_protocol::value::CqlValue;

use super::*;

fn names(list: &[&str]) -> Vec<Formatted> {
    list.iter()
        .map(|n| format_column_name(n, Kind::ColumnName, &Style::default()))
        .collect()
}

fn sample() -> Vec<Vec<Option<CqlValue>>> {
    vec![
        vec![
            Some(CqlValue::Int(1)),
            Some(CqlValue::Text("one".into())),
            None,
        ],
        vec![
            Some(CqlValue::Int(20)),
            Some(CqlValue::Text("twenty".into())),
            Some(CqlValue::Boolean(true)),
        ],
    ]
}

#[test]
fn table_non_tty() {
    let style = Style::default();
    let rows = format_rows(&sample(), &style);
    let out = render_result(
        &names(&["k", "name", "flag"]),
        &[rows],
        false,
        false,
        &style,
    );
    let expected = "\n k  | name   | flag\n----+--------+------\n  1 |    one | null\n 20 | twenty | True\n\n(2 rows)\n";
    assert_eq!(out, expected);
}

#[test]
fn table_tty_has_same_text_for_one_page() {
    let style = Style::default();
    let rows = format_rows(&sample(), &style);
    let tty = render_result(
        &names(&["k", "name", "flag"]),
        std::slice::from_ref(&rows),
        true,
        false,
        &style,
    );
    let piped = render_result(
        &names(&["k", "name", "flag"]),
        &[rows],
        false,
        false,
        &style,
    );
    assert_eq!(tty, piped);
}

#[test]
fn empty_result() {
    let style = Style::default();
    let out = render_result(&names(&["k", "v"]), &[vec![]], false, false, &style);
    assert_eq!(out, "\n k | v\n---+---\n\n\n(0 rows)\n");
}

#[test]
fn header_wider_than_values_is_trimmed() {
    let style = Style::default();
    let rows = format_rows(
        &[vec![Some(CqlValue::Int(1)), Some(CqlValue::Int(2))]],
        &style,
    );
    let out = render_result(&names(&["a", "longname"]), &[rows], false, false, &style);
    assert_eq!(
        out,
        "\n a | longname\n---+----------\n 1 |        2\n\n(1 rows)\n"
    );
}

#[test]
fn pages_non_tty_print_one_header() {
    let style = Style::default();
    let p1 = format_rows(&[vec![Some(CqlValue::Int(1))]], &style);
    let p2 = format_rows(&[vec![Some(CqlValue::Int(22))]], &style);
    let out = render_result(
        &names(&["k"]),
        &[p1.clone(), p2.clone()],
        false,
        false,
        &style,
    );
    // Widths are per page, as cqlsh computes them per page.
    assert_eq!(out, "\n k\n---\n 1\n 22\n\n(2 rows)\n");
    let tty = render_result(&names(&["k"]), &[p1, p2], true, false, &style);
    assert_eq!(tty, "\n k\n---\n 1\n\n k\n----\n 22\n\n(2 rows)\n");
}

#[test]
fn expanded() {
    let style = Style::default();
    let rows = format_rows(&sample(), &style);
    let out = render_result(&names(&["k", "name", "flag"]), &[rows], false, true, &style);
    let expected = "\n@ Row 1\n------+--------\n k    | 1\n name | one\n flag | null\n\n\
                    @ Row 2\n------+--------\n k    | 20\n name | twenty\n flag | True\n\n\n(2 rows)\n";
    assert_eq!(out, expected);
}

#[test]
fn coloured_header_and_cells() {
    let style = Style {
        color: true,
        ..Style::default()
    };
    let rows = format_rows(&[vec![Some(CqlValue::Int(1))]], &style);
    let n = vec![format_column_name("k", Kind::ColumnName, &style)];
    let out = render_table(&n, Some(&rows), true, false, &style);
    assert_eq!(out, " \x1b[0;1;35mk\x1b[0m\n---\n \x1b[0;1;32m1\x1b[0m\n");
}
