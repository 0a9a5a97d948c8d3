//! Generators of schema, role and DESCRIBE statements for `cql_roundtrip`.

use proptest::prelude::*;
use sibyl_protocol::cql::ast::*;

use super::{constant, ident, qname, relation, selection, term, type_name};

fn property() -> impl Strategy<Value = Property> {
    let value = prop_oneof![
        4 => constant(),
        1 => prop::collection::vec((constant(), constant()), 1..3).prop_map(Term::Map),
        1 => Just(Term::Set(Vec::new())),
    ];
    (ident(), value).prop_map(|(name, value)| Property { name, value })
}

fn properties() -> impl Strategy<Value = Vec<Property>> {
    prop::collection::vec(property(), 1..3)
}

fn ordering() -> impl Strategy<Value = Order> {
    prop_oneof![Just(Order::Asc), Just(Order::Desc)]
}

fn table_options(min: usize) -> impl Strategy<Value = TableOptions> {
    (
        prop::collection::vec((ident(), ordering()), 0..2),
        any::<bool>(),
        prop::collection::vec(property(), 0..3),
    )
        .prop_map(
            |(clustering_order, compact_storage, properties)| TableOptions {
                clustering_order,
                compact_storage,
                properties,
            },
        )
        .prop_filter("enough options", move |o| {
            o.clustering_order.len() + usize::from(o.compact_storage) + o.properties.len() >= min
        })
}

fn column_def() -> impl Strategy<Value = ColumnDef> {
    (ident(), type_name(), any::<bool>()).prop_map(|(name, ty, is_static)| ColumnDef {
        name,
        ty,
        is_static,
    })
}

fn primary_key() -> impl Strategy<Value = PrimaryKey> {
    (
        prop::collection::vec(ident(), 1..3),
        prop::collection::vec(ident(), 0..3),
    )
        .prop_map(|(partition, clustering)| PrimaryKey {
            partition,
            clustering,
        })
}

fn renames() -> impl Strategy<Value = Vec<(Ident, Ident)>> {
    prop::collection::vec((ident(), ident()), 1..3)
}

fn drop_object() -> impl Strategy<Value = DropObject> {
    (any::<bool>(), qname()).prop_map(|(if_exists, name)| DropObject { if_exists, name })
}

fn alter_table_action() -> impl Strategy<Value = AlterTableAction> {
    prop_oneof![
        (any::<bool>(), prop::collection::vec(column_def(), 1..3)).prop_map(
            |(if_not_exists, columns)| AlterTableAction::Add {
                if_not_exists,
                columns
            }
        ),
        (
            any::<bool>(),
            prop::collection::vec(ident(), 1..3),
            prop::option::of(term())
        )
            .prop_map(|(if_exists, columns, timestamp)| AlterTableAction::Drop {
                if_exists,
                columns,
                timestamp
            }),
        (any::<bool>(), renames())
            .prop_map(|(if_exists, renames)| AlterTableAction::Rename { if_exists, renames }),
        table_options(1).prop_map(AlterTableAction::With),
    ]
}

fn index_target() -> impl Strategy<Value = IndexTarget> {
    let kind = prop::sample::select(vec![
        IndexTargetKind::Simple,
        IndexTargetKind::Keys,
        IndexTargetKind::Values,
        IndexTargetKind::Entries,
        IndexTargetKind::Full,
    ]);
    (ident(), kind).prop_map(|(column, kind)| IndexTarget { column, kind })
}

fn schema_tables() -> impl Strategy<Value = Statement> {
    prop_oneof![
        (any::<bool>(), ident(), properties()).prop_map(|(if_not_exists, name, options)| {
            Statement::CreateKeyspace(Box::new(CreateKeyspace {
                if_not_exists,
                name,
                options,
            }))
        }),
        (any::<bool>(), ident(), properties()).prop_map(|(if_exists, name, options)| {
            Statement::AlterKeyspace(Box::new(AlterKeyspace {
                if_exists,
                name,
                options,
            }))
        }),
        (
            any::<bool>(),
            qname(),
            prop::collection::vec(column_def(), 1..4),
            primary_key(),
            table_options(0)
        )
            .prop_map(|(if_not_exists, name, columns, primary_key, options)| {
                Statement::CreateTable(Box::new(CreateTable {
                    if_not_exists,
                    name,
                    columns,
                    primary_key,
                    options,
                }))
            }),
        (any::<bool>(), qname(), alter_table_action()).prop_map(|(if_exists, name, action)| {
            Statement::AlterTable(Box::new(AlterTable {
                if_exists,
                name,
                action,
            }))
        }),
        drop_object().prop_map(Statement::DropKeyspace),
        drop_object().prop_map(Statement::DropTable),
        drop_object().prop_map(Statement::DropType),
        drop_object().prop_map(Statement::DropIndex),
        drop_object().prop_map(Statement::DropView),
        ident().prop_map(Statement::Use),
        qname().prop_map(Statement::Truncate),
    ]
}

