//! The WIQL statement a sync needs: `SELECT fields FROM WorkItems [WHERE …] [ORDER BY …] [ASOF …]`,
//! clauses joined by AND (binding tighter) and OR with parentheses, and the comparison operators
//! `= <> < > <= >=`, `[NOT] IN`, `[NOT] CONTAINS [WORDS]`, `[NOT] UNDER`, `IS [NOT] EMPTY`.

pub use super::ast::{Clause, Expr, FieldRef, Literal, Operand, Operator, Query};
use super::lexer::{Kind, Token, tokenize};
use crate::azure::errors::AzureError;
use crate::azure::fields;

const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "CONTAINS", "WORDS", "UNDER", "IS", "EMPTY", "ORDER", "BY",
    "ASC", "DESC", "ASOF", "EVER",
];

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

fn syntax(detail: &str, near: String) -> AzureError {
    AzureError::QuerySyntax { detail: detail.into(), near }
}

/// Parses a WIQL statement, resolving field names.
pub fn parse(text: &str) -> Result<Query, AzureError> {
    let mut p = Parser { text, tokens: tokenize(text)?, pos: 0 };
    p.keyword("SELECT")?;
    let mut columns = vec![p.field()?];
    while p.eat(&Kind::Comma) {
        columns.push(p.field()?);
    }
    p.keyword("FROM")?;
    match p.next() {
        Some(Kind::Word(w)) if w.eq_ignore_ascii_case("workitems") => {}
        Some(Kind::Word(w)) if w.eq_ignore_ascii_case("workitemlinks") => {
            return Err(syntax(
                "Queries of work item links are not supported by this server; use FROM WorkItems",
                w.clone(),
            ));
        }
        other => return Err(syntax("Expecting WorkItems after FROM", other.map(|k| k.show()).unwrap_or_default())),
    }
    let filter = if p.peek_is("WHERE") {
        p.pos += 1;
        Some(p.or_expr()?)
    } else {
        None
    };
    let mut order = Vec::new();
    if p.peek_is("ORDER") {
        p.pos += 1;
        p.keyword("BY")?;
        loop {
            let field = p.field()?;
            let descending = if p.peek_is("DESC") {
                p.pos += 1;
                true
            } else {
                if p.peek_is("ASC") {
                    p.pos += 1;
                }
                false
            };
            order.push((field, descending));
            if !p.eat(&Kind::Comma) {
                break;
            }
        }
    }
    let as_of = if p.peek_is("ASOF") {
        p.pos += 1;
        Some(p.literal()?)
    } else {
        None
    };
    if let Some(extra) = p.tokens.get(p.pos) {
        return Err(syntax("Expecting end of query", p.text[extra.at..].to_string()));
    }
    Ok(Query { columns, filter, order, as_of })
}

