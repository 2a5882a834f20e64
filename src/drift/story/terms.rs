//! Implementation-freedom: the curated terms that name a technology or a design choice
//! (a table, an endpoint, a framework, a database, a button, a dropdown…) instead of what the
//! persona gets done. Matched case-insensitively on word boundaries.

use std::sync::LazyLock;

use regex::Regex;

/// Technology and design terms, grouped by what they name. Plurals are matched by the regex.
#[rustfmt::skip]
const TERMS: &[&str] = &[
    // user-interface controls
    "button", "radio button", "dropdown", "drop-down", "drop down", "dropdown menu", "checkbox",
    "check box", "text field", "text box", "textbox", "input field", "form field", "combo box",
    "combobox", "popup", "pop-up", "modal dialog", "modal window", "dialog box", "tooltip",
    "sidebar", "navbar", "navigation bar", "hamburger menu", "carousel", "widget", "scrollbar",
    "click", "double-click", "right-click",
    // storage
    "database", "db", "table", "column", "sql", "nosql", "stored procedure", "foreign key",
    "primary key", "database index", "cache", "redis", "mysql", "postgres", "postgresql", "sqlite",
    "mongodb", "elasticsearch", "dynamodb", "s3 bucket", "blob storage", "mariadb", "sql server",
    "oracle database", "cassandra", "couchdb", "firebase", "firestore", "neo4j", "bigquery",
    "memcached", "hadoop", "data warehouse", "solr",
    // services and protocols
    "endpoint", "rest api", "restful", "rest call", "graphql", "soap api", "grpc", "microservice",
    "backend", "back-end", "back end", "frontend", "front-end", "server-side", "client-side",
    "cron job", "cron", "kafka", "rabbitmq", "lambda function", "docker", "kubernetes", "aws",
    "heroku", "ajax", "websocket", "http request", "post request", "get request", "session cookie",
    "local storage", "localstorage", "jwt",
    // frameworks and languages
    "framework", "react.js", "reactjs", "react native", "angular", "vue", "vue.js", "django",
    "flask", "rails", "ruby on rails", "laravel", "spring boot", "node.js", "nodejs", "express.js",
    "jquery", "bootstrap", "javascript", "typescript", "php", "html", "xhtml", "css", "next.js",
    "nextjs", "svelte", "ember.js", "backbone.js", "asp.net", "symfony", "tailwind", "java", "python",
    "kotlin", "scala", "golang", "perl", "c#", "c++",
    // products and platforms that decide how it is built
    "wordpress", "drupal", "sharepoint", "salesforce", "jenkins", "terraform", "azure functions",
    "google cloud", "gcp", "internet explorer", "firefox", "unicode", "utf-8",
];

/// Names that are also plain words ("react to", "express interest", "spring"): matched only as
/// written with a capital.
const CASED_TERMS: &[&str] =
    &["React", "Spring", "Express", "Swift", "Oracle", "Mongo", "Ember", "Vue", "Safari", "Chrome"];

static TERM: LazyLock<Regex> = LazyLock::new(|| {
    let mut terms: Vec<&str> = TERMS.to_vec();
    // Longest first, so "radio button" wins over "button".
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let alternatives: Vec<String> = terms.iter().map(|t| regex::escape(t).replace(' ', r"\s+")).collect();
    let cased: Vec<String> = CASED_TERMS.iter().map(|t| regex::escape(t)).collect();
    // `\b` cannot follow `#` or `+`: "c#" and "c++" end at a non-word character instead.
    Regex::new(&format!(r"(?i:\b(?:{})(?:e?s)?(?:\b|[^\w]|$))|\b(?:{})\b", alternatives.join("|"), cased.join("|")))
        .expect("the term list is a valid regex")
});

/// Phrases that contain a term but name something the persona sees or gets.
static USER_LEVEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:pivot\s+tables?|periodic\s+tables?|round\s+tables?|tables?\s+of\s+contents|html\s+files?)\b")
        .expect("a valid regex")
});

/// The first technology or design term the activity names, as written there.
pub fn implementation_term(activity: &str) -> Option<&str> {
    implementation_terms(activity).into_iter().next()
}

/// Every technology or design term the text names, as written there, in order, each once.
pub fn implementation_terms(text: &str) -> Vec<&str> {
    let user_level: Vec<(usize, usize)> = USER_LEVEL.find_iter(text).map(|m| (m.start(), m.end())).collect();
    let mut out: Vec<&str> = Vec::new();
    for m in TERM.find_iter(text) {
        if user_level.iter().any(|&(s, e)| m.start() >= s && m.end() <= e) {
            continue;
        }
        let term = m.as_str().trim_end_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '+');
        if !term.is_empty() && !out.iter().any(|t| t.eq_ignore_ascii_case(term)) {
            out.push(term);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_term_as_written() {
        let cases = [
            ("store the visualisation state in the Database", "Database"),
            ("pick a country from a drop-down", "drop-down"),
            ("choose with a radio button", "radio button"),
            ("press the Buttons on the device", "Buttons"),
            ("add a column to the users table", "column"),
            ("call the /v1/items endpoint", "endpoint"),
            ("use bootstrap in the process of developing", "bootstrap"),
            ("have created database indexes", "database indexes"),
            ("have a site which is compliant with XHTML and CSS standards", "XHTML"),
            ("specify schema as a SQL schema string", "SQL"),
            ("click on the address", "click"),
            ("see the pivot table in the database", "database"),
            ("pick a team using React", "React"),
            ("submit my address from a React form", "React"),
            ("keep my answers stored in PostgreSQL", "PostgreSQL"),
            ("write the importer in C#", "C#"),
            ("have the pages served by WordPress", "WordPress"),
        ];
        for (activity, term) in cases {
            assert_eq!(implementation_term(activity), Some(term), "{activity}");
        }
    }

    #[test]
    fn every_term_is_named_once_in_order() {
        assert_eq!(
            implementation_terms("pick a team from a React dropdown stored in PostgreSQL"),
            ["React", "dropdown", "PostgreSQL"]
        );
        assert_eq!(implementation_terms("a button, another Button and C++"), ["button", "C++"]);
    }

    #[test]
    fn plain_activities_name_no_term() {
        for activity in [
            "invite teammates by email",
            "see my timetable for next week",
            "normalise measures by socioeconomic indexes",
            "export a transcript of a game",
            "get a password reminder",
            "record the outcome of the meeting",
            "see which facilities accept glass",
            "have a device that only reacts to me",
            "see the amounts in a pivot table",
            "export a transcript as an HTML file",
            "read the table of contents",
            "react to an alert within a minute",
            "express interest in a workshop",
            "see the spring schedule",
            "",
        ] {
            assert_eq!(implementation_term(activity), None, "{activity}");
        }
    }
}
