//! The parsed form of a WIQL statement: fields, comparison operators, literals, clauses joined by
//! AND/OR, ORDER BY and ASOF.

use crate::azure::fields::FieldDef;

/// A field named in the statement.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// As written, for messages (`[State]`).
    pub written: String,
    /// The field.
    pub def: &'static FieldDef,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    NotIn,
    Contains,
    NotContains,
    ContainsWords,
    NotContainsWords,
    Under,
    NotUnder,
    IsEmpty,
    IsNotEmpty,
}

impl Operator {
    /// How the operator reads in WIQL.
    pub fn text(self) -> &'static str {
        use Operator::*;
        match self {
            Eq => "=",
            Ne => "<>",
            Lt => "<",
            Gt => ">",
            Le => "<=",
            Ge => ">=",
            In => "IN",
            NotIn => "NOT IN",
            Contains => "CONTAINS",
            NotContains => "NOT CONTAINS",
            ContainsWords => "CONTAINS WORDS",
            NotContainsWords => "NOT CONTAINS WORDS",
            Under => "UNDER",
            NotUnder => "NOT UNDER",
            IsEmpty => "IS EMPTY",
            IsNotEmpty => "IS NOT EMPTY",
        }
    }
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A quoted string.
    Text(String),
    /// A number.
    Number(f64),
    /// `@name` with an optional `+ n` / `- n`.
    Macro { name: String, offset: f64 },
}

impl Literal {
    pub(super) fn show(&self) -> String {
        match self {
            Literal::Text(t) => format!("'{t}'"),
            Literal::Number(n) => n.to_string(),
            Literal::Macro { name, offset } if *offset == 0.0 => format!("@{name}"),
            Literal::Macro { name, offset } => {
                format!("@{name} {} {}", if *offset < 0.0 { "-" } else { "+" }, offset.abs())
            }
        }
    }
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// One value.
    Value(Literal),
    /// `(a, b, …)` for IN.
    List(Vec<Literal>),
    /// Another field.
    Field(FieldRef),
    /// Nothing (IS EMPTY).
    None,
}

/// One `field op value` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The field compared.
    pub field: FieldRef,
    /// The operator.
    pub op: Operator,
    /// The value.
    pub operand: Operand,
}

impl Clause {
    /// The clause as the service quotes it in errors: `[System.ChangedDate] >= '2024-01-01T10:00:00Z'`.
    pub fn text(&self) -> String {
        let value = match &self.operand {
            Operand::Value(v) => v.show(),
            Operand::List(list) => format!("({})", list.iter().map(Literal::show).collect::<Vec<_>>().join(", ")),
            Operand::Field(f) => f.written.clone(),
            Operand::None => String::new(),
        };
        format!("{} {} {value}", self.field.written, self.op.text()).trim_end().to_string()
    }
}

/// A WHERE expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both sides hold.
    And(Box<Expr>, Box<Expr>),
    /// Either side holds.
    Or(Box<Expr>, Box<Expr>),
    /// One comparison.
    Clause(Clause),
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// SELECT fields.
    pub columns: Vec<FieldRef>,
    /// WHERE, when present.
    pub filter: Option<Expr>,
    /// ORDER BY: field and whether descending.
    pub order: Vec<(FieldRef, bool)>,
    /// ASOF, when present.
    pub as_of: Option<Literal>,
}