impl Parser<'_> {
    fn next(&mut self) -> Option<&Kind> {
        let token = self.tokens.get(self.pos).map(|t| &t.kind);
        self.pos += 1;
        token
    }

    fn peek(&self) -> Option<&Kind> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn peek_is(&self, word: &str) -> bool {
        self.peek().is_some_and(|k| k.is(word))
    }

    fn eat(&mut self, kind: &Kind) -> bool {
        if self.peek() == Some(kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn near(&self) -> String {
        self.tokens.get(self.pos).map(|t| self.text[t.at..].to_string()).unwrap_or_default()
    }

    fn keyword(&mut self, word: &str) -> Result<(), AzureError> {
        if self.peek_is(word) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(&format!("Expecting {word}"), self.near()))
        }
    }

    fn field(&mut self) -> Result<FieldRef, AzureError> {
        let near = self.near();
        let (name, written) = match self.next() {
            Some(Kind::Bracketed(name)) => (name.clone(), format!("[{name}]")),
            Some(Kind::Word(name)) if !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name)) => {
                (name.clone(), name.clone())
            }
            _ => return Err(syntax("Expecting field name", near)),
        };
        let def = fields::find(&name).ok_or_else(|| AzureError::QueryUnknownField { name: written.clone() })?;
        Ok(FieldRef { written, def })
    }

    fn or_expr(&mut self) -> Result<Expr, AzureError> {
        let mut left = self.and_expr()?;
        while self.peek_is("OR") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, AzureError> {
        let mut left = self.primary()?;
        while self.peek_is("AND") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, AzureError> {
        if self.eat(&Kind::Open) {
            let inner = self.or_expr()?;
            if !self.eat(&Kind::Close) {
                return Err(syntax("Expecting ')'", self.near()));
            }
            return Ok(inner);
        }
        let field = self.field()?;
        let op = self.operator()?;
        let operand = match op {
            Operator::IsEmpty | Operator::IsNotEmpty => Operand::None,
            Operator::In | Operator::NotIn => {
                if !self.eat(&Kind::Open) {
                    return Err(syntax("Expecting '('", self.near()));
                }
                let mut list = vec![self.literal()?];
                while self.eat(&Kind::Comma) {
                    list.push(self.literal()?);
                }
                if !self.eat(&Kind::Close) {
                    return Err(syntax("Expecting ')'", self.near()));
                }
                Operand::List(list)
            }
            _ if matches!(self.peek(), Some(Kind::Bracketed(_))) => Operand::Field(self.field()?),
            _ => Operand::Value(self.literal()?),
        };
        Ok(Expr::Clause(Clause { field, op, operand }))
    }

    fn operator(&mut self) -> Result<Operator, AzureError> {
        let near = self.near();
        let not = self.peek_is("NOT");
        if not {
            self.pos += 1;
        }
        let op = match self.next().cloned() {
            Some(Kind::Symbol(s)) if !not => match s {
                "=" => Operator::Eq,
                "<>" => Operator::Ne,
                "<" => Operator::Lt,
                ">" => Operator::Gt,
                "<=" => Operator::Le,
                _ => Operator::Ge,
            },
            Some(k) if k.is("IN") => {
                if not {
                    Operator::NotIn
                } else {
                    Operator::In
                }
            }
            Some(k) if k.is("UNDER") => {
                if not {
                    Operator::NotUnder
                } else {
                    Operator::Under
                }
            }
            Some(k) if k.is("CONTAINS") => {
                let words = self.peek_is("WORDS");
                if words {
                    self.pos += 1;
                }
                match (not, words) {
                    (false, false) => Operator::Contains,
                    (true, false) => Operator::NotContains,
                    (false, true) => Operator::ContainsWords,
                    (true, true) => Operator::NotContainsWords,
                }
            }
            Some(k) if k.is("IS") && !not => {
                let negated = self.peek_is("NOT");
                if negated {
                    self.pos += 1;
                }
                self.keyword("EMPTY")?;
                if negated { Operator::IsNotEmpty } else { Operator::IsEmpty }
            }
            _ => return Err(syntax("Expecting comparison operator", near)),
        };
        Ok(op)
    }

    fn literal(&mut self) -> Result<Literal, AzureError> {
        let near = self.near();
        let negative = self.eat(&Kind::Minus);
        match self.next().cloned() {
            Some(Kind::Text(t)) if !negative => Ok(Literal::Text(t)),
            Some(Kind::Number(n)) => Ok(Literal::Number(if negative { -n } else { n })),
            Some(Kind::Macro(name)) if !negative => {
                let sign = if self.eat(&Kind::Plus) {
                    1.0
                } else if self.eat(&Kind::Minus) {
                    -1.0
                } else {
                    return Ok(Literal::Macro { name, offset: 0.0 });
                };
                match self.next() {
                    Some(Kind::Number(n)) => Ok(Literal::Macro { name, offset: sign * n }),
                    _ => Err(syntax("Expecting a number after the macro offset", near)),
                }
            }
            _ => Err(syntax("Expecting a value", near)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause_fields(expr: &Expr) -> String {
        match expr {
            Expr::And(a, b) => format!("({} AND {})", clause_fields(a), clause_fields(b)),
            Expr::Or(a, b) => format!("({} OR {})", clause_fields(a), clause_fields(b)),
            Expr::Clause(c) => c.field.def.name.to_string(),
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_regroup() {
        let cases = [
            ("[State] = 'a' OR [Title] = 'b' AND [Priority] = 1", "(State OR (Title AND Priority))"),
            ("([State] = 'a' OR [Title] = 'b') AND [Priority] = 1", "((State OR Title) AND Priority)"),
            (
                "[State] = 'a' AND [Title] = 'b' OR [Priority] = 1 AND [Tags] CONTAINS 'x'",
                "((State AND Title) OR (Priority AND Tags))",
            ),
        ];
        for (filter, want) in cases {
            let q = parse(&format!("SELECT [System.Id] FROM WorkItems WHERE {filter}")).unwrap();
            assert_eq!(clause_fields(q.filter.as_ref().unwrap()), want, "{filter}");
        }
    }

    #[test]
    fn reads_every_operator_order_and_macros() {
        let q = parse(
            "select [System.Id], [System.Title] from workitems where [System.TeamProject] = @project and [System.Id] in (1, 2) \
             and [System.State] not in ('Closed') and [System.Tags] not contains 'x' and [System.Title] contains words 'invite' \
             and [System.AreaPath] under 'P\\A' and [System.Description] is not empty and [System.ChangedDate] >= @today - 7 \
             and [System.Id] > -1 order by [Microsoft.VSTS.Common.Priority] asc, [System.CreatedDate] desc",
        )
        .unwrap();
        assert_eq!(q.columns.len(), 2);
        assert_eq!(q.order.len(), 2);
        assert!(q.order[1].1);
        let mut ops = Vec::new();
        fn walk(e: &Expr, ops: &mut Vec<Operator>) {
            match e {
                Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, ops);
                    walk(b, ops);
                }
                Expr::Clause(c) => ops.push(c.op),
            }
        }
        walk(q.filter.as_ref().unwrap(), &mut ops);
        use Operator::*;
        assert_eq!(ops, [Eq, In, NotIn, NotContains, ContainsWords, Under, IsNotEmpty, Ge, Gt]);
    }

    #[test]
    fn reports_errors_the_service_way() {
        let unknown = parse("SELECT [System.Id] FROM WorkItems WHERE [System.Sprint] = 'x'").unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "TF51005: The query references a field that does not exist. The error is caused by «[System.Sprint]»."
        );
        for bad in [
            "SELECT FROM WorkItems",
            "SELECT [System.Id] WorkItems",
            "SELECT [System.Id] FROM WorkItems WHERE [System.Id] = ",
            "SELECT [System.Id] FROM WorkItems WHERE ([System.Id] = 1",
            "SELECT [System.Id] FROM WorkItems WHERE [System.Id] 1",
            "SELECT [System.Id] FROM WorkItems ORDER [System.Id]",
        ] {
            assert!(matches!(parse(bad), Err(AzureError::QuerySyntax { .. })), "{bad}");
        }
    }
}
