//! Links follow their remote items when these move: a renamed repository or a transferred issue
//! reads back (through the service's redirect) at a new address, and the stored link's URL is
//! brought to it, so `status --links` and later runs show where the item is now.

use crate::store::{Link, Store, StoreError};

use super::remote::Fetched;

/// One link whose remote item now lives at another address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    pub target: String,
    pub item: String,
    pub from: Option<String>,
    pub to: String,
}

/// The links of one target whose item reads back at another URL than the one stored. Pure.
pub fn moved(target: &str, links: &[Link], fetched: &Fetched) -> Vec<(Link, Moved)> {
    let mut out = Vec::new();
    for link in links {
        let Some(now) = fetched.meta.get(&link.remote_id).and_then(|w| w.url.clone()) else { continue };
        if link.remote_url.as_deref() == Some(now.as_str()) {
            continue;
        }
        let mv = Moved {
            target: target.to_string(),
            item: link.item_id.clone(),
            from: link.remote_url.clone(),
            to: now.clone(),
        };
        out.push((Link { remote_url: Some(now), ..link.clone() }, mv));
    }
    out
}

/// Stores the new URLs of the links of one target whose items moved; says which.
pub fn follow(store: &Store, target: &str, links: &[Link], fetched: &Fetched) -> Result<Vec<Moved>, StoreError> {
    let mut out = Vec::new();
    for (link, mv) in moved(target, links, fetched) {
        store.upsert_link(&link)?;
        tracing::info!(target = %target, item = %mv.item, to = %mv.to, "the remote item moved; its link follows");
        out.push(mv);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::remote::Written;

    fn link(remote_id: &str, url: Option<&str>) -> Link {
        Link {
            target: "github".into(),
            item_id: "ST-1".into(),
            remote_id: remote_id.into(),
            remote_key: None,
            remote_url: url.map(str::to_string),
            base: Default::default(),
            remote_version: None,
            synced_at: chrono::Utc::now(),
            file_owner: None,
        }
    }

    #[test]
    fn only_links_whose_item_reads_back_elsewhere_move() {
        let mut fetched = Fetched::default();
        let w = |url: &str| Written {
            remote_id: "4".into(),
            remote_key: None,
            url: Some(url.into()),
            version: None,
            fields: Default::default(),
            updated_at: chrono::Utc::now(),
            changed_by: None,
        };
        fetched.meta.insert("4".into(), w("https://x/contoso/welcome/issues/4"));
        let same = link("4", Some("https://x/contoso/welcome/issues/4"));
        let old = link("4", Some("https://x/contoso/onboarding/issues/4"));
        let unlisted = link("5", Some("https://x/contoso/onboarding/issues/5"));
        assert!(moved("github", &[same, unlisted], &fetched).is_empty());
        let got = moved("github", &[old], &fetched);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.remote_url.as_deref(), Some("https://x/contoso/welcome/issues/4"));
        assert_eq!(got[0].1.from.as_deref(), Some("https://x/contoso/onboarding/issues/4"));
    }
}
