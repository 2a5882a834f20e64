//! GitHub milestones through the connector: list (every state), create, update, and the title →
//! number lookup issue writes need (cached per connector, refreshed once on a miss).

use ::http::Method;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{GithubConnector, next_link, path_of};
use crate::connector::{ErrorKind, RemoteError};

/// A milestone as `GET /repos/{owner}/{repo}/milestones` shows it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct GithubMilestone {
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    #[serde(default)]
    pub due_on: Option<DateTime<Utc>>,
}

/// What a milestone should hold: title, description, due date, open or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneWrite {
    pub title: String,
    pub description: String,
    pub due: Option<NaiveDate>,
    pub closed: bool,
}

impl MilestoneWrite {
    fn body(&self) -> Value {
        // GitHub keeps a due date as midnight UTC of the day (it shows the day only).
        let due = self.due.map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
        json!({
            "title": self.title,
            "description": self.description,
            "due_on": due,
            "state": if self.closed { "closed" } else { "open" },
        })
    }
}

impl GithubConnector {
    /// Every milestone of the repository, open and closed.
    pub async fn milestones(&self) -> Result<Vec<GithubMilestone>, RemoteError> {
        let mut next = Some(format!("/repos/{}/milestones?state=all&per_page=100", self.repo));
        let mut out: Vec<GithubMilestone> = Vec::new();
        while let Some(page) = next.take() {
            let reply = self
                .call("list milestones", Method::GET, &page, None, None)
                .await
                .map_err(|e| self.repository_not_found(e))?;
            out.extend(self.parse::<Vec<GithubMilestone>>("list milestones", &reply)?);
            next = reply.header("link").and_then(next_link).map(|url| path_of(&url));
        }
        self.remember_milestones(&out);
        Ok(out)
    }

    /// Creates a milestone.
    pub async fn create_milestone(&self, m: &MilestoneWrite) -> Result<GithubMilestone, RemoteError> {
        let path = format!("/repos/{}/milestones", self.repo);
        let reply = self.http.send("create milestone", Method::POST, &path, Some(&m.body()), None).await?;
        let made: GithubMilestone = self.parse("create milestone", &reply)?;
        self.remember_milestones(std::slice::from_ref(&made));
        Ok(made)
    }

    /// Brings milestone `number` to `m`.
    pub async fn update_milestone(&self, number: u64, m: &MilestoneWrite) -> Result<GithubMilestone, RemoteError> {
        let path = format!("/repos/{}/milestones/{number}", self.repo);
        let reply = self.call("update milestone", Method::PATCH, &path, Some(&m.body()), None).await?;
        self.parse("update milestone", &reply)
    }

    fn remember_milestones(&self, list: &[GithubMilestone]) {
        let mut known = self.milestone_numbers.lock().expect("milestone lock");
        let map = known.get_or_insert_with(Default::default);
        for m in list {
            map.insert(m.title.clone(), m.number);
        }
    }

    /// The number of the milestone titled `title` (`None`: no milestone), listing the
    /// milestones when it is not known yet.
    pub(super) async fn milestone_number(&self, title: Option<&str>) -> Result<Option<u64>, RemoteError> {
        let Some(title) = title else { return Ok(None) };
        let cached = |c: &Self| c.milestone_numbers.lock().expect("milestone lock").as_ref()?.get(title).copied();
        if let Some(n) = cached(self) {
            return Ok(Some(n));
        }
        self.milestones().await?;
        cached(self).map(Some).ok_or_else(|| RemoteError {
            target: self.target().to_string(),
            operation: "set milestone".into(),
            kind: ErrorKind::Fatal,
            status: None,
            message: format!(
                "the milestone `{title}` does not exist in `{}`; add it to the `[[milestones]]` of `backlog.toml` (the next sync creates it) or create it on GitHub",
                self.repo
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestone_body_serializes_as_github_expects() {
        let m = MilestoneWrite {
            title: "Pilot".into(),
            description: "- live".into(),
            due: NaiveDate::from_ymd_opt(2026, 12, 18),
            closed: false,
        };
        assert_eq!(
            m.body(),
            json!({"title": "Pilot", "description": "- live", "due_on": "2026-12-18T00:00:00Z", "state": "open"})
        );
        let closed = MilestoneWrite { due: None, closed: true, ..m };
        assert_eq!(closed.body()["due_on"], Value::Null);
        assert_eq!(closed.body()["state"], "closed");
    }
}
