//! Project wikis and their pages: create/edit under the service's `If-Match` rules (no header
//! creates, a matching version edits, a stale one conflicts), ancestors that must exist, page ids,
//! and versions that look like git object ids (the `ETag`).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::errors::AzureError;

/// One page of a wiki.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Permanent page id.
    pub id: i64,
    /// `/Parent/Child`.
    pub path: String,
    /// Markdown content.
    pub content: String,
    /// Current version (40 hex digits), the page's `ETag`.
    pub version: String,
    /// Order among its siblings.
    pub order: i64,
}

/// A project wiki.
#[derive(Debug, Clone, PartialEq)]
pub struct Wiki {
    /// Wiki id.
    pub id: Uuid,
    /// `Project.wiki`.
    pub name: String,
    /// The project it belongs to.
    pub project_id: Uuid,
    /// The git repository behind it.
    pub repository_id: Uuid,
    /// Pages, root (`/`) excluded.
    pub pages: Vec<Page>,
    next_page_id: i64,
    edits: u64,
}

/// How deep `GET …/pages` lists sub-pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recursion {
    /// The page alone.
    None,
    /// Its direct children.
    OneLevel,
    /// Everything below it.
    Full,
}

impl Recursion {
    /// Parses `recursionLevel` (`none`, `oneLevel`, `full`, any case; unknown means none).
    pub fn parse(text: Option<&str>) -> Recursion {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some("onelevel") | Some("onelevelpluscontent") => Recursion::OneLevel,
            Some("full") => Recursion::Full,
            _ => Recursion::None,
        }
    }
}

/// Normalises a page path: a leading `/`, no trailing `/`, no empty segments.
pub fn normalize_path(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').map(str::trim).filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

/// The `.md` file behind a page path (spaces become dashes, as the service stores them).
pub fn git_item_path(path: &str) -> String {
    if path == "/" { "/".to_string() } else { format!("{}.md", path.replace(' ', "-")) }
}

fn parent_of(path: &str) -> Option<String> {
    let (parent, _) = path.rsplit_once('/')?;
    Some(if parent.is_empty() { "/".to_string() } else { parent.to_string() })
}

fn strip_quotes(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag)
}

impl Wiki {
    /// The wiki every project gets.
    pub fn project_wiki(project_id: Uuid, project_name: &str) -> Wiki {
        let id = super::store::stable_uuid(&format!("wiki:{project_id}"));
        Wiki {
            id,
            name: format!("{project_name}.wiki"),
            project_id,
            repository_id: id,
            pages: Vec::new(),
            next_page_id: 1,
            edits: 0,
        }
    }

    /// Whether `identifier` (name or id, any case) names this wiki.
    pub fn answers_to(&self, identifier: &str) -> bool {
        self.name.eq_ignore_ascii_case(identifier) || self.id.to_string().eq_ignore_ascii_case(identifier)
    }

    fn next_version(&mut self, path: &str, content: &str) -> String {
        self.edits += 1;
        let digest = Sha256::digest(format!("{}\n{path}\n{}\n{content}", self.id, self.edits));
        hex::encode(digest)[..40].to_string()
    }

    /// The page at `path` (`/` is the root, which always exists).
    pub fn page(&self, path: &str) -> Option<&Page> {
        let path = normalize_path(path);
        self.pages.iter().find(|p| p.path.eq_ignore_ascii_case(&path))
    }

    /// The page with this id.
    pub fn page_by_id(&self, id: i64) -> Option<&Page> {
        self.pages.iter().find(|p| p.id == id)
    }

    /// The root's version: changes with every edit anywhere in the wiki.
    pub fn root_version(&self) -> String {
        let digest = Sha256::digest(format!("{}\nroot\n{}", self.id, self.edits));
        hex::encode(digest)[..40].to_string()
    }

