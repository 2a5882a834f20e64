//! The GitHub issue as this connector reads and writes it (a small subset of the REST shapes).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::trackers::github::mapping::IssueContent;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Label {
    pub name: String,
}

/// The milestone an issue is on: its number and title.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MilestoneRef {
    pub number: u64,
    pub title: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct User {
    pub login: String,
}

/// An issue from `GET /repos/{owner}/{repo}/issues[/{number}]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub state: String,
    #[serde(default)]
    pub state_reason: Option<String>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub assignees: Vec<User>,
    /// Who created it.
    #[serde(default)]
    pub user: Option<User>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub parent_issue_url: Option<String>,
    #[serde(default)]
    pub milestone: Option<MilestoneRef>,
    /// Present on pull requests, which the issues listing includes.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }

    /// What the mapping reads.
    pub fn content(&self) -> IssueContent {
        IssueContent {
            title: self.title.clone(),
            body: self.body.clone().unwrap_or_default(),
            state: self.state.clone(),
            state_reason: self.state_reason.clone(),
            labels: self.label_names(),
            assignees: Some(self.assignees.iter().map(|u| u.login.clone()).collect()),
            milestone: self.milestone.as_ref().map(|m| m.title.clone()),
        }
    }

    /// The number of the parent issue, from `parent_issue_url`.
    pub fn parent_number(&self) -> Option<u64> {
        self.parent_issue_url.as_deref()?.rsplit('/').next()?.parse().ok()
    }
}

/// The body of a create or update request.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct IssueWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    /// The milestone's number; `Some(None)` clears it (sent as `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<Option<u64>>,
}

impl IssueWrite {
    /// Everything the mapping rendered; a create cannot set `state`, so it is left out there.
    pub fn from_content(c: &IssueContent, for_create: bool) -> IssueWrite {
        IssueWrite {
            title: Some(c.title.clone()),
            body: Some(c.body.clone()),
            state: (!for_create).then(|| c.state.clone()),
            state_reason: if for_create || c.state != "closed" { None } else { c.state_reason.clone() },
            labels: Some(c.labels.clone()),
            assignees: c.assignees.clone(),
            milestone: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_body_serializes_as_github_expects() {
        let c = IssueContent {
            title: "T".into(),
            body: "B".into(),
            state: "closed".into(),
            state_reason: Some("not_planned".into()),
            labels: vec!["type:story".into()],
            assignees: None,
            milestone: None,
        };
        let v = serde_json::to_value(IssueWrite::from_content(&c, false)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"title": "T", "body": "B", "state": "closed", "state_reason": "not_planned", "labels": ["type:story"]})
        );
        let v = serde_json::to_value(IssueWrite::from_content(&c, true)).unwrap();
        assert_eq!(v, serde_json::json!({"title": "T", "body": "B", "labels": ["type:story"]}));
    }
}
