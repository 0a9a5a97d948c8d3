//! Property tests of the CQL parser: generated ASTs print as CQL that parses
//! back to the same AST, and arbitrary text never panics the parser.

use proptest::prelude::*;
use proptest::strategy::Union;
use sibyl_protocol::cql::ast::*;
use sibyl_protocol::cql::{is_reserved, parse, parse_many};
use sibyl_protocol::value::CqlType;

fn ident() -> BoxedStrategy<Ident> {
    prop_oneof![
        3 => "[a-z][a-z0-9_]{0,8}".prop_map(Ident),
        1 => "[a-zA-Z0-9_ \"'.]{1,8}".prop_map(Ident),
        1 => ".{1,6}".prop_map(Ident),
        1 => prop::sample::select(vec![
            "key", "type", "ttl", "writetime", "count", "values", "filtering", "keyspaces",
            "roles", "user", "status", "select", "from", "token", "json", "distinct", "list",
            "map", "int", "frozen", "Key", "p1d", "nan", "true",
        ])
        .prop_map(Ident::new),
    ]
    .boxed()
}

fn qname() -> BoxedStrategy<QualifiedName> {
    (prop::option::of(ident()), ident())
        .prop_map(|(keyspace, name)| QualifiedName { keyspace, name })
        .boxed()
}

fn native_type() -> impl Strategy<Value = CqlType> {
    prop::sample::select(vec![
        "ascii",
        "bigint",
        "blob",
        "boolean",
        "counter",
        "date",
        "decimal",
        "double",
        "duration",
        "float",
        "inet",
        "int",
        "smallint",
        "text",
        "time",
        "timestamp",
        "timeuuid",
        "tinyint",
        "uuid",
        "varint",
    ])
    .prop_map(|n| CqlType::from_native_name(n).expect("native name"))
}

fn type_name() -> BoxedStrategy<CqlTypeName> {
    let leaf = prop_oneof![
        4 => native_type().prop_map(CqlTypeName::Native),
        1 => qname().prop_map(CqlTypeName::UserDefined),
        1 => "[a-zA-Z.']{1,12}".prop_map(CqlTypeName::Custom),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| CqlTypeName::List(Box::new(t))),
            inner.clone().prop_map(|t| CqlTypeName::Set(Box::new(t))),
            inner.clone().prop_map(|t| CqlTypeName::Frozen(Box::new(t))),
            (inner.clone(), inner.clone())
                .prop_map(|(k, v)| CqlTypeName::Map(Box::new(k), Box::new(v))),
            prop::collection::vec(inner.clone(), 1..3).prop_map(CqlTypeName::Tuple),
            (inner, 1u32..2000).prop_map(|(t, n)| CqlTypeName::Vector(Box::new(t), n)),
        ]
    })
    .boxed()
}

fn marker() -> BoxedStrategy<BindMarker> {
    prop::option::of(ident())
        .prop_map(|name| BindMarker { index: 0, name })
        .boxed()
}

fn constant() -> BoxedStrategy<Term> {
    prop_oneof![
        Just(Term::Null),
        any::<bool>().prop_map(Term::Bool),
        any::<i64>().prop_map(|n| Term::Integer(n.to_string())),
        "-?[0-9]{20,40}".prop_map(Term::Integer),
        (any::<i32>(), 0u32..1000).prop_map(|(a, b)| Term::Float(format!("{a}.{b}"))),
        (any::<i16>(), -30i32..30).prop_map(|(a, e)| Term::Float(format!("{a}e{e}"))),
        prop::sample::select(vec!["NaN", "Infinity", "-Infinity", "1.", "-0.5E+3"])
            .prop_map(|s| Term::Float(s.to_string())),
        ".{0,12}".prop_map(Term::Str),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".prop_map(Term::Uuid),
        "([0-9a-f]{2}){0,6}".prop_map(Term::Blob),
        prop::sample::select(vec![
            "1h30m",
            "-2d",
            "P1DT2H",
            "P2W",
            "P0001-02-03T04:05:06",
            "3mo5us"
        ])
        .prop_map(|s| Term::Duration(s.to_string())),
    ]
    .boxed()
}