fn schema_others() -> impl Strategy<Value = Statement> {
    let type_action = prop_oneof![
        (any::<bool>(), ident(), type_name()).prop_map(|(if_not_exists, field, ty)| {
            AlterTypeAction::Add {
                if_not_exists,
                field,
                ty,
            }
        }),
        (any::<bool>(), renames())
            .prop_map(|(if_exists, renames)| AlterTypeAction::Rename { if_exists, renames }),
    ];
    prop_oneof![
        (
            any::<bool>(),
            qname(),
            prop::collection::vec((ident(), type_name()), 1..3)
        )
            .prop_map(|(if_not_exists, name, fields)| {
                Statement::CreateType(Box::new(CreateType {
                    if_not_exists,
                    name,
                    fields,
                }))
            }),
        (any::<bool>(), qname(), type_action).prop_map(|(if_exists, name, action)| {
            Statement::AlterType(Box::new(AlterType {
                if_exists,
                name,
                action,
            }))
        }),
        index_and_view(),
        (any::<bool>(), qname(), table_options(1)).prop_map(|(if_exists, name, options)| {
            Statement::AlterView(Box::new(AlterView {
                if_exists,
                name,
                options,
            }))
        }),
    ]
}

/// Schema statements.
pub fn ddl() -> impl Strategy<Value = Statement> {
    prop_oneof![
        schema_tables().boxed(),
        schema_others().boxed(),
        functions().boxed()
    ]
}

fn role() -> impl Strategy<Value = String> {
    ".{0,8}"
}

fn role_option() -> impl Strategy<Value = RoleOption> {
    prop_oneof![
        role().prop_map(RoleOption::Password),
        role().prop_map(RoleOption::HashedPassword),
        any::<bool>().prop_map(RoleOption::Superuser),
        any::<bool>().prop_map(RoleOption::Login),
        prop::collection::vec((constant(), constant()), 0..3).prop_map(RoleOption::Options),
        Just(RoleOption::AccessToAllDatacenters),
        prop::collection::vec(role(), 1..3).prop_map(RoleOption::AccessToDatacenters),
    ]
}

fn permissions() -> impl Strategy<Value = Permissions> {
    let one = prop::sample::select(vec![
        Permission::Create,
        Permission::Alter,
        Permission::Drop,
        Permission::Select,
        Permission::Modify,
        Permission::Authorize,
        Permission::Describe,
        Permission::Execute,
        Permission::Unmask,
        Permission::SelectMasked,
    ]);
    prop_oneof![Just(Permissions::All), one.prop_map(Permissions::One)]
}

fn resource() -> impl Strategy<Value = Resource> {
    prop_oneof![
        Just(Resource::AllKeyspaces),
        ident().prop_map(Resource::Keyspace),
        qname().prop_map(Resource::Table),
        Just(Resource::AllRoles),
        role().prop_map(Resource::Role),
        prop::option::of(ident()).prop_map(Resource::AllFunctions),
        (qname(), prop::collection::vec(type_name(), 0..3))
            .prop_map(|(name, arg_types)| Resource::Function { name, arg_types }),
        Just(Resource::AllMbeans),
        role().prop_map(Resource::Mbean),
    ]
}

fn describe() -> impl Strategy<Value = Describe> {
    let target = prop_oneof![
        Just(DescribeTarget::Keyspaces),
        (any::<bool>(), prop::option::of(ident()))
            .prop_map(|(only, name)| DescribeTarget::Keyspace { only, name }),
        Just(DescribeTarget::Tables),
        qname().prop_map(DescribeTarget::Table),
        Just(DescribeTarget::Types),
        qname().prop_map(DescribeTarget::Type),
        Just(DescribeTarget::Functions),
        qname().prop_map(DescribeTarget::Function),
        Just(DescribeTarget::Aggregates),
        qname().prop_map(DescribeTarget::Aggregate),
        any::<bool>().prop_map(|full| DescribeTarget::Schema { full }),
        Just(DescribeTarget::Cluster),
        qname().prop_map(DescribeTarget::Index),
        qname().prop_map(DescribeTarget::MaterializedView),
        qname().prop_map(DescribeTarget::Name),
    ];
    (target, any::<bool>()).prop_map(|(target, with_internals)| Describe {
        target,
        with_internals,
    })
}

/// Role, user, permission and DESCRIBE statements.
pub fn auth() -> impl Strategy<Value = Statement> {
    let opts = || prop::collection::vec(role_option(), 0..3);
    let user = || {
        (
            any::<bool>(),
            role(),
            prop::option::of(role()),
            prop::option::of(any::<bool>()),
        )
    };
    prop_oneof![
        (any::<bool>(), role(), opts()).prop_map(|(if_not_exists, name, options)| {
            Statement::CreateRole(Box::new(CreateRole {
                if_not_exists,
                name,
                options,
            }))
        }),
        (any::<bool>(), role(), opts()).prop_map(|(if_exists, name, options)| {
            Statement::AlterRole(Box::new(AlterRole {
                if_exists,
                name,
                options,
            }))
        }),
        (any::<bool>(), role())
            .prop_map(|(if_exists, name)| Statement::DropRole(DropRole { if_exists, name })),
        (any::<bool>(), role())
            .prop_map(|(if_exists, name)| Statement::DropUser(DropRole { if_exists, name })),
        user().prop_map(|(if_not_exists, name, password, superuser)| {
            Statement::CreateUser(Box::new(CreateUser {
                if_not_exists,
                name,
                password,
                superuser,
            }))
        }),
        user().prop_map(|(if_exists, name, password, superuser)| {
            Statement::AlterUser(Box::new(AlterUser {
                if_exists,
                name,
                password,
                superuser,
            }))
        }),
        grants(),
        describe().prop_map(Statement::Describe),
    ]
}

