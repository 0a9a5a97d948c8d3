//! Unit and property tests of the statement splitter.

use proptest::prelude::*;

use super::*;

fn stmts(input: &str) -> Vec<String> {
    split(input).statements
}

#[test]
fn splits_on_semicolons() {
    assert_eq!(stmts("select 1; select 2;"), vec!["select 1;", "select 2;"]);
    assert_eq!(split("select 1; sel").rest, " sel");
}

#[test]
fn semicolons_in_strings_and_comments_do_not_split() {
    assert_eq!(
        stmts("insert into t (a) values ('x;y');"),
        vec!["insert into t (a) values ('x;y');"]
    );
    assert_eq!(
        stmts("select \"a;b\" from t;"),
        vec!["select \"a;b\" from t;"]
    );
    assert_eq!(
        stmts("select 'it''s;' from t;"),
        vec!["select 'it''s;' from t;"]
    );
    assert_eq!(
        stmts("create function f() as $$ a; b $$;"),
        vec!["create function f() as $$ a; b $$;"]
    );
    assert_eq!(
        stmts("select 1 -- a;b\n from t;"),
        vec!["select 1 \n from t;"]
    );
    assert_eq!(stmts("select /* ; */ 1;"), vec!["select   1;"]);
    assert_eq!(stmts("// only; a comment\n"), Vec::<String>::new());
}

#[test]
fn unterminated_string_stays_pending() {
    let s = split("insert into t (a) values ('x;\n");
    assert!(s.statements.is_empty());
    assert_eq!(s.rest, "insert into t (a) values ('x;\n");
}

#[test]
fn shell_commands_end_at_newline() {
    assert_eq!(
        stmts("expand on\nselect * from t;"),
        vec!["expand on", "select * from t;"]
    );
    assert_eq!(stmts("EXIT\n"), vec!["EXIT"]);
    assert_eq!(stmts("paging off;"), vec!["paging off;"]);
    // Without the newline a command is still pending (the REPL adds one per line).
    assert_eq!(split("tracing on").rest, "tracing on");
    // A CQL statement is not a line command: it continues over newlines.
    assert_eq!(split("select *\nfrom t").rest, "select *\nfrom t");
}

#[test]
fn empty_statements_are_dropped() {
    assert!(stmts(";;  ;\n").is_empty());
    assert!(split("   \n").rest.is_empty());
}

#[test]
fn line_command_words() {
    assert!(is_line_command("  DESC tables"));
    assert!(is_line_command("?"));
    assert!(!is_line_command("select"));
    assert!(!is_line_command("describer"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_and_loses_no_code(input in "[a-z ;'\"$/*\\-\n]{0,60}") {
        let s = split(&input);
        for st in &s.statements {
            prop_assert!(!st.trim().trim_end_matches(';').trim().is_empty());
        }
        prop_assert!(s.rest.len() <= input.len());
    }

    #[test]
    fn joined_simple_statements_split_back(parts in proptest::collection::vec("[a-z]{1,6}( [a-z0-9]{1,6}){0,3}", 1..6)) {
        let parts: Vec<String> = parts.into_iter().filter(|p| !is_line_command(p)).collect();
        let input: String = parts.iter().map(|p| format!("{p};\n")).collect();
        let expected: Vec<String> = parts.iter().map(|p| format!("{p};")).collect();
        prop_assert_eq!(stmts(&input), expected);
    }

    #[test]
    fn quoted_semicolons_never_split(inner in "[a-z; ]{0,20}") {
        let input = format!("select '{inner}' from t;");
        prop_assert_eq!(stmts(&input), vec![input.clone()]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_unicode_input_is_safe(input in "\\PC{0,80}") {
        let s = split(&input);
        let _ = strip_comments(&input);
        prop_assert!(s.rest.len() <= input.len());
    }
}

#[test]
fn a_batch_is_one_statement_despite_inner_semicolons() {
    let input = "BEGIN BATCH\n  INSERT INTO t (k) VALUES (1);\n  INSERT INTO t (k) VALUES (2);\nAPPLY BATCH;\nSELECT 1;\n";
    let s = split(input);
    assert_eq!(s.statements.len(), 2, "{s:?}");
    assert!(s.statements[0].starts_with("BEGIN BATCH"));
    assert!(s.statements[0].ends_with("APPLY BATCH;"));
    assert_eq!(s.statements[1], "SELECT 1;");
    assert_eq!(s.ends, vec![input.find("H;").unwrap() + 1, input.len() - 2]);
    let open = split("BEGIN BATCH INSERT INTO t (k) VALUES (1);\n");
    assert!(
        open.statements.is_empty(),
        "an open batch waits for APPLY BATCH"
    );
    assert!(!open.rest.is_empty());
    let one = split("begin batch insert into t (k) values (1) apply batch;");
    assert_eq!(one.statements.len(), 1);
}

#[test]
fn statement_ends_mark_their_lines() {
    let input = "select 1;\nexpand on\nselect\n 2;";
    let s = split(input);
    assert_eq!(s.statements, vec!["select 1;", "expand on", "select\n 2;"]);
    assert_eq!(s.ends, vec![8, 19, input.len() - 1]);
}