fn term() -> BoxedStrategy<Term> {
    let leaf = prop_oneof![4 => constant(), 1 => marker().prop_map(Term::Bind)];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Term::List),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Term::Set),
            prop::collection::vec((inner.clone(), inner.clone()), 1..3).prop_map(Term::Map),
            // `('text')` before `:name` reads as a type hint (custom type 'text').
            prop::collection::vec(inner.clone(), 1..3)
                .prop_filter("('x') is a custom type hint", |items| {
                    !matches!(items.as_slice(), [Term::Str(_)])
                })
                .prop_map(Term::Tuple),
            prop::collection::vec((ident(), inner.clone()), 1..3).prop_map(Term::Udt),
            (qname(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(name, args)| Term::Function { name, args }),
            (type_name(), inner.clone().prop_filter("simple", is_simple)).prop_map(|(ty, t)| {
                Term::TypeHint {
                    ty,
                    term: Box::new(t),
                }
            }),
            (
                inner.clone().prop_filter("simple", is_simple),
                native_type()
            )
                .prop_map(|(t, ty)| {
                    Term::Cast {
                        term: Box::new(t),
                        ty: CqlTypeName::Native(ty),
                    }
                }),
            inner
                .clone()
                .prop_filter("simple", is_simple)
                .prop_map(|t| Term::Negate(Box::new(t))),
            (binary_op(), inner.clone(), inner)
                .prop_filter("canonical precedence", |(op, lhs, rhs)| canonical(
                    *op, lhs, rhs
                ))
                .prop_map(|(op, lhs, rhs)| Term::Operation {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                }),
        ]
    })
    .boxed()
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(vec![
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
    ])
}

/// A term with no operator at its top (what type hints, casts and negation take).
fn is_simple(t: &Term) -> bool {
    !matches!(t, Term::Operation { .. } | Term::Negate(_))
}

/// The shape the parser builds: left-associative, `* / %` tighter than `+ -`.
fn canonical(op: BinaryOp, lhs: &Term, rhs: &Term) -> bool {
    let additive = |t: &Term| matches!(t, Term::Operation { op, .. } if !op.is_multiplicative());
    if op.is_multiplicative() {
        !additive(lhs) && !matches!(rhs, Term::Operation { .. })
    } else {
        !additive(rhs)
    }
}

fn op() -> impl Strategy<Value = Operator> {
    prop::sample::select(vec![
        Operator::Eq,
        Operator::Neq,
        Operator::Lt,
        Operator::Lte,
        Operator::Gt,
        Operator::Gte,
        Operator::Contains,
        Operator::ContainsKey,
        Operator::Like,
    ])
}

fn in_values() -> BoxedStrategy<InValues> {
    prop_oneof![
        prop::collection::vec(term(), 0..3).prop_map(InValues::List),
        marker().prop_map(InValues::Marker),
    ]
    .boxed()
}

fn relation() -> BoxedStrategy<Relation> {
    let lhs = prop_oneof![
        3 => ident().prop_map(RelationLhs::Column),
        1 => (ident(), term()).prop_map(|(c, k)| RelationLhs::Element(c, k)),
        1 => prop::collection::vec(ident(), 1..3).prop_map(RelationLhs::Tuple),
        1 => prop::collection::vec(ident(), 1..3).prop_map(RelationLhs::Token),
    ];
    prop_oneof![
        4 => (lhs.clone(), op(), term()).prop_map(|(lhs, op, rhs)| Relation::Compare { lhs, op, rhs }),
        1 => (lhs, in_values()).prop_map(|(lhs, values)| Relation::In { lhs, values }),
        1 => ident().prop_map(Relation::IsNotNull),
    ]
    .boxed()
}

fn column_ref() -> BoxedStrategy<ColumnRef> {
    prop_oneof![
        3 => ident().prop_map(ColumnRef::Column),
        1 => (ident(), term()).prop_map(|(c, k)| ColumnRef::Element(c, k)),
        1 => (ident(), ident()).prop_map(|(c, f)| ColumnRef::Field(c, f)),
    ]
    .boxed()
}

