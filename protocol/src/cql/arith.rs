//! Arithmetic on terms (Cassandra 4+): `a + b`, `a - b`, `a * b`, `a / b`,
//! `a % b`, unary `- a`, and `CAST(a AS type)`.
//!
//! Cassandra's grammar: `term: termAddition`, `termAddition:
//! termMultiplication (('+'|'-') termMultiplication)*`, `termMultiplication:
//! termGroup (('*'|'/'|'%') termGroup)*`, `termGroup: simpleTerm | '-'
//! simpleTerm`. An operator whose right operand does not parse is left to
//! the caller (`SET l = [1] + l` is a prepend). Each operator in a chain
//! counts as one nesting level, so the AST depth stays bounded.

use super::ast::{BinaryOp, Term};
use super::error::{PResult, check_depth};
use super::expr::simple_term;
use super::lexical::{kw, sym, ws};
use super::types::cql_type;

/// `CAST(simple AS type)` when `i` starts with one; `None` for other calls
/// (a function named cast, for instance).
pub(crate) fn cast_term(
    i: &str,
    depth: usize,
) -> Result<Option<(&str, Term)>, nom::Err<super::error::PErr>> {
    let Ok((rest, ())) = super::error::quietly(|| kw("CAST")(i)) else {
        return Ok(None);
    };
    let parsed = (|| {
        let (rest, ()) = sym("(")(rest)?;
        let (rest, inner) = simple_term(rest, depth + 1)?;
        let (rest, ()) = kw("AS")(rest)?;
        let (rest, ty) = cql_type(rest, depth + 1)?;
        let (rest, ()) = sym(")")(rest)?;
        Ok((
            rest,
            Term::Cast {
                term: Box::new(inner),
                ty,
            },
        ))
    })();
    match parsed {
        Ok(found) => Ok(Some(found)),
        Err(nom::Err::Error(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The operator at `i` (after space) among `ops`, and the input after it.
fn operator<'a>(i: &'a str, ops: &[(char, BinaryOp)]) -> Option<(&'a str, BinaryOp)> {
    let (i, ()) = ws(i).ok()?;
    let first = i.chars().next()?;
    let (_, op) = ops.iter().find(|(c, _)| *c == first)?;
    let rest = i.get(1..)?;
    // `+=` and `-=` are assignments, not operators.
    if rest.starts_with('=') {
        return None;
    }
    Some((rest, *op))
}

/// A left-associative chain of `operand (op operand)*`.
fn chain<'a>(
    i: &'a str,
    depth: usize,
    ops: &[(char, BinaryOp)],
    operand: fn(&'a str, usize) -> PResult<'a, Term>,
) -> PResult<'a, Term> {
    let (mut i, mut lhs) = operand(i, depth)?;
    let mut level = depth;
    while let Some((after_op, op)) = operator(i, ops) {
        match operand(after_op, depth) {
            Ok((rest, rhs)) => {
                level += 1;
                check_depth(i, level)?;
                lhs = Term::Operation {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                };
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((i, lhs))
}

/// `termAddition`: the full term.
pub(crate) fn addition(i: &str, depth: usize) -> PResult<'_, Term> {
    chain(
        i,
        depth,
        &[('+', BinaryOp::Add), ('-', BinaryOp::Sub)],
        multiplication,
    )
}

fn multiplication(i: &str, depth: usize) -> PResult<'_, Term> {
    let ops = [
        ('*', BinaryOp::Mul),
        ('/', BinaryOp::Div),
        ('%', BinaryOp::Mod),
    ];
    chain(i, depth, &ops, group)
}

/// `termGroup`: a simple term, or `-` and a simple term.
fn group(i: &str, depth: usize) -> PResult<'_, Term> {
    let (i, ()) = ws(i)?;
    match simple_term(i, depth) {
        Err(nom::Err::Error(e)) => match i.strip_prefix('-') {
            Some(rest) => {
                let (rest, inner) = simple_term(rest, depth + 1)?;
                Ok((rest, Term::Negate(Box::new(inner))))
            }
            None => Err(nom::Err::Error(e)),
        },
        other => other,
    }
}
