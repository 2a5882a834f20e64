//! Property tests for webhook parsing: any JSON — invented, or a real GitHub or Azure DevOps
//! delivery from `../shared/specs` with a part replaced or removed — turns into a verdict without
//! panicking; well-formed events name the right item; signatures and basic auth accept exactly
//! what was signed.

use axum::http::{HeaderMap, HeaderValue};
use backlog_sync::config::{Secret, TargetKind, TargetSettings};
use backlog_sync::daemon::WorkKey;
use backlog_sync::daemon::webhooks::{AzureAuth, Verdict, azure_auth_ok, github_signature_ok};
use backlog_sync::trackers::azure_boards::hook as azure_hook;
use backlog_sync::trackers::github::hook as github_hook;
use base64::Engine;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::shared_dir;

fn target(name: &str, kind: TargetKind, repository: Option<&str>, project: Option<&str>) -> TargetSettings {
    let mut toml =
        format!("name = \"{name}\"\nkind = \"{}\"\ntoken_env = \"TOKEN\"\nmapping = \"mapping.toml\"\n", kind.name());
    if let Some(r) = repository {
        toml += &format!("repository = \"{r}\"\n");
    }
    if let Some(p) = project {
        toml += &format!("organization_url = \"https://dev.azure.com/contoso\"\nproject = \"{p}\"\n");
    }
    toml::from_str(&toml).expect("target settings")
}

fn targets() -> Vec<TargetSettings> {
    vec![
        target("github", TargetKind::Github, Some("contoso/onboarding"), None),
        target("boards", TargetKind::AzureBoards, None, Some("Onboarding")),
    ]
}

/// Keys the parsers look for, beside any others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "action",
            "issue",
            "number",
            "repository",
            "full_name",
            "parent_issue",
            "sub_issue",
            "eventType",
            "resource",
            "revision",
            "fields",
            "System.TeamProject",
            "workItemId",
            "id",
            "_links",
            "parent",
            "href",
            "notificationId",
            "subscriptionId",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z_.]{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "issues",
            "edited",
            "deleted",
            "workitem.updated",
            "workitem.deleted",
            "contoso/onboarding",
            "Onboarding",
            "https://x/_apis/wit/workItems/",
            "",
        ])
        .prop_map(|s| json!(s)),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces (or, with `None`, removes) the node that `path` picks inside `v`.
fn mutate(v: &mut Value, path: &[usize], with: Option<Value>) {
    let Some((&step, rest)) = path.split_first() else {
        *v = with.unwrap_or(Value::Null);
        return;
    };
    match v {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step % map.len()).cloned().unwrap_or_default();
            if rest.is_empty() && with.is_none() {
                map.remove(&key);
            } else if let Some(child) = map.get_mut(&key) {
                mutate(child, rest, with);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = step % items.len();
            mutate(&mut items[i], rest, with);
        }
        other => *other = with.unwrap_or(Value::Null),
    }
}

/// The real deliveries in `../shared/specs`: (GitHub event name or `azure`, payload).
fn deliveries() -> Vec<(String, Value)> {
    let Some(shared) = shared_dir() else { return Vec::new() };
    let mut out = Vec::new();
    for (dir, azure) in [("specs/github/webhooks", false), ("specs/azure-devops/service-hooks", true)] {
        for entry in std::fs::read_dir(shared.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".json") || name.starts_with("consumer.") {
                continue;
            }
            let payload: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let event = if azure { "azure".to_string() } else { name.split('.').next().unwrap().to_string() };
            out.push((event, payload));
        }
    }
    assert!(out.len() >= 8 || out.is_empty(), "the GitHub and Azure deliveries in ../shared: {}", out.len());
    out
}

fn verdict_of(event: &str, payload: &Value) -> Verdict {
    if event == "azure" {
        let _ = azure_hook::event_id(payload);
        azure_hook::verdict(payload, &targets())
    } else {
        github_hook::verdict(event, payload, &targets())
    }
}

fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[test]
fn the_real_deliveries_name_their_items() {
    for (event, payload) in deliveries() {
        // Targets that are the delivery's own repository or project.
        let repo = payload["repository"]["full_name"].as_str();
        let fields = &payload["resource"]["fields"];
        let project = fields["System.TeamProject"]
            .as_str()
            .or(payload["resource"]["revision"]["fields"]["System.TeamProject"].as_str());
        let own = vec![
            // A GitHub target always names a repository: one no delivery comes from, when the
            // delivery names none.
            target("github", TargetKind::Github, repo.or(Some("nobody/nothing")), None),
            target("boards", TargetKind::AzureBoards, None, project.or(Some("Onboarding"))),
        ];
        let verdict = if event == "azure" {
            assert!(azure_hook::event_id(&payload).is_some(), "a delivery id");
            azure_hook::verdict(&payload, &own)
        } else {
            github_hook::verdict(&event, &payload, &own)
        };
        match (event.as_str(), verdict) {
            ("ping", v) => assert_eq!(v, Verdict::Ping),
            ("issues" | "issue_comment", Verdict::Enqueue(keys)) => {
                let number = payload["issue"]["number"].as_u64().unwrap();
                let deleted = payload["action"] == "deleted";
                let want = if deleted { WorkKey::Target("github".into()) } else { WorkKey::item("github", number) };
                assert_eq!(keys, vec![(want, deleted)], "{event}");
            }
            (_, Verdict::Enqueue(keys)) => assert!(!keys.is_empty(), "{event}"),
            (_, other) => panic!("{event}: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_json_gets_a_verdict(
        event in prop::sample::select(vec!["issues", "issue_comment", "label", "sub_issues", "ping", "push", "azure"]),
        payload in json_value(),
    ) {
        let _ = verdict_of(event, &payload);
    }

    #[test]
    fn real_deliveries_with_a_part_replaced_or_removed_get_a_verdict(
        pick in any::<prop::sample::Index>(),
        path in prop::collection::vec(0usize..64, 0..6),
        with in prop::option::of(json_value()),
    ) {
        let all = deliveries();
        if !all.is_empty() {
            let (event, payload) = &all[pick.index(all.len())];
            let mut payload = payload.clone();
            mutate(&mut payload, &path, with);
            let _ = verdict_of(event, &payload);
        }
    }

    #[test]
    fn an_issue_event_names_its_issue(
        event in prop::sample::select(vec!["issues", "issue_comment"]),
        action in prop::sample::select(vec!["opened", "edited", "closed", "reopened", "labeled", "created"]),
        number in 1u64..10_000_000,
        repo in prop::sample::select(vec!["contoso/onboarding", "Contoso/Onboarding", "CONTOSO/ONBOARDING"]),
    ) {
        let payload = json!({"action": action, "issue": {"number": number}, "repository": {"full_name": repo}});
        prop_assert_eq!(
            github_hook::verdict(event, &payload, &targets()),
            Verdict::Enqueue(vec![(WorkKey::item("github", number), false)])
        );
    }

    #[test]
    fn a_work_item_event_names_its_work_item(
        action in prop::sample::select(vec!["created", "restored", "commented"]),
        id in 1u64..10_000_000,
        project in prop::sample::select(vec!["Onboarding", "onboarding"]),
    ) {
        let payload = json!({"eventType": format!("workitem.{action}"), "resource": {"id": id, "fields": {"System.TeamProject": project}}});
        prop_assert_eq!(
            azure_hook::verdict(&payload, &targets()),
            Verdict::Enqueue(vec![(WorkKey::item("boards", id), false)])
        );
        let updated = json!({"eventType": "workitem.updated", "resource": {"id": 3, "workItemId": id, "revision": {"id": id, "fields": {"System.TeamProject": project}}}});
        prop_assert_eq!(
            azure_hook::verdict(&updated, &targets()),
            Verdict::Enqueue(vec![(WorkKey::item("boards", id), false)])
        );
    }

    #[test]
    fn a_signature_holds_for_exactly_the_signed_body(
        secret in prop::collection::vec(any::<u8>(), 0..64),
        body in prop::collection::vec(any::<u8>(), 0..512),
        flip in any::<prop::sample::Index>(),
        header in "\\PC{0,80}",
    ) {
        let signature = sign(&secret, &body);
        prop_assert!(github_signature_ok(&secret, &body, Some(&signature)));
        let padded = format!(" {signature} ");
        prop_assert!(github_signature_ok(&secret, &body, Some(&padded)));
        if !body.is_empty() {
            let mut changed = body.clone();
            changed[flip.index(body.len())] ^= 0x01;
            prop_assert!(!github_signature_ok(&secret, &changed, Some(&signature)));
        }
        prop_assert_eq!(github_signature_ok(&secret, &body, Some(&header)), header.trim() == signature);
        prop_assert!(!github_signature_ok(&secret, &body, None));
    }

    #[test]
    fn basic_auth_holds_for_exactly_the_configured_password(
        password in "[ -~]{1,32}",
        user in "[a-z]{0,8}",
        sent in "[ -~]{0,32}",
        raw in "\\PC{0,64}",
    ) {
        let auth = AzureAuth { username: None, password: Secret::new(password.clone()), secret_header: None };
        let basic = |user: &str, pass: &str| {
            let mut headers = HeaderMap::new();
            let value = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            headers.insert("authorization", HeaderValue::from_str(&format!("Basic {value}")).unwrap());
            headers
        };
        prop_assert!(azure_auth_ok(&auth, &basic(&user, &password)));
        prop_assert_eq!(azure_auth_ok(&auth, &basic(&user, &sent)), sent == password);
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&raw) {
            headers.insert("authorization", value);
        }
        let _ = azure_auth_ok(&auth, &headers);
    }
}
