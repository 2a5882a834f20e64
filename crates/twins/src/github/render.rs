//! JSON bodies shaped as GitHub writes them: users, repositories, issues, comments, labels,
//! milestones and issue types, with absolute URLs on the twin; plus the slimmer webhook shapes.

use base64::Engine;
use serde_json::{Value, json};

use super::store::{Comment, Issue, IssueState, IssueType, Label, Milestone, Repo, Store, iso};

/// Renders bodies for one twin: `base` is its `http://127.0.0.1:PORT`.
#[derive(Clone, Copy)]
pub struct Render<'a> {
    pub base: &'a str,
    pub store: &'a Store,
}

/// GitHub's legacy global node id: base64 of `"{len:02}:{Type}{id}"`.
pub fn node_id(kind: &str, id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{:02}:{kind}{id}", kind.len()))
}

impl Render<'_> {
    /// A user (the `simple-user` shape, also valid for webhooks).
    pub fn user(&self, login: &str) -> Value {
        let base = self.base;
        let id = self.store.users.get(login).copied().unwrap_or(0);
        let kind = if login.ends_with("[bot]") { "Bot" } else { "User" };
        json!({
            "login": login,
            "id": id,
            "node_id": node_id("User", id),
            "avatar_url": format!("{base}/avatars/{login}"),
            "gravatar_id": "",
            "url": format!("{base}/users/{login}"),
            "html_url": format!("{base}/{login}"),
            "followers_url": format!("{base}/users/{login}/followers"),
            "following_url": format!("{base}/users/{login}/following{{/other_user}}"),
            "gists_url": format!("{base}/users/{login}/gists{{/gist_id}}"),
            "starred_url": format!("{base}/users/{login}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{base}/users/{login}/subscriptions"),
            "organizations_url": format!("{base}/users/{login}/orgs"),
            "repos_url": format!("{base}/users/{login}/repos"),
            "events_url": format!("{base}/users/{login}/events{{/privacy}}"),
            "received_events_url": format!("{base}/users/{login}/received_events"),
            "type": kind,
            "site_admin": false,
        })
    }

    fn repo_api(&self, repo: &Repo) -> String {
        format!("{}/repos/{}", self.base, repo.full_name())
    }

    /// A repository (valid for both the REST `repository` and the webhook repository schemas).
    pub fn repository(&self, repo: &Repo) -> Value {
        let api = self.repo_api(repo);
        let html = format!("{}/{}", self.base, repo.full_name());
        let host = self.base.trim_start_matches("http://");
        let open = repo.issues.values().filter(|i| i.state == IssueState::Open).count();
        let mut body = json!({
            "id": repo.id, "node_id": node_id("Repository", repo.id),
            "name": repo.name, "full_name": repo.full_name(), "private": false,
            "owner": self.user(&repo.owner), "html_url": html, "description": null, "fork": false,
            "url": api,
        });
        let more = json!({
            "created_at": iso(repo.created_at), "updated_at": iso(repo.created_at), "pushed_at": iso(repo.created_at),
            "git_url": format!("git://{host}/{}.git", repo.full_name()),
            "ssh_url": format!("git@{host}:{}.git", repo.full_name()),
            "clone_url": format!("{html}.git"), "svn_url": html, "homepage": null,
            "size": 0, "stargazers_count": 0, "watchers_count": 0, "language": null,
            "has_issues": true, "has_projects": true, "has_downloads": true, "has_wiki": true,
            "has_pages": false, "has_discussions": false, "forks_count": 0, "mirror_url": null,
            "archived": false, "disabled": false, "open_issues_count": open, "license": null,
            "allow_forking": true, "is_template": false, "web_commit_signoff_required": false,
            "topics": [], "visibility": "public", "forks": 0, "open_issues": open, "watchers": 0,
            "default_branch": "main", "custom_properties": {},
        });
        if let (Some(map), Value::Object(more)) = (body.as_object_mut(), more) {
            map.extend(more);
        }
        for (key, suffix) in REPO_URLS {
            body[*key] = json!(format!("{api}/{suffix}"));
        }
        body
    }

    /// A label.
    pub fn label(&self, repo: &Repo, label: &Label) -> Value {
        json!({
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": format!("{}/labels/{}", self.repo_api(repo), encode_path(&label.name)),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        })
    }

    /// A milestone, with its open and closed issue counts.
    pub fn milestone(&self, repo: &Repo, m: &Milestone) -> Value {
        let api = format!("{}/milestones/{}", self.repo_api(repo), m.number);
        let count = |state| repo.issues.values().filter(|i| i.milestone == Some(m.number) && i.state == state).count();
        json!({
            "url": api,
            "html_url": format!("{}/{}/milestone/{}", self.base, repo.full_name(), m.number),
            "labels_url": format!("{api}/labels"),
            "id": m.id, "node_id": node_id("Milestone", m.id), "number": m.number,
            "title": m.title, "description": m.description, "creator": self.user(&m.creator),
            "open_issues": count(IssueState::Open), "closed_issues": count(IssueState::Closed),
            "state": m.state.as_str(), "created_at": iso(m.created_at), "updated_at": iso(m.updated_at),
            "due_on": m.due_on.map(iso), "closed_at": m.closed_at.map(iso),
        })
    }

    /// An issue type.
    pub fn issue_type(&self, t: &IssueType) -> Value {
        json!({
            "id": t.id, "node_id": node_id("IssueType", t.id), "name": t.name,
            "description": t.description, "color": t.color, "is_enabled": true,
        })
    }

    /// An issue as the REST API returns it.
    pub fn issue(&self, repo: &Repo, issue: &Issue) -> Value {
        let api = format!("{}/issues/{}", self.repo_api(repo), issue.number);
        let labels: Vec<Value> = sorted_labels(repo, issue).into_iter().map(|l| self.label(repo, l)).collect();
        let assignees: Vec<Value> = issue.assignees.iter().map(|a| self.user(a)).collect();
        let sub_issues = issue.sub_issues.iter().filter_map(|id| {
            let at = self.store.find_issue(*id)?;
            self.store.issue(&at)
        });
        let (total, completed) = sub_issues.fold((0, 0), |(t, c), s| {
            let done = s.state == IssueState::Closed && s.state_reason.as_deref().is_none_or(|r| r == "completed");
            (t + 1, c + usize::from(done))
        });
        let parent_url = issue.parent.and_then(|id| {
            let at = self.store.find_issue(id)?;
            let parent_repo = self.store.repos.get(&at.repo)?;
            Some(format!("{}/issues/{}", self.repo_api(parent_repo), at.number))
        });
        json!({
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "url": api,
            "repository_url": self.repo_api(repo),
            "labels_url": format!("{api}/labels{{/name}}"),
            "comments_url": format!("{api}/comments"),
            "events_url": format!("{api}/events"),
            "html_url": format!("{}/{}/issues/{}", self.base, repo.full_name(), issue.number),
            "number": issue.number,
            "state": issue.state.as_str(),
            "title": issue.title,
            "body": issue.body,
            "user": self.user(&issue.user),
            "labels": labels,
            "assignee": assignees.first().cloned(),
            "assignees": assignees,
            "milestone": issue.milestone.and_then(|n| repo.milestones.get(&n)).map(|m| self.milestone(repo, m)),
            "locked": issue.locked,
            "active_lock_reason": null,
            "comments": repo.comment_count(issue.number),
            "closed_at": issue.closed_at.map(iso),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_by": issue.closed_by.as_deref().map(|u| self.user(u)),
            "author_association": association(repo, &issue.user),
            "state_reason": issue.state_reason,
            "type": issue.issue_type.and_then(|id| repo.issue_types.iter().find(|t| t.id == id)).map(|t| self.issue_type(t)),
            "timeline_url": format!("{api}/timeline"),
            "performed_via_github_app": null,
            "reactions": self.reactions(&api),
            "sub_issues_summary": {
                "total": total,
                "completed": completed,
                "percent_completed": (completed * 100).checked_div(total).unwrap_or(0),
            },
            "parent_issue_url": parent_url,
        })
    }

    /// A comment.
    pub fn comment(&self, repo: &Repo, c: &Comment) -> Value {
        let api = format!("{}/issues/comments/{}", self.repo_api(repo), c.id);
        json!({
            "id": c.id,
            "node_id": node_id("IssueComment", c.id),
            "url": api,
            "html_url": format!("{}/{}/issues/{}#issuecomment-{}", self.base, repo.full_name(), c.issue_number, c.id),
            "body": c.body,
            "user": self.user(&c.user),
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "issue_url": format!("{}/issues/{}", self.repo_api(repo), c.issue_number),
            "author_association": association(repo, &c.user),
            "performed_via_github_app": null,
            "reactions": self.reactions(&api),
        })
    }

    fn reactions(&self, api: &str) -> Value {
        json!({
            "url": format!("{api}/reactions"), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
            "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
        })
    }
}

/// The repository's URL templates, relative to its API URL.
const REPO_URLS: &[(&str, &str)] = &[
    ("forks_url", "forks"),
    ("keys_url", "keys{/key_id}"),
    ("collaborators_url", "collaborators{/collaborator}"),
    ("teams_url", "teams"),
    ("hooks_url", "hooks"),
    ("issue_events_url", "issues/events{/number}"),
    ("events_url", "events"),
    ("assignees_url", "assignees{/user}"),
    ("branches_url", "branches{/branch}"),
    ("tags_url", "tags"),
    ("blobs_url", "git/blobs{/sha}"),
    ("git_tags_url", "git/tags{/sha}"),
    ("git_refs_url", "git/refs{/sha}"),
    ("trees_url", "git/trees{/sha}"),
    ("statuses_url", "statuses/{sha}"),
    ("languages_url", "languages"),
    ("stargazers_url", "stargazers"),
    ("contributors_url", "contributors"),
    ("subscribers_url", "subscribers"),
    ("subscription_url", "subscription"),
    ("commits_url", "commits{/sha}"),
    ("git_commits_url", "git/commits{/sha}"),
    ("comments_url", "comments{/number}"),
    ("issue_comment_url", "issues/comments{/number}"),
    ("contents_url", "contents/{+path}"),
    ("compare_url", "compare/{base}...{head}"),
    ("merges_url", "merges"),
    ("archive_url", "{archive_format}{/ref}"),
    ("downloads_url", "downloads"),
    ("issues_url", "issues{/number}"),
    ("pulls_url", "pulls{/number}"),
    ("milestones_url", "milestones{/number}"),
    ("notifications_url", "notifications{?since,all,participating}"),
    ("labels_url", "labels{/name}"),
    ("releases_url", "releases{/id}"),
    ("deployments_url", "deployments"),
];

/// An issue's labels in the order GitHub lists them (by name).
pub fn sorted_labels<'r>(repo: &'r Repo, issue: &Issue) -> Vec<&'r Label> {
    let mut labels: Vec<&Label> = issue.labels.iter().filter_map(|id| repo.label(*id)).collect();
    labels.sort_by_key(|l| l.name.to_lowercase());
    labels
}

