//! Table tests for the story rules.

use super::*;
use crate::drift::Severity;

fn story(item: &str, text: &str) -> StoryText {
    StoryText::from_sentence(item, text)
}

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn check_sentence_reports_each_missing_part() {
    let cases: &[(&str, &[&str])] = &[
        ("As a customer admin, I can invite teammates by email, so that my team is onboarded.", &[]),
        ("I want to invite teammates, so that my team is onboarded.", &["story-missing-persona"]),
        ("As a customer admin, I can invite teammates.", &["story-missing-benefit"]),
        ("As a customer admin, so that my team is onboarded.", &["story-missing-activity"]),
        ("Invite teammates", &["story-missing-persona", "story-missing-activity", "story-missing-benefit"]),
    ];
    for (text, want) in cases {
        assert_eq!(rules(&check_sentence(&story("ST-1", text))), *want, "{text}");
    }
}

#[test]
fn missing_parts_carry_default_severities_and_location() {
    let mut s = story("ST-7", "Invite teammates");
    s.path = Some(PathBuf::from("stories/ST-7.md"));
    s.line = Some(3);
    let findings = check_sentence(&s);
    let severity = |rule: &str| findings.iter().find(|f| f.rule == rule).map(|f| f.severity);
    assert_eq!(severity("story-missing-persona"), Some(Severity::Error));
    assert_eq!(severity("story-missing-activity"), Some(Severity::Error));
    assert_eq!(severity("story-missing-benefit"), Some(Severity::Warning));
    assert!(findings.iter().all(|f| f.item.as_deref() == Some("ST-7") && f.line == Some(3)));
    assert!(findings[0].message.contains("`ST-7`"));
}

#[test]
fn missing_benefit_says_what_was_read_as_the_activity_and_why() {
    let f = check_sentence(&story("ST-1", "As a user, I want to export a report to PDF."));
    let f = f.iter().find(|f| f.rule == "story-missing-benefit").unwrap();
    assert!(f.message.contains("`export a report to PDF` was read as the activity"), "{}", f.message);
    assert!(f.message.contains("\"because\"") && f.message.contains("\"since\""), "{}", f.message);
    for text in [
        "As a user, I want to export a report because I present it weekly.",
        "As a user, I want to export a report since I present it weekly.",
        "As a user, I want to export a report so I can present it.",
        "As a user, I want to export a report, to save time on Mondays.",
    ] {
        assert_eq!(rules(&check_sentence(&story("ST-2", text))), Vec::<&str>::new(), "{text}");
    }
}

#[test]
fn blank_parts_count_as_missing() {
    let s = StoryText {
        item: "ST-2".into(),
        persona: Some("  ".into()),
        activity: Some("log in".into()),
        ..Default::default()
    };
    assert_eq!(rules(&check_sentence(&s)), ["story-missing-persona", "story-missing-benefit"]);
}

#[test]
fn check_sentence_flags_joined_actions_and_technology() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "As an admin, I can add and remove members, so that the team is right.",
            "story-not-atomic",
            "`add` and `remove` with `and`",
        ),
        (
            "As a visitor, I want to create an account and log in, so that I can book.",
            "story-not-atomic",
            "`create` and `log`",
        ),
        ("As a clerk, I can create a custom query/report, so that I answer.", "story-not-atomic", "with a slash"),
        (
            "As an admin, I want a dropdown of teams, so that I can pick one.",
            "story-not-implementation-free",
            "`dropdown`",
        ),
        (
            "As a developer, I want to store the state in the database, so that it is shared.",
            "story-not-implementation-free",
            "`database`",
        ),
        (
            "As a client, I can call the /items endpoint, so that I get items.",
            "story-not-implementation-free",
            "`endpoint`",
        ),
    ];
    for (text, rule, says) in cases {
        let findings = check_sentence(&story("ST-3", text));
        let f = findings.iter().find(|f| f.rule == *rule).unwrap_or_else(|| panic!("no {rule} for {text}"));
        assert_eq!(f.severity, Severity::Info);
        assert!(f.message.contains(says), "{}", f.message);
    }
}

#[test]
fn one_action_on_two_objects_and_plain_words_pass() {
    for text in [
        "As a moderator, I want to see dates and times in my timezone, so that I don't convert them.",
        "As a participant, I want to scroll back through the stories and estimates, so that I can use them.",
        "As a user, I want to drag and drop cards, so that I can reorder them.",
        "As a customer admin, I can invite teammates by email, so that my team is onboarded.",
    ] {
        assert_eq!(rules(&check_sentence(&story("ST-4", text))), Vec::<&str>::new(), "{text}");
    }
}

fn personas() -> Vec<Persona> {
    vec![
        Persona {
            name: "customer admin".into(),
            aliases: vec!["tenant admin".into(), "admin".into()],
            description: None,
        },
        Persona { name: "new teammate".into(), aliases: vec!["invited user".into()], description: None },
        Persona { name: "support agent".into(), aliases: vec![], description: None },
    ]
}

fn with_persona(persona: &str) -> StoryText {
    StoryText { item: "ST-5".into(), persona: Some(persona.into()), ..Default::default() }
}

#[test]
fn known_personas_match_loosely() {
    for persona in [
        "customer admin",
        "Customer Admin",
        "the customer admin",
        "customer admins",
        "Tenant-Admin",
        "ADMIN",
        "invited users",
        "  new   teammate ",
    ] {
        assert_eq!(check_persona(&with_persona(persona), &personas()), None, "{persona}");
    }
}