fn index_and_view() -> impl Strategy<Value = Statement> {
    prop_oneof![
        (
            (
                any::<bool>(),
                any::<bool>(),
                prop::option::of(ident()),
                qname()
            ),
            prop::collection::vec(index_target(), 1..3),
            prop::option::of("[a-zA-Z.']{1,10}"),
            prop::collection::vec(property(), 0..2),
        )
            .prop_map(
                |((custom, if_not_exists, name, table), targets, using, options)| {
                    Statement::CreateIndex(Box::new(CreateIndex {
                        custom,
                        if_not_exists,
                        name,
                        table,
                        targets,
                        using,
                        options,
                    }))
                }
            ),
        (
            (any::<bool>(), qname(), selection(), qname()),
            prop::collection::vec(relation(), 1..3),
            primary_key(),
            table_options(0),
        )
            .prop_map(
                |((if_not_exists, name, selection, base), where_clause, primary_key, options)| {
                    Statement::CreateView(Box::new(CreateView {
                        if_not_exists,
                        name,
                        selection,
                        base,
                        where_clause,
                        primary_key,
                        options,
                    }))
                }
            ),
    ]
}

fn grants() -> impl Strategy<Value = Statement> {
    let change = || {
        (permissions(), resource(), role()).prop_map(|(permissions, resource, role)| {
            Box::new(PermissionChange {
                permissions,
                resource,
                role,
            })
        })
    };
    prop_oneof![
        change().prop_map(Statement::GrantPermission),
        change().prop_map(Statement::RevokePermission),
        (role(), role())
            .prop_map(|(role, grantee)| Statement::GrantRole(RoleChange { role, grantee })),
        (role(), role())
            .prop_map(|(role, grantee)| Statement::RevokeRole(RoleChange { role, grantee })),
        (prop::option::of(role()), any::<bool>())
            .prop_map(|(of, norecursive)| Statement::ListRoles(ListRoles { of, norecursive })),
        Just(Statement::ListUsers),
        (
            permissions(),
            prop::option::of(resource()),
            prop::option::of(role()),
            any::<bool>()
        )
            .prop_map(|(permissions, resource, of, norecursive)| {
                Statement::ListPermissions(Box::new(ListPermissions {
                    permissions,
                    resource,
                    of,
                    norecursive,
                }))
            }),
    ]
}

fn functions() -> BoxedStrategy<Statement> {
    let drop = || {
        (
            any::<bool>(),
            qname(),
            prop::option::of(prop::collection::vec(type_name(), 0..3)),
        )
            .prop_map(|(if_exists, name, arg_types)| DropFunction {
                if_exists,
                name,
                arg_types,
            })
    };
    prop_oneof![
        create_function(),
        create_aggregate(),
        drop().prop_map(Statement::DropFunction),
        drop().prop_map(Statement::DropAggregate),
        (any::<bool>(), ident(), qname(), ".{0,10}").prop_map(
            |(if_not_exists, name, table, class)| {
                Statement::CreateTrigger(Box::new(CreateTrigger {
                    if_not_exists,
                    name,
                    table,
                    class,
                }))
            }
        ),
        (any::<bool>(), ident(), qname()).prop_map(|(if_exists, name, table)| {
            Statement::DropTrigger(DropTrigger {
                if_exists,
                name,
                table,
            })
        }),
    ]
    .boxed()
}

fn create_function() -> BoxedStrategy<Statement> {
    (
        (any::<bool>(), any::<bool>(), qname()),
        prop::collection::vec((ident(), type_name()), 0..3),
        (any::<bool>(), type_name(), ident(), ".{0,12}"),
    )
        .prop_map(
            |((or_replace, if_not_exists, name), args, (called, returns, language, body))| {
                Statement::CreateFunction(Box::new(CreateFunction {
                    or_replace,
                    if_not_exists,
                    name,
                    args,
                    called_on_null_input: called,
                    returns,
                    language,
                    body,
                }))
            },
        )
        .boxed()
}

fn create_aggregate() -> BoxedStrategy<Statement> {
    (
        (any::<bool>(), any::<bool>(), qname()),
        prop::collection::vec(type_name(), 0..3),
        (
            ident(),
            type_name(),
            prop::option::of(ident()),
            prop::option::of(term()),
        ),
    )
        .prop_map(
            |((or_replace, if_not_exists, name), arg_types, (sf, st, ff, init))| {
                Statement::CreateAggregate(Box::new(CreateAggregate {
                    or_replace,
                    if_not_exists,
                    name,
                    arg_types,
                    state_function: sf,
                    state_type: st,
                    final_function: ff,
                    initial_condition: init,
                }))
            },
        )
        .boxed()
}