fn association(repo: &Repo, login: &str) -> &'static str {
    if repo.owner.eq_ignore_ascii_case(login) { "OWNER" } else { "COLLABORATOR" }
}

/// Percent-encodes a path segment (label names hold spaces).
pub fn encode_path(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The keys the (older) webhook `issue` schema allows; newer REST-only keys are left out.
const WEBHOOK_ISSUE_KEYS: [&str; 29] = [
    "url",
    "repository_url",
    "labels_url",
    "comments_url",
    "events_url",
    "html_url",
    "id",
    "node_id",
    "number",
    "title",
    "user",
    "labels",
    "state",
    "locked",
    "assignee",
    "assignees",
    "milestone",
    "comments",
    "created_at",
    "updated_at",
    "closed_at",
    "author_association",
    "active_lock_reason",
    "performed_via_github_app",
    "body",
    "reactions",
    "timeline_url",
    "state_reason",
    "draft",
];

/// The issue as webhook payloads carry it (the REST issue without the REST-only keys).
pub fn webhook_issue(rest: &Value) -> Value {
    let mut issue = rest.clone();
    if let Some(map) = issue.as_object_mut() {
        map.retain(|k, _| WEBHOOK_ISSUE_KEYS.contains(&k.as_str()));
    }
    issue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_follow_githubs_legacy_format() {
        assert_eq!(node_id("Issue", 1), "MDU6SXNzdWUx");
        assert_eq!(node_id("User", 1), "MDQ6VXNlcjE=");
    }

    #[test]
    fn label_names_are_encoded_in_urls() {
        assert_eq!(encode_path("good first issue"), "good%20first%20issue");
        assert_eq!(encode_path("a/b"), "a%2Fb");
    }
}