#[test]
fn unknown_personas_suggest_the_nearest() {
    let cases = [
        ("custmer admin", "did you mean `customer admin`?"),
        ("new teamate", "did you mean `new teammate`?"),
        ("support agnt", "did you mean `support agent`?"),
        ("billing admin", "did you mean `admin`?"),
        ("invited guest", "did you mean `invited user`?"),
        ("astronaut", "use one of `customer admin`, `new teammate`, `support agent` or add `astronaut`"),
    ];
    for (persona, hint) in cases {
        let f = check_persona(&with_persona(persona), &personas()).unwrap_or_else(|| panic!("{persona} passed"));
        assert_eq!(f.rule, "unknown-persona");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains(&format!("`{persona}`")), "{}", f.message);
        assert!(
            f.hint.as_deref().unwrap().starts_with(hint) || f.hint.as_deref().unwrap().contains(hint),
            "{persona}: {:?}",
            f.hint
        );
    }
}

#[test]
fn no_persona_or_no_known_personas_is_not_this_rules_business() {
    assert_eq!(check_persona(&StoryText::default(), &personas()), None);
    assert_eq!(check_persona(&with_persona("astronaut"), &[]), None);
}

#[test]
fn duplicates_after_normalisation_name_the_first_copy() {
    let stories = [
        story("ST-1", "As a user, I want to log in, so that I see my data."),
        story("ST-2", "As a user, I want to export a CSV."),
        story("ST-3", "as a USER  i want to log in so that i see my data"),
        story("ST-4", "As the user, I want to log in, so that I see my data!"),
        story("ST-5", "As a user, I want to export the CSV"),
        story("ST-6", "As a user, I want to log out."),
        StoryText { item: "ST-7".into(), ..Default::default() },
        StoryText { item: "ST-8".into(), ..Default::default() },
    ];
    let findings = check_duplicates(&stories);
    let got: Vec<(&str, &str)> = findings.iter().map(|f| (f.item.as_deref().unwrap(), f.message.as_str())).collect();
    assert_eq!(
        got,
        [("ST-3", "`ST-3` repeats `ST-1`"), ("ST-4", "`ST-4` repeats `ST-1`"), ("ST-5", "`ST-5` repeats `ST-2`")]
    );
    assert!(findings.iter().all(|f| f.rule == "duplicate-story" && f.severity == Severity::Warning));
}

#[test]
fn duplicates_without_text_compare_their_parts() {
    let part = |item: &str, activity: &str| StoryText {
        item: item.into(),
        persona: Some("admin".into()),
        activity: Some(activity.into()),
        ..Default::default()
    };
    let findings = check_duplicates(&[
        part("ST-1", "Invite teammates"),
        part("ST-2", "invite teammates."),
        part("ST-3", "remove teammates"),
    ]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].message, "`ST-2` repeats `ST-1`");
}

#[test]
fn duplicate_key_ignores_case_punctuation_and_articles() {
    assert_eq!(duplicate_key("  As a User,  I want THE report! "), "as user i want report");
    assert_eq!(duplicate_key("..."), "");
}

#[test]
fn duplicate_story_same_persona_same_activity_in_other_words() {
    let stories = [
        story("ST-1", "As a customer admin, I can invite teammates by email, so that my team is onboarded."),
        story("ST-2", "As a Customer Admins, I want to be able to send invitations to teammates by email."),
        story("ST-3", "As a customer admin, I want to invited teammate by email, so that my team gets onboarded."),
        story("ST-4", "As a user, I want to view my invoices, so that I can pay them."),
        story("ST-5", "As a user, I want to see my invoice, so that I can pay it."),
        story("ST-6", "As a user, I want to look at the invoices."),
        story("ST-7", "As a user, I want to log in, so that I see my data."),
        story("ST-8", "As a user, I want to sign in, so that I can see my data."),
    ];
    let got: Vec<String> = check_duplicates(&stories).iter().map(|f| f.item.clone().unwrap()).collect();
    assert_eq!(got, ["ST-3", "ST-5", "ST-6", "ST-8"], "no benefit is not another benefit");
    let f = &check_duplicates(&stories)[0];
    assert!(f.message.contains("says what `ST-1` says in other words"), "{}", f.message);
}

#[test]
fn duplicate_story_not_flagged_when_object_persona_or_benefit_differ() {
    let stories = [
        story("ST-1", "As a user, I want to view my invoices, so that I can pay them."),
        story("ST-2", "As a user, I want to view my orders, so that I can pay them."),
        story("ST-3", "As an admin, I want to view my invoices, so that I can pay them."),
        story("ST-4", "As a user, I want to view my invoices, so that I can dispute a charge with support."),
        story("ST-5", "As a user, I want to add a member, so that the team grows."),
        story("ST-6", "As a user, I want to remove a member, so that the team grows."),
    ];
    assert_eq!(check_duplicates(&stories), Vec::<Finding>::new());
}

#[test]
fn implementation_free_names_products_frameworks_and_data_stores() {
    let cases = [
        ("As an admin, I want to pick a team using React, so that I can assign it.", "`React`, a technology"),
        ("As a visitor, I want to send my address from a React form, so that I get a quote.", "`React`"),
        ("As a user, I want my answers stored in PostgreSQL, so that they are kept.", "`PostgreSQL`"),
        (
            "As an admin, I want a React dropdown stored in PostgreSQL, so that I can pick a team.",
            "`React`, `dropdown` and `PostgreSQL`, technology or design choices",
        ),
    ];
    for (text, says) in cases {
        let findings = check_sentence(&story("ST-9", text));
        let f = findings.iter().find(|f| f.rule == "story-not-implementation-free").unwrap_or_else(|| panic!("{text}"));
        assert!(f.message.contains(says), "{}", f.message);
    }
}
