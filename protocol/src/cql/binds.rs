//! Numbers bind markers in order of appearance.
//!
//! The parser backtracks, so it cannot count markers as it goes; this walk
//! visits every term of a parsed statement in source order and assigns
//! indexes 0, 1, 2, ... Invariant: the visiting order below matches the order
//! in which each clause appears in the statement text.

use super::ast::{
    Assignment, Batch, BatchStatement, ColumnRef, Condition, Conditions, Delete, InValues, Insert,
    InsertValues, Order, Relation, RelationLhs, Select, Selection, SelectorExpr, Statement, Term,
    Update, UsingAttr,
};

/// Assigns every bind marker of `stmt` its index; returns how many there are.
pub(crate) fn number_markers(stmt: &mut Statement) -> usize {
    let mut n = 0;
    match stmt {
        Statement::Select(s) => select(s, &mut n),
        Statement::Insert(s) => insert(s, &mut n),
        Statement::Update(s) => update(s, &mut n),
        Statement::Delete(s) => delete(s, &mut n),
        Statement::Batch(b) => batch(b, &mut n),
        _ => {}
    }
    n
}

fn term(t: &mut Term, n: &mut usize) {
    match t {
        Term::Bind(m) => {
            m.index = *n;
            *n += 1;
        }
        Term::List(items) | Term::Set(items) | Term::Tuple(items) => {
            items.iter_mut().for_each(|t| term(t, n));
        }
        Term::Function { args, .. } => args.iter_mut().for_each(|t| term(t, n)),
        Term::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            term(k, n);
            term(v, n);
        }),
        Term::Udt(fields) => fields.iter_mut().for_each(|(_, v)| term(v, n)),
        Term::TypeHint { term: inner, .. }
        | Term::Cast { term: inner, .. }
        | Term::Negate(inner) => term(inner, n),
        Term::Operation { lhs, rhs, .. } => {
            term(lhs, n);
            term(rhs, n);
        }
        _ => {}
    }
}

fn in_values(v: &mut InValues, n: &mut usize) {
    match v {
        InValues::List(items) => items.iter_mut().for_each(|t| term(t, n)),
        InValues::Marker(m) => {
            m.index = *n;
            *n += 1;
        }
    }
}

fn relation(r: &mut Relation, n: &mut usize) {
    match r {
        Relation::Compare { lhs, rhs, .. } => {
            if let RelationLhs::Element(_, key) = lhs {
                term(key, n);
            }
            term(rhs, n);
        }
        Relation::In { lhs, values } => {
            if let RelationLhs::Element(_, key) = lhs {
                term(key, n);
            }
            in_values(values, n);
        }
        Relation::IsNotNull(_) => {}
    }
}

fn column_ref(c: &mut ColumnRef, n: &mut usize) {
    if let ColumnRef::Element(_, key) = c {
        term(key, n);
    }
}

fn conditions(c: &mut Option<Conditions>, n: &mut usize) {
    if let Some(Conditions::List(list)) = c {
        for cond in list {
            match cond {
                Condition::Compare { lhs, rhs, .. } => {
                    column_ref(lhs, n);
                    term(rhs, n);
                }
                Condition::In { lhs, values } => {
                    column_ref(lhs, n);
                    in_values(values, n);
                }
            }
        }
    }
}

fn using(attrs: &mut [UsingAttr], n: &mut usize) {
    for a in attrs {
        match a {
            UsingAttr::Ttl(t) | UsingAttr::Timestamp(t) => term(t, n),
        }
    }
}

fn selector(s: &mut SelectorExpr, n: &mut usize) {
    match s {
        SelectorExpr::Term(t) => term(t, n),
        SelectorExpr::Function { args, .. } => args.iter_mut().for_each(|a| selector(a, n)),
        SelectorExpr::Cast(inner, _) | SelectorExpr::Field(inner, _) => selector(inner, n),
        SelectorExpr::Element(inner, key) => {
            selector(inner, n);
            term(key, n);
        }
        SelectorExpr::Slice(inner, from, to) => {
            selector(inner, n);
            from.iter_mut()
                .chain(to.iter_mut())
                .for_each(|t| term(t, n));
        }
        _ => {}
    }
}

fn select(s: &mut Select, n: &mut usize) {
    if let Selection::List(list) = &mut s.selection {
        list.iter_mut().for_each(|sel| selector(&mut sel.expr, n));
    }
    s.where_clause.iter_mut().for_each(|r| relation(r, n));
    s.group_by.iter_mut().for_each(|g| selector(g, n));
    for (_, ord) in &mut s.order_by {
        if let Order::Ann(t) = ord {
            term(t, n);
        }
    }
    s.per_partition_limit.iter_mut().for_each(|t| term(t, n));
    s.limit.iter_mut().for_each(|t| term(t, n));
}

fn insert(s: &mut Insert, n: &mut usize) {
    match &mut s.values {
        InsertValues::Values { values, .. } => values.iter_mut().for_each(|t| term(t, n)),
        InsertValues::Json { value, .. } => term(value, n),
    }
    using(&mut s.using, n);
}

fn update(s: &mut Update, n: &mut usize) {
    using(&mut s.using, n);
    for a in &mut s.assignments {
        match a {
            Assignment::Set { target, value } => {
                column_ref(target, n);
                term(value, n);
            }
            Assignment::Arith { value, .. }
            | Assignment::Prepend { value, .. }
            | Assignment::Compound { value, .. } => term(value, n),
        }
    }
    s.where_clause.iter_mut().for_each(|r| relation(r, n));
    conditions(&mut s.conditions, n);
}

fn delete(s: &mut Delete, n: &mut usize) {
    s.columns.iter_mut().for_each(|c| column_ref(c, n));
    using(&mut s.using, n);
    s.where_clause.iter_mut().for_each(|r| relation(r, n));
    conditions(&mut s.conditions, n);
}

fn batch(b: &mut Batch, n: &mut usize) {
    using(&mut b.using, n);
    for s in &mut b.statements {
        match s {
            BatchStatement::Insert(s) => insert(s, n),
            BatchStatement::Update(s) => update(s, n),
            BatchStatement::Delete(s) => delete(s, n),
        }
    }
}
