//! `POST /webhooks/github`: verifies `X-Hub-Signature-256`, dedupes on `X-GitHub-Delivery`, answers
//! `ping`, and turns `issues`, `issue_comment`, `label` and `sub_issues` events into queue keys. The
//! payload only says which item to look at; the run re-reads it from GitHub.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::settings::GithubSettings;
use crate::config::TargetSettings;
use crate::daemon::queue::WorkKey;
use crate::daemon::server::AppState;
use crate::daemon::webhooks::{
    Verdict, answer, endpoint_off, github_signature_ok, github_signature_well_formed, read_body, take,
};

const SOURCE: &str = "github";

/// The handler.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Body) -> Response {
    let secret = state.hooks.github.clone();
    if secret.is_none() && !state.hooks.insecure {
        state.metrics.webhook(SOURCE, "disabled");
        return endpoint_off("set `[webhooks.github] secret_env` to the variable that holds the webhook secret");
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let unauthorized = || {
        state.metrics.webhook(SOURCE, "unauthorized");
        answer(
            StatusCode::UNAUTHORIZED,
            json!({"error": "`X-Hub-Signature-256` is missing or wrong; check that the hook's secret matches the one `[webhooks.github] secret_env` names"}),
        )
    };
    // Refused at once, before a byte of the body is read, when no signature could match.
    if secret.is_some() && !github_signature_well_formed(header("x-hub-signature-256")) {
        return unauthorized();
    }
    let body = match read_body(&state, SOURCE, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Some(secret) = &secret
        && !github_signature_ok(secret.expose().as_bytes(), &body, header("x-hub-signature-256"))
    {
        return unauthorized();
    }
    // An empty delivery id is no id: it would dedupe every later delivery without one.
    let delivery = header("x-github-delivery").map(str::trim).filter(|d| !d.is_empty());
    let (Some(event), Some(delivery)) = (header("x-github-event"), delivery) else {
        state.metrics.webhook(SOURCE, "bad_request");
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "`X-GitHub-Event` and `X-GitHub-Delivery` are required"}),
        );
    };
    let form = header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let json_text = if form { form_payload(&body) } else { Some(body.to_vec()) };
    let payload: Value = match json_text.as_deref().map(serde_json::from_slice) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            state.metrics.webhook(SOURCE, "bad_request");
            return answer(StatusCode::BAD_REQUEST, json!({"error": format!("the body is not JSON: {e}")}));
        }
        None => {
            state.metrics.webhook(SOURCE, "bad_request");
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"error": "a form-encoded hook body needs a `payload` field; or set the hook's content type to `application/json`"}),
            );
        }
    };
    let verdict = match event {
        "push" => crate::daemon::push_hook::github(&payload, state.settings.backlog.git.as_ref()),
        _ => {
            let own = state.own_logins.read().unwrap_or_else(|p| p.into_inner()).clone();
            match echo_of(&payload, &state.settings.targets, &own) {
                Some(reason) => Verdict::Ignore(reason),
                None => verdict(event, &payload, &state.settings.targets),
            }
        }
    };
    take(&state, SOURCE, delivery, verdict)
}