fn conditions() -> BoxedStrategy<Option<Conditions>> {
    let cond = prop_oneof![
        (column_ref(), op(), term()).prop_map(|(lhs, op, rhs)| Condition::Compare { lhs, op, rhs }),
        (column_ref(), in_values()).prop_map(|(lhs, values)| Condition::In { lhs, values }),
    ];
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Conditions::Exists)),
        1 => prop::collection::vec(cond, 1..3).prop_map(|c| Some(Conditions::List(c))),
    ]
    .boxed()
}

fn using() -> BoxedStrategy<Vec<UsingAttr>> {
    let attr = prop_oneof![
        term().prop_map(UsingAttr::Ttl),
        term().prop_map(UsingAttr::Timestamp)
    ];
    prop::collection::vec(attr, 0..3).boxed()
}

fn selector_expr() -> BoxedStrategy<SelectorExpr> {
    let plain_term = term().prop_filter("function terms read as selectors", |t| {
        !matches!(
            t,
            Term::Function { .. } | Term::Operation { .. } | Term::Cast { .. }
        )
    });
    let leaf = prop_oneof![
        4 => ident().prop_map(SelectorExpr::Column),
        1 => plain_term.prop_map(SelectorExpr::Term),
        1 => Just(SelectorExpr::CountStar),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        let fn_name = qname().prop_filter("cast is CAST syntax", |n| n.name.as_str() != "cast");
        let base = inner
            .clone()
            .prop_filter("postfix needs a column-like base", |e| {
                !matches!(e, SelectorExpr::Term(_))
            });
        prop_oneof![
            (fn_name, prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(name, args)| SelectorExpr::Function { name, args }),
            (inner, type_name()).prop_map(|(e, t)| SelectorExpr::Cast(Box::new(e), t)),
            (base.clone(), ident()).prop_map(|(e, f)| SelectorExpr::Field(Box::new(e), f)),
            (base.clone(), term()).prop_map(|(e, k)| SelectorExpr::Element(Box::new(e), k)),
            (base, prop::option::of(term()), term()).prop_map(|(e, a, b)| SelectorExpr::Slice(
                Box::new(e),
                a,
                Some(b)
            )),
        ]
    })
    .boxed()
}

fn selection() -> BoxedStrategy<Selection> {
    let selector = (selector_expr(), prop::option::of(ident()))
        .prop_map(|(expr, alias)| Selector { expr, alias });
    prop_oneof![
        1 => Just(Selection::Star),
        3 => prop::collection::vec(selector, 1..4).prop_map(Selection::List),
    ]
    .boxed()
}

fn ordering() -> impl Strategy<Value = Order> {
    prop_oneof![
        Just(Order::Asc),
        Just(Order::Desc),
        term().prop_map(Order::Ann)
    ]
}

