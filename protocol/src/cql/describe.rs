//! Server-side `DESCRIBE` / `DESC` (Cassandra 4+), as cqlsh sends it.

use super::ast::{Describe, DescribeTarget, QualifiedName};
use super::error::PResult;
use super::lexical::{ident, is_reserved, kw, kws, opt_kw, opt_kws, qualified_name, sym};

/// `DESCRIBE|DESC target [WITH INTERNALS]` (keyword included).
pub(crate) fn describe(i: &str) -> PResult<'_, Describe> {
    let (i, ()) = match kw("DESCRIBE")(i) {
        Ok(found) => found,
        Err(_) => kw("DESC")(i)?,
    };
    let (i, target) = target(i)?;
    let (i, with_internals) = opt_kws(i, &["WITH", "INTERNALS"])?;
    Ok((
        i,
        Describe {
            target,
            with_internals,
        },
    ))
}

/// A plural keyword, unless it is the keyspace of a qualified name.
fn listing<'a>(i: &'a str, word: &'static str) -> Option<&'a str> {
    match kw(word)(i) {
        Ok((rest, ())) if sym(".")(rest).is_err() => Some(rest),
        _ => None,
    }
}

fn named<'a>(
    i: &'a str,
    words: &[&'static str],
    make: fn(QualifiedName) -> DescribeTarget,
) -> Option<PResult<'a, DescribeTarget>> {
    let (rest, ()) = kws(i, words).ok()?;
    Some(qualified_name(rest).map(|(i, n)| (i, make(n))))
}

/// Keywords introducing a named object, and the target they build.
type NamedForm = (&'static [&'static str], fn(QualifiedName) -> DescribeTarget);

fn target(i: &str) -> PResult<'_, DescribeTarget> {
    for (word, t) in [
        ("KEYSPACES", DescribeTarget::Keyspaces),
        ("TABLES", DescribeTarget::Tables),
        ("COLUMNFAMILIES", DescribeTarget::Tables),
        ("TYPES", DescribeTarget::Types),
        ("FUNCTIONS", DescribeTarget::Functions),
        ("AGGREGATES", DescribeTarget::Aggregates),
        ("CLUSTER", DescribeTarget::Cluster),
    ] {
        if let Some(rest) = listing(i, word) {
            return Ok((rest, t));
        }
    }
    let (after_only, only) = opt_kw(i, "ONLY")?;
    if let (rest, true) = opt_kw(after_only, "KEYSPACE")? {
        let (rest, name) = match ident(rest) {
            Ok((rest, n)) => (rest, Some(n)),
            Err(_) => (rest, None),
        };
        return Ok((rest, DescribeTarget::Keyspace { only, name }));
    }
    if let (rest, true) = opt_kws(i, &["FULL", "SCHEMA"])? {
        return Ok((rest, DescribeTarget::Schema { full: true }));
    }
    if let (rest, true) = opt_kw(i, "SCHEMA")? {
        return Ok((rest, DescribeTarget::Schema { full: false }));
    }
    let forms: [NamedForm; 7] = [
        (&["TABLE"], DescribeTarget::Table),
        (&["COLUMNFAMILY"], DescribeTarget::Table),
        (&["INDEX"], DescribeTarget::Index),
        (&["MATERIALIZED", "VIEW"], DescribeTarget::MaterializedView),
        (&["TYPE"], DescribeTarget::Type),
        (&["FUNCTION"], DescribeTarget::Function),
        (&["AGGREGATE"], DescribeTarget::Aggregate),
    ];
    for (words, make) in forms {
        if let Some(found) = named(i, words, make)
            && (found.is_ok() || words.first().is_some_and(|w| is_reserved(w)))
        {
            return found;
        }
    }
    match qualified_name(i) {
        Ok((i, n)) => Ok((i, DescribeTarget::Name(n))),
        Err(nom::Err::Error(_)) => {
            super::error::alternatives(i, &["KEYSPACES", "TABLE", "identifier"])
        }
        Err(e) => Err(e),
    }
}