    /// Creates or edits a page under the `If-Match` rules; answers the page and whether it is new.
    pub fn put(&mut self, path: &str, content: &str, if_match: Option<&str>) -> Result<(Page, bool), AzureError> {
        let path = normalize_path(path);
        if path == "/" {
            return Err(AzureError::BadArgument {
                message: "The page path '/' is not valid for this operation.".into(),
            });
        }
        let existing = self.pages.iter().position(|p| p.path.eq_ignore_ascii_case(&path));
        let Some(wanted) = if_match.map(strip_quotes).filter(|t| !t.is_empty()) else {
            if existing.is_some() {
                return Err(AzureError::WikiPageExists { path });
            }
            if let Some(parent) = parent_of(&path).filter(|p| p != "/")
                && self.page(&parent).is_none()
            {
                return Err(AzureError::WikiAncestorNotFound { path });
            }
            let version = self.next_version(&path, content);
            let order = self.children(parent_of(&path).as_deref().unwrap_or("/")).len() as i64;
            let page = Page { id: self.next_page_id, path, content: content.to_string(), version, order };
            self.next_page_id += 1;
            self.pages.push(page.clone());
            return Ok((page, true));
        };
        if wanted.len() != 40 || !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(AzureError::WikiIfMatchInvalid);
        }
        let Some(index) = existing else {
            return Err(AzureError::WikiPageNotFound { path });
        };
        if !self.pages[index].version.eq_ignore_ascii_case(wanted) {
            return Err(AzureError::WikiPageConflict { path: self.pages[index].path.clone() });
        }
        let version = self.next_version(&path, content);
        let page = &mut self.pages[index];
        page.content = content.to_string();
        page.version = version;
        Ok((page.clone(), false))
    }

    /// Deletes a page and everything below it; answers the deleted page.
    pub fn delete(&mut self, path: &str) -> Result<Page, AzureError> {
        let path = normalize_path(path);
        let page = self.page(&path).cloned().ok_or_else(|| AzureError::WikiPageNotFound { path: path.clone() })?;
        let prefix = format!("{}/", page.path.to_lowercase());
        self.pages.retain(|p| p.id != page.id && !p.path.to_lowercase().starts_with(&prefix));
        self.edits += 1;
        Ok(page)
    }

    /// Direct children of a path, in order.
    pub fn children(&self, path: &str) -> Vec<&Page> {
        let path = normalize_path(path);
        let mut children: Vec<&Page> = self
            .pages
            .iter()
            .filter(|p| parent_of(&p.path).is_some_and(|parent| parent.eq_ignore_ascii_case(&path)))
            .collect();
        children.sort_by_key(|p| (p.order, p.id));
        children
    }

    /// The `WikiV2` the REST API returns, with URLs under `base` (`http://127.0.0.1:P/org`).
    pub fn to_json(&self, base: &str) -> Value {
        json!({
            "id": self.id.to_string(),
            "versions": [{ "version": "wikiMaster" }],
            "url": format!("{base}/{}/_apis/wiki/wikis/{}", self.project_id, self.id),
            "remoteUrl": format!("{base}/{}/_wiki/wikis/{}", self.project_id, self.id),
            "type": "projectWiki",
            "name": self.name,
            "projectId": self.project_id.to_string(),
            "repositoryId": self.repository_id.to_string(),
            "mappedPath": "/",
            "isDisabled": false,
            "properties": {},
        })
    }

    /// The `WikiPage` JSON for `path` with sub-pages to `depth`; content only when asked.
    pub fn page_json(&self, base: &str, path: &str, depth: Recursion, with_content: bool) -> Option<Value> {
        let path = normalize_path(path);
        let (id, content, order) = if path == "/" {
            (None, String::new(), 0)
        } else {
            let page = self.page(&path)?;
            (Some(page.id), page.content.clone(), page.order)
        };
        let children = self.children(&path);
        let sub_depth = match depth {
            Recursion::Full => Some(Recursion::Full),
            Recursion::OneLevel => Some(Recursion::None),
            Recursion::None => None,
        };
        let sub_pages: Vec<Value> = match sub_depth {
            Some(d) => children.iter().filter_map(|c| self.page_json(base, &c.path, d, false)).collect(),
            None => Vec::new(),
        };
        let encoded: String = url_encode(&path);
        let mut body = json!({
            "path": if path == "/" { "/".to_string() } else { self.page(&path)?.path.clone() },
            "order": order,
            "gitItemPath": git_item_path(&path),
            "subPages": sub_pages,
            "url": format!("{base}/{}/_apis/wiki/wikis/{}/pages/{encoded}", self.project_id, self.id),
            "remoteUrl": format!("{base}/{}/_wiki/wikis/{}?pagePath={encoded}", self.project_id, self.id),
            "content": if with_content { content } else { String::new() },
        });
        body["isParentPage"] = json!(!children.is_empty());
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        Some(body)
    }
}

/// Percent-encodes a page path for URLs (`/` included, as the service does).
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiki() -> Wiki {
        Wiki::project_wiki(Uuid::nil(), "Onboarding")
    }

    #[test]
    fn if_match_rules_follow_the_service() {
        let mut w = wiki();
        let (page, created) = w.put("Release notes", "v1", None).unwrap();
        assert!(created);
        assert_eq!(page.path, "/Release notes");
        assert_eq!(page.version.len(), 40);
        // A create of an existing page, a stale version, a bad version, a missing page.
        assert!(matches!(w.put("/Release notes", "x", None), Err(AzureError::WikiPageExists { .. })));
        let stale = "0".repeat(40);
        assert!(matches!(w.put("/Release notes", "x", Some(&stale)), Err(AzureError::WikiPageConflict { .. })));
        assert!(matches!(w.put("/Release notes", "x", Some("\"v1\"")), Err(AzureError::WikiIfMatchInvalid)));
        assert!(matches!(w.put("/Other", "x", Some(&stale)), Err(AzureError::WikiPageNotFound { .. })));
        // The current version (quoted, as an ETag) edits.
        let (edited, created) = w.put("/release NOTES", "v2", Some(&format!("\"{}\"", page.version))).unwrap();
        assert!(!created);
        assert_eq!((edited.id, edited.content.as_str()), (page.id, "v2"));
        assert_ne!(edited.version, page.version);
    }

    #[test]
    fn pages_need_their_ancestors_and_delete_takes_the_subtree() {
        let mut w = wiki();
        assert!(matches!(w.put("/A/B", "x", None), Err(AzureError::WikiAncestorNotFound { .. })));
        w.put("/A", "a", None).unwrap();
        w.put("/A/B", "b", None).unwrap();
        w.put("/A/B/C", "c", None).unwrap();
        let root = w.page_json("http://x/o", "/", Recursion::Full, false).unwrap();
        assert_eq!(root["subPages"][0]["subPages"][0]["path"], "/A/B");
        assert_eq!(root["subPages"][0]["subPages"][0]["subPages"][0]["path"], "/A/B/C");
        let one = w.page_json("http://x/o", "/A", Recursion::OneLevel, true).unwrap();
        assert_eq!(one["content"], "a");
        assert_eq!(one["isParentPage"], true);
        assert_eq!(one["subPages"][0]["subPages"], json!([]));
        w.delete("/A/B").unwrap();
        assert_eq!(w.pages.len(), 1);
        assert_eq!(git_item_path("/Release notes"), "/Release-notes.md");
        assert_eq!(url_encode("/nhhm mjmj"), "%2Fnhhm%20mjmj");
    }
}
