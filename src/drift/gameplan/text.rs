//! What the Game Plan rules read in free text: a solution named in a problem statement, a
//! target with a number, threshold or date, a definition-of-done item someone can check.

use std::sync::LazyLock;

use regex::Regex;

use crate::drift::story::implementation_term;

/// Phrases that propose a solution instead of describing the problem.
static SOLUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)\b(?:
            (?:we|they|you|customers?|users?|the\s+team)\s+(?:need|needs|should|must|want|wants)\s+(?:to\s+)?
              (?:build|add|create|implement|buy|use|adopt|develop|introduce|migrate|install|deploy|rewrite)
          | (?:there\s+is|we\s+have)\s+no\s+(?:app|portal|dashboard|tool|system|platform|integration|api|chatbot)
          | (?:needs?|lacks?|requires?|missing)\s+an?\s+(?:new\s+)?(?:app|portal|dashboard|tool|platform|integration|api|chatbot|wizard)
          | migrate\s+to | switch\s+to | rewrite\s+(?:it|the)
        )\b",
    )
    .expect("a valid regex")
});

/// The solution or technology a problem statement names, as written there.
pub fn named_solution(statement: &str) -> Option<&str> {
    implementation_term(statement).or_else(|| SOLUTION.find(statement).map(|m| m.as_str()))
}

/// A number (digits or a number word), a threshold word or a date.
static QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)\d
        | \b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|fifty|hundred|half|twice|double|triple
            |all|every|each|none|zero|no\s+more\s+than|no\s+longer\s+than|nobody|no\s+one
            |january|february|march|april|may|june|july|august|september|october|november|december
            |daily|weekly|monthly|quarterly)\b",
    )
    .expect("a valid regex")
});

/// Whether a target holds a number, a threshold or a date.
pub fn has_quantity(text: &str) -> bool {
    QUANTITY.is_match(text)
}

/// An item id (`EP-1`, `ST-14`) or a criterion / problem id (`SC1`, `P2`).
static ID_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:[A-Z]{2,}-\d+|SC-?\d+|P-?\d+)\b").expect("a valid regex"));

/// States and artefacts someone can check: "is resolved", "has signed off", "is live".
static CHECKABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)\b(?:live|released|deployed|published|resolved|closed|done|merged|signed\s+off|sign-off|approved
            |met|pass|passes|passed|documented|exists?|written|reviewed|tested|available|enabled|shipped
            |completed|agreed|accepted|has\s+an?|have\s+an?|have\s+published|has\s+published|migrated|trained)\b",
    )
    .expect("a valid regex")
});

/// Words that make a statement a matter of opinion unless a number says how much.
static VAGUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)\b(?:good|better|best|improved?|improves|nice|great|user-friendly|intuitive|happy|satisfied|robust
            |fast|faster|quick|quickly|easy|easier|seamless|smooth|smoothly|appropriate|adequate|sufficient
            |as\s+needed|as\s+possible|where\s+possible|etc|and\s+so\s+on|various|optimal|efficient|high[-\s]quality
            |polished|clean|modern|stable|reasonable|acceptable)\b",
    )
    .expect("a valid regex")
});

/// Why a definition-of-done item cannot be checked, or `None` when it can.
pub fn unchecked_reason(item: &str) -> Option<String> {
    let quantified = has_quantity(item) || ID_REF.is_match(item);
    if let Some(v) = VAGUE.find(item).filter(|_| !item.chars().any(|c| c.is_ascii_digit())) {
        return Some(format!("`{}` is a matter of opinion without a number", v.as_str()));
    }
    if quantified || CHECKABLE.is_match(item) {
        return None;
    }
    Some("it names no number, date, id or state someone could check".to_string())
}

/// Whether the text refers to criterion `id` (`SC1`) as a word.
pub fn mentions_id(text: &str, id: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '-').any(|w| w.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solutions_and_technologies_are_named() {
        let cases = [
            ("Admins cannot see usage because there is no dashboard.", "there is no dashboard"),
            ("We need to build a mobile app for onboarding.", "We need to build"),
            ("Invitations are stored in PostgreSQL and get lost.", "PostgreSQL"),
            ("Setup needs a new wizard.", "needs a new wizard"),
        ];
        for (text, want) in cases {
            assert_eq!(named_solution(text), Some(want), "{text}");
        }
        for text in [
            "Customer admins invite few colleagues: 60% of new tenants have one active user after 30 days.",
            "First-run setup takes three weeks of calls with Contoso support before a team can schedule.",
            "Enterprise customers cannot use the product until it signs in with their identity provider.",
        ] {
            assert_eq!(named_solution(text), None, "{text}");
        }
    }

    #[test]
    fn quantities_are_numbers_thresholds_or_dates() {
        for text in ["70%", "under 8 hours", "all pilot tenants", "by March", "zero escalations", "twice a week"] {
            assert!(has_quantity(text), "{text}");
        }
        for text in ["more", "the value that means success", "high", "a lot better"] {
            assert!(!has_quantity(text), "{text}");
        }
    }

    #[test]
    fn checkable_items_pass_and_opinions_do_not() {
        for item in [
            "every story of EP-1 is resolved",
            "success criteria SC1 and SC2 are met for two consecutive weeks",
            "Contoso's product office has signed off",
            "support has a runbook for onboarding tickets",
            "invitations are live for the three pilot tenants",
            "load time under 2 s is good enough",
        ] {
            assert_eq!(unchecked_reason(item), None, "{item}");
        }
        for (item, why) in [
            ("the onboarding feels good", "`good`"),
            ("quality is improved", "`improved`"),
            ("customers like the product", "no number"),
        ] {
            let got = unchecked_reason(item).unwrap_or_else(|| panic!("{item} passed"));
            assert!(got.contains(why), "{item}: {got}");
        }
    }

    #[test]
    fn ids_are_mentioned_as_words() {
        assert!(mentions_id("criteria SC1 and SC2 are met", "SC2"));
        assert!(!mentions_id("criteria SC12 is met", "SC1"));
    }
}