fn select() -> BoxedStrategy<Select> {
    (
        (any::<bool>(), any::<bool>(), selection(), qname()),
        prop::collection::vec(relation(), 0..3),
        prop::collection::vec(selector_expr(), 0..2),
        prop::collection::vec((ident(), ordering()), 0..2),
        (
            prop::option::of(term()),
            prop::option::of(term()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((json, distinct, selection, table), where_clause, group_by, order_by, lim)| Select {
                json,
                distinct,
                selection,
                table,
                where_clause,
                group_by,
                order_by,
                per_partition_limit: lim.0,
                limit: lim.1,
                allow_filtering: lim.2,
            },
        )
        .boxed()
}

fn insert() -> BoxedStrategy<Insert> {
    let values = prop_oneof![
        (1usize..4)
            .prop_flat_map(|n| (
                prop::collection::vec(ident(), n),
                prop::collection::vec(term(), n)
            ))
            .prop_map(|(columns, values)| InsertValues::Values { columns, values }),
        (
            prop_oneof![".{0,10}".prop_map(Term::Str), marker().prop_map(Term::Bind)],
            prop::option::of(prop::sample::select(vec![
                JsonDefault::Null,
                JsonDefault::Unset
            ]))
        )
            .prop_map(|(value, default)| InsertValues::Json { value, default }),
    ];
    (qname(), values, any::<bool>(), using())
        .prop_map(|(table, values, if_not_exists, using)| Insert {
            table,
            values,
            if_not_exists,
            using,
        })
        .boxed()
}

fn assignment() -> impl Strategy<Value = Assignment> {
    let arith = prop::sample::select(vec![ArithOp::Add, ArithOp::Sub]);
    prop_oneof![
        (column_ref(), term()).prop_map(|(target, value)| Assignment::Set { target, value }),
        (ident(), arith.clone(), term()).prop_map(|(column, op, value)| Assignment::Arith {
            column,
            op,
            value
        }),
        (ident(), term()).prop_map(|(column, value)| Assignment::Prepend { column, value }),
        (ident(), arith, term()).prop_map(|(column, op, value)| Assignment::Compound {
            column,
            op,
            value
        }),
    ]
}

fn update() -> BoxedStrategy<Update> {
    (
        qname(),
        using(),
        prop::collection::vec(assignment(), 1..3),
        prop::collection::vec(relation(), 1..3),
        conditions(),
    )
        .prop_map(
            |(table, using, assignments, where_clause, conditions)| Update {
                table,
                using,
                assignments,
                where_clause,
                conditions,
            },
        )
        .boxed()
}

fn delete() -> BoxedStrategy<Delete> {
    (
        prop::collection::vec(column_ref(), 0..3),
        qname(),
        using(),
        prop::collection::vec(relation(), 1..3),
        conditions(),
    )
        .prop_map(|(columns, table, using, where_clause, conditions)| Delete {
            columns,
            table,
            using,
            where_clause,
            conditions,
        })
        .boxed()
}

fn batch() -> impl Strategy<Value = Batch> {
    let stmt = prop_oneof![
        insert().prop_map(BatchStatement::Insert),
        update().prop_map(BatchStatement::Update),
        delete().prop_map(BatchStatement::Delete),
    ];
    (
        prop::sample::select(vec![
            BatchKind::Logged,
            BatchKind::Unlogged,
            BatchKind::Counter,
        ]),
        using(),
        prop::collection::vec(stmt, 0..3),
    )
        .prop_map(|(kind, using, statements)| Batch {
            kind,
            using,
            statements,
        })
}

fn dml() -> impl Strategy<Value = Statement> {
    prop_oneof![
        select().prop_map(|s| Statement::Select(Box::new(s))),
        insert().prop_map(|s| Statement::Insert(Box::new(s))),
        update().prop_map(|s| Statement::Update(Box::new(s))),
        delete().prop_map(|s| Statement::Delete(Box::new(s))),
        batch().prop_map(|s| Statement::Batch(Box::new(s))),
    ]
}

#[path = "cql_gen/ddl.rs"]
mod ddl;

fn statement() -> impl Strategy<Value = Statement> {
    Union::new(vec![dml().boxed(), ddl::ddl().boxed(), ddl::auth().boxed()])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_statements_round_trip(mut stmt in statement()) {
        stmt.number_bind_markers();
        let text = stmt.to_string();
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok(), "`{}` failed: {}", text, parsed.as_ref().err().map(ToString::to_string).unwrap_or_default());
        prop_assert_eq!(parsed.unwrap(), stmt, "`{}`", text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = parse(&text);
        let _ = parse_many(&text);
    }

    #[test]
    fn mutated_statements_never_panic(stmt in dml(), cut in 0usize..400, junk in "[(){}\\[\\]<>'\";:.,?$-]{0,4}") {
        let text = stmt.to_string();
        let mut end = cut.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mutated = format!("{}{}{}", &text[..end], junk, &text[end..]);
        let _ = parse(&mutated);
    }
}

#[test]
fn reserved_words_are_cassandras() {
    for w in [
        "select", "FROM", "token", "keyspace", "nan", "infinity", "true",
    ] {
        assert!(is_reserved(w), "{w}");
    }
    for w in [
        "key",
        "type",
        "ttl",
        "writetime",
        "count",
        "values",
        "filtering",
        "roles",
        "user",
    ] {
        assert!(!is_reserved(w), "{w}");
    }
}
