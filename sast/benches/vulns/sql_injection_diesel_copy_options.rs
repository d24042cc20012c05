// https://github.com/diesel-rs/diesel/pull/5042 (RUSTSEC-2026-0136, GHSA-m9p2-fxp5-v3fp: COPY FROM/TO options pasted between single quotes without escaping; fix commit e4a29e145 doubles quotes)
use diesel::pg::Pg;
use diesel::query_builder::AstPass;

#[derive(Default)]
pub struct CommonOptions {
    delimiter: Option<char>,
    null: Option<String>,
    quote: Option<char>,
    escape: Option<char>,
}

pub struct CopyToQuery {
    common: CommonOptions,
}

impl CopyToQuery {
    pub fn with_delimiter(mut self, delimiter: char) -> Self {
        self.common.delimiter = Some(delimiter);
        self
    }

    /// Which string should be used in place of a `NULL` value for textual output formats
    pub fn with_null(mut self, null: impl Into<String>) -> Self {
        self.common.null = Some(null.into());
        self
    }
}

impl CommonOptions {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>, comma: &mut &'static str) {
        if let Some(delimiter) = self.delimiter {
            pass.push_sql(&format!("{comma}DELIMITER '{delimiter}'")); //~ sql-injection
            *comma = ", ";
        }
        if let Some(ref null) = self.null {
            pass.push_sql(comma);
            *comma = ", ";
            pass.push_sql("NULL '");
            // we cannot use binds here :(
            pass.push_sql(null); //~ sql-injection
            pass.push_sql("'");
        }
        if let Some(quote) = self.quote {
            pass.push_sql(&format!("{comma}QUOTE '{quote}'")); //~ sql-injection
            *comma = ", ";
        }
        if let Some(escape) = self.escape {
            pass.push_sql(&format!("{comma}ESCAPE '{escape}'")); //~ sql-injection
            *comma = ", ";
        }
    }

    fn fixed_walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>, comma: &mut &'static str) {
        if let Some(delimiter) = self.delimiter {
            // we need to take care for the quoting character here
            let delimiter = if delimiter == '\'' { "''".into() } else { String::from(delimiter) };
            pass.push_sql(&format!("{comma}DELIMITER '{delimiter}'"));
            *comma = ", ";
        }
        if let Some(ref null) = self.null {
            pass.push_sql(comma);
            *comma = ", ";
            // we cannot use binds here
            // so we need to make sure quotes in
            // the input are handled correctly
            let null = null.replace('\'', "''");
            pass.push_sql("NULL '");
            pass.push_sql(&null);
            pass.push_sql("'");
        }
        if let Some(quote) = self.quote {
            let quote = if quote == '\'' { "''".into() } else { String::from(quote) };
            pass.push_sql(&format!("{comma}QUOTE '{quote}'"));
            *comma = ", ";
        }
        if let Some(escape) = self.escape {
            let escape = if escape == '\'' { "''".into() } else { String::from(escape) };
            pass.push_sql(&format!("{comma}ESCAPE '{escape}'"));
            *comma = ", ";
        }
    }
}