/// The JSON of a form-encoded hook body (`payload=<url-encoded JSON>`, GitHub's default content
/// type for repository webhooks).
pub fn form_payload(body: &[u8]) -> Option<Vec<u8>> {
    let value = body.split(|b| *b == b'&').find_map(|pair| pair.strip_prefix(b"payload="))?;
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < value.len() => {
                let hex = std::str::from_utf8(&value[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b'%' => return None,
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Why a payload is an echo of the sync's own edit: its `sender.login` is the app login the sync
/// writes to that target as. Such an edit is already in the state; it is no person's edit to fetch.
pub fn echo_of(payload: &Value, targets: &[TargetSettings], own: &BTreeMap<String, String>) -> Option<String> {
    let sender = payload["sender"]["login"].as_str()?;
    let target = target_of(payload, targets).ok()?;
    let login = own.get(&target.name)?;
    login.eq_ignore_ascii_case(sender).then(|| format!("an echo of backlog-sync's own edit as `{login}`"))
}

/// The GitHub target a payload's `repository.full_name` belongs to.
fn target_of<'a>(payload: &Value, targets: &'a [TargetSettings]) -> Result<&'a TargetSettings, String> {
    let repo = payload["repository"]["full_name"].as_str().unwrap_or("");
    targets
        .iter()
        .find(|t| GithubSettings::of(t).is_some_and(|g| g.repository.eq_ignore_ascii_case(repo)))
        .ok_or_else(|| format!("repository `{repo}` is not a configured target"))
}

/// What a GitHub event asks for: pure, over the event name, the payload and the targets.
pub fn verdict(event: &str, payload: &Value, targets: &[TargetSettings]) -> Verdict {
    if event == "ping" {
        return Verdict::Ping;
    }
    if !matches!(event, "issues" | "issue_comment" | "label" | "milestone" | "sub_issues") {
        return Verdict::Ignore(format!("event `{event}` is not one backlog-sync acts on"));
    }
    let target = match target_of(payload, targets) {
        Ok(t) => t.name.as_str(),
        Err(reason) => return Verdict::Ignore(reason),
    };
    let action = payload["action"].as_str().unwrap_or("");
    let number = |issue: &Value| issue["number"].as_u64();
    let keys: Vec<(WorkKey, bool)> = match event {
        // A deleted or transferred issue no longer lists: only a full comparison sees it gone.
        "issues" if matches!(action, "deleted" | "transferred") => vec![(WorkKey::Target(target.into()), true)],
        "issues" | "issue_comment" => {
            number(&payload["issue"]).map(|n| (WorkKey::item(target, n), false)).into_iter().collect()
        }
        // A renamed or deleted label changes issues without touching their `updated_at`.
        "label" if matches!(action, "edited" | "deleted") => vec![(WorkKey::Target(target.into()), true)],
        "label" => vec![(WorkKey::Target(target.into()), false)],
        // A renamed milestone renames it on its issues without touching their `updated_at`;
        // a new one is imported into backlog.toml by the next run (`[sync] milestones`).
        "milestone" if action == "edited" => vec![(WorkKey::Target(target.into()), true)],
        "milestone" => vec![(WorkKey::Target(target.into()), false)],
        _ => [&payload["parent_issue"], &payload["sub_issue"]]
            .into_iter()
            .filter_map(number)
            .map(|n| (WorkKey::item(target, n), false))
            .collect(),
    };
    if keys.is_empty() {
        return Verdict::Ignore(format!("`{event}.{action}` names no issue"));
    }
    Verdict::Enqueue(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<TargetSettings> {
        let toml = "name = \"gh\"\nkind = \"github\"\nrepository = \"Contoso/Onboarding\"\ntoken_env = \"T\"\nmapping = \"m.toml\"";
        vec![toml::from_str(toml).unwrap()]
    }

    #[test]
    fn form_encoded_bodies_carry_the_json_in_payload() {
        let body = b"payload=%7B%22action%22%3A+%22opened%22%7D";
        assert_eq!(form_payload(body).as_deref(), Some(&b"{\"action\": \"opened\"}"[..]));
        assert_eq!(form_payload(b"x=1&payload=%7B%7D").as_deref(), Some(&b"{}"[..]));
        assert_eq!(form_payload(b"nothing=here"), None);
        assert_eq!(form_payload(b"payload=%7"), None, "a cut escape is refused");
    }

    #[test]
    fn the_syncs_own_app_edits_are_echoes_and_peoples_are_not() {
        let own: BTreeMap<String, String> = [("gh".to_string(), "backlog-sync[bot]".to_string())].into();
        let event = |sender: &str, repo: &str| json!({"action": "edited", "issue": {"number": 7}, "repository": {"full_name": repo}, "sender": {"login": sender}});
        let echo = echo_of(&event("Backlog-Sync[bot]", "contoso/onboarding"), &targets(), &own);
        assert_eq!(echo.as_deref(), Some("an echo of backlog-sync's own edit as `backlog-sync[bot]`"));
        assert_eq!(echo_of(&event("alice", "contoso/onboarding"), &targets(), &own), None, "a person");
        assert_eq!(echo_of(&event("backlog-sync[bot]", "someone/else"), &targets(), &own), None, "no target");
        assert_eq!(echo_of(&event("backlog-sync[bot]", "contoso/onboarding"), &targets(), &BTreeMap::new()), None);
        assert_eq!(echo_of(&json!({"repository": {"full_name": "contoso/onboarding"}}), &targets(), &own), None);
    }

    #[test]
    fn events_become_keys() {
        let repo = json!({"full_name": "contoso/onboarding"});
        let item = |n: u64| (WorkKey::item("gh", n), false);
        let whole = |full: bool| (WorkKey::Target("gh".into()), full);
        let cases: Vec<(&str, Value, Verdict)> = vec![
            ("ping", json!({"zen": "x"}), Verdict::Ping),
            (
                "issues",
                json!({"action": "edited", "issue": {"number": 7}, "repository": repo}),
                Verdict::Enqueue(vec![item(7)]),
            ),
            (
                "issues",
                json!({"action": "deleted", "issue": {"number": 7}, "repository": repo}),
                Verdict::Enqueue(vec![whole(true)]),
            ),
            (
                "issue_comment",
                json!({"action": "created", "issue": {"number": 3}, "repository": repo}),
                Verdict::Enqueue(vec![item(3)]),
            ),
            (
                "label",
                json!({"action": "created", "label": {}, "repository": repo}),
                Verdict::Enqueue(vec![whole(false)]),
            ),
            (
                "label",
                json!({"action": "edited", "label": {}, "repository": repo}),
                Verdict::Enqueue(vec![whole(true)]),
            ),
            (
                "milestone",
                json!({"action": "created", "milestone": {"number": 1}, "repository": repo}),
                Verdict::Enqueue(vec![whole(false)]),
            ),
            (
                "milestone",
                json!({"action": "edited", "milestone": {"number": 1}, "changes": {}, "repository": repo}),
                Verdict::Enqueue(vec![whole(true)]),
            ),
            (
                "sub_issues",
                json!({"action": "sub_issue_added", "parent_issue": {"number": 1}, "sub_issue": {"number": 9}, "repository": repo}),
                Verdict::Enqueue(vec![item(1), item(9)]),
            ),
            (
                "push",
                json!({"repository": repo}),
                Verdict::Ignore("event `push` is not one backlog-sync acts on".into()),
            ),
            (
                "issues",
                json!({"action": "edited", "issue": {"number": 7}, "repository": {"full_name": "someone/else"}}),
                Verdict::Ignore("repository `someone/else` is not a configured target".into()),
            ),
            (
                "issues",
                json!({"action": "edited", "repository": repo}),
                Verdict::Ignore("`issues.edited` names no issue".into()),
            ),
        ];
        for (event, payload, want) in cases {
            assert_eq!(verdict(event, &payload, &targets()), want, "{event} {payload}");
        }
    }
}
