//! The read-only HTML dashboard at `/`: latest summary, last runs, open conflicts, refused items
//! (`sync-item-refused`), drift (lint findings and store conflicts) and the queue. `gather` reads; `render` is a pure function of
//! the view, so it is tested without a server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::server::AppState;
use crate::backlog::Backlog;
use crate::config::Settings;
use crate::drift::gameplan::recorded_posts;
use crate::drift::lint::lint_backlog_with_posts;
use crate::drift::remote::remote_findings;
use crate::drift::{Finding, Severity, sort_findings};
use crate::reconcile::engine::{connect_all, identities_of};
use crate::reconcile::inspect::snapshot;
use crate::store::{Budget, Conflict, Run, Store, StoredRefusal};

/// Where the latest stakeholder summary (already rendered as HTML) waits for the dashboard.
/// The summary job sets it; `None` shows "no summary yet".
#[derive(Clone, Default, Debug)]
pub struct SummarySlot(Arc<RwLock<Option<String>>>);

impl SummarySlot {
    /// Replaces the summary shown on the dashboard. The HTML is shown as given: pass only HTML
    /// that backlog-sync rendered (with its own escaping), never text from a remote.
    pub fn set(&self, html: Option<String>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = html;
    }

    pub fn get(&self) -> Option<String> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Everything the page shows.
#[derive(Debug, Clone, Default)]
pub struct DashboardView {
    pub backlog: String,
    pub generated_at: Option<DateTime<Utc>>,
    pub runs: Vec<Run>,
    pub conflicts: Vec<Conflict>,
    /// Items a remote refused for good, kept until they sync.
    pub refused: Vec<StoredRefusal>,
    pub findings: Vec<Finding>,
    pub budgets: Vec<(String, Budget)>,
    pub queue_depth: usize,
    pub summary_html: Option<String>,
    /// What could not be read (shown, not hidden).
    pub problems: Vec<String>,
}

/// How long the remote half of the drift panel is reused: the page refreshes every 30 s and
/// should not cost a listing of every target each time.
const REMOTE_DRIFT_FOR: Duration = Duration::from_secs(60);

type RemoteDrift = Result<Vec<Finding>, String>;

/// The last remote findings per state database, with when they were read.
static REMOTE_DRIFT: Mutex<BTreeMap<PathBuf, (Instant, RemoteDrift)>> = Mutex::new(BTreeMap::new());

/// The remote rules' findings, as `backlog-sync drift` reads them (conflicts, orphans, vanished
/// items, unknown identities, state mismatches), reused for [`REMOTE_DRIFT_FOR`].
async fn remote_drift(settings: &Settings, backlog: &Backlog) -> RemoteDrift {
    if settings.targets.is_empty() {
        return Ok(Vec::new());
    }
    let key = settings.state_path();
    if let Some((at, found)) = REMOTE_DRIFT.lock().unwrap_or_else(|p| p.into_inner()).get(&key)
        && at.elapsed() < REMOTE_DRIFT_FOR
    {
        return found.clone();
    }
    let found = async {
        let remotes = connect_all(settings).await.map_err(|e| e.to_string())?;
        let people = identities_of(settings).map_err(|e| e.to_string())?;
        let store =
            if key.exists() { Store::open(&key) } else { Store::open_in_memory() }.map_err(|e| e.to_string())?;
        let snap = snapshot(backlog, &store, &remotes, &people).await.map_err(|e| e.to_string())?;
        Ok(remote_findings(&snap))
    }
    .await;
    REMOTE_DRIFT.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (Instant::now(), found.clone()));
    found
}

/// Reads the view: the store (runs, conflicts, budgets), the backlog with the findings of
/// `backlog-sync drift` (local and remote rules) and the summary slot.
pub async fn gather(state: &AppState) -> DashboardView {
    let mut view = DashboardView {
        generated_at: Some(Utc::now()),
        queue_depth: state.queue.depth(),
        summary_html: state.summary.get(),
        ..DashboardView::default()
    };
    match state.with_store(|s| Ok((s.last_runs(15)?, s.open_conflicts()?, s.budgets()?, s.refusals()?))) {
        Ok((runs, conflicts, budgets, refused)) => {
            (view.runs, view.conflicts, view.budgets, view.refused) = (runs, conflicts, budgets, refused)
        }
        Err(e) => view.problems.push(e),
    }
    match Backlog::load(&state.settings.backlog.path) {
        Ok(backlog) => {
            view.backlog = backlog.project.name.clone();
            let posts = state.with_store(|s| Ok(recorded_posts(s))).unwrap_or_default();
            let mut findings = lint_backlog_with_posts(&backlog, chrono::Local::now().date_naive(), &posts);
            match remote_drift(&state.settings, &backlog).await {
                Ok(remote) => findings.extend(remote),
                Err(e) => view.problems.push(format!("remote drift could not be read: {e}")),
            }
            match state.settings.severity_overrides() {
                Ok(o) => view.findings = o.apply(findings),
                Err(e) => view.problems.push(e.to_string()),
            }
            sort_findings(&mut view.findings);
        }
        Err(e) => view.problems.push(e.to_string()),
    }
    view
}

/// Escapes text for HTML (the summaries' escaping, one implementation for both pages).
pub use crate::summary::svg::escape as esc;

/// A finding's text for HTML: escaped, and its `backticked` names shown as `<code>`. An unpaired
/// backtick stays as it is.
pub fn with_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let paired = i % 2 == 1 && i + 1 < parts.len();
        match (i % 2 == 1, paired) {
            (true, true) => out.push_str(&format!("<code>{}</code>", esc(part))),
            (true, false) => out.push_str(&format!("`{}", esc(part))),
            _ => out.push_str(&esc(part)),
        }
    }
    out
}

fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}\
header{background:#24292f;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px}\
header p{margin:2px 0 0;color:#c9d1d9;font-size:13px}main{padding:18px 28px;display:grid;\
grid-template-columns:1fr 1fr;gap:18px}section{background:#fff;border:1px solid #d0d7de;border-radius:6px;\
padding:12px 16px}section.wide{grid-column:1/3}h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse;\
width:100%;font-size:13px}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eaeef2;vertical-align:top}\
.tag{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;color:#fff}.success{background:#1a7f37}\
.failed,.error{background:#cf222e}.stopped,.warning{background:#9a6700}.running,.info{background:#0969da}\
.muted{color:#656d76}.counts span{margin-right:14px}\
code{font:12px ui-monospace,monospace;background:#eff1f3;padding:0 3px;border-radius:3px}";

fn runs_table(runs: &[Run]) -> String {
    if runs.is_empty() {
        return "<p class=\"muted\">No runs yet.</p>".into();
    }
    let mut t = String::from(
        "<table><tr><th>#</th><th>kind</th><th>started</th><th>outcome</th><th>in</th><th>out</th><th>removed</th></tr>",
    );
    for r in runs {
        let c = &r.counts;
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><span class=\"tag {o}\">{o}</span>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.id,
            esc(&r.kind),
            when(&r.started_at),
            r.error.as_deref().map(|e| format!(" <span class=\"muted\">{}</span>", esc(e))).unwrap_or_default(),
            c.inbound_created + c.inbound_updated,
            c.outbound_created + c.outbound_updated,
            c.removed,
            o = r.outcome.as_str(),
        ));
    }
    t + "</table>"
}

fn conflicts_table(conflicts: &[Conflict]) -> String {
    if conflicts.is_empty() {
        return "<p class=\"muted\">No open conflicts.</p>".into();
    }
    let mut t = String::from("<table><tr><th>item</th><th>target</th><th>field</th><th>file</th><th>remote</th></tr>");
    for c in conflicts {
        let v = |v: &Option<String>| esc(v.as_deref().unwrap_or("—"));
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.item_id),
            esc(&c.target),
            esc(&c.field),
            v(&c.canonical),
            v(&c.remote)
        ));
    }
    t + "</table>"
}

fn refused_table(refused: &[StoredRefusal]) -> String {
    if refused.is_empty() {
        return "<p class=\"muted\">No refused items: every item the targets were sent was taken.</p>".into();
    }
    let mut t = String::from(
        "<table><tr><th>item</th><th>target</th><th>status</th><th>message</th><th>hint</th><th>next retry</th></tr>",
    );
    for r in refused {
        let status = r.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "—".into());
        t.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} <span class=\"muted\">({} attempt(s))</span></td></tr>",
            esc(&r.item_id),
            esc(&r.target),
            status,
            with_code(&r.message),
            with_code(&r.hint),
            when(&r.next_try),
            r.attempts,
        ));
    }
    t + "</table>"
}

fn findings_table(findings: &[Finding], conflicts: usize) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let mut t = format!(
        "<p class=\"counts\"><span><b>{}</b> errors</span><span><b>{}</b> warnings</span><span><b>{}</b> info</span><span><b>{conflicts}</b> diverged fields</span></p>",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    if findings.is_empty() {
        return t + "<p class=\"muted\">The backlog passes every rule.</p>";
    }
    t.push_str("<table><tr><th>severity</th><th>item</th><th>rule</th><th>finding</th></tr>");
    for f in findings.iter().take(60) {
        t.push_str(&format!(
            "<tr><td><span class=\"tag {s}\">{s}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(f.item.as_deref().unwrap_or("")),
            esc(&f.rule),
            with_code(&f.message),
            s = f.severity.as_str()
        ));
    }
    if findings.len() > 60 {
        t.push_str(&format!(
            "<tr><td colspan=4 class=\"muted\">… and {} more (<code>backlog-sync drift</code>)</td></tr>",
            findings.len() - 60
        ));
    }
    t + "</table>"
}

/// The whole page.
pub fn render(v: &DashboardView) -> String {
    let summary = match &v.summary_html {
        // The summary is a page of its own (styles included): shown in a frame so that neither
        // page's styles leak into the other.
        Some(html) => format!(
            "<iframe title=\"latest summary\" srcdoc=\"{}\" style=\"width:100%;height:1000px;border:0\"></iframe>",
            html.replace('&', "&amp;").replace('"', "&quot;")
        ),
        None => "<p class=\"muted\">No summary yet: summaries appear here once one has been rendered.</p>".into(),
    };
    let budgets: Vec<String> = v
        .budgets
        .iter()
        .map(|(t, b)| {
            let left = b.remaining.map(|r| r.to_string()).unwrap_or_else(|| "?".into());
            let limit = b.limit.map(|l| format!(" of {l}")).unwrap_or_default();
            format!("<span>{}: <b>{left}</b>{limit} requests left</span>", esc(t))
        })
        .collect();
    let problems: String = v.problems.iter().map(|p| format!("<p class=\"tag error\">{}</p>", esc(p))).collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"30\">\
<title>backlog-sync — {name}</title><style>{STYLE}</style></head><body>\
<header><h1>backlog-sync — {name}</h1><p>read-only · generated {at} · {depth} key(s) queued</p></header>{problems}\
<main><section class=\"wide\" id=\"summary\"><h2>Latest summary</h2>{summary}</section>\
<section id=\"runs\"><h2>Last runs</h2>{runs}</section>\
<section id=\"conflicts\"><h2>Open conflicts</h2>{conflicts}<p class=\"counts\">{budgets}</p></section>\
<section class=\"wide\" id=\"refused\"><h2>Refused items</h2>{refused}</section>\
<section class=\"wide\" id=\"drift\"><h2>Drift</h2>{drift}</section></main></body></html>\n",
        name = esc(if v.backlog.is_empty() { "backlog" } else { &v.backlog }),
        at = v.generated_at.as_ref().map(when).unwrap_or_default(),
        depth = v.queue_depth,
        runs = runs_table(&v.runs),
        conflicts = conflicts_table(&v.conflicts),
        refused = refused_table(&v.refused),
        budgets = budgets.join(""),
        drift = findings_table(&v.findings, v.conflicts.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RunCounts, RunOutcome};

    #[test]
    fn renders_each_section_and_escapes_what_people_wrote() {
        let at = DateTime::parse_from_rfc3339("2025-05-01T10:00:00Z").unwrap().to_utc();
        let run = Run {
            id: 7,
            kind: "webhook".into(),
            targets: None,
            started_at: at,
            finished_at: Some(at),
            outcome: RunOutcome::Success,
            counts: RunCounts { inbound_updated: 2, outbound_created: 1, ..RunCounts::default() },
            error: None,
        };
        let conflict = Conflict {
            target: "github".into(),
            item_id: "ST-4".into(),
            field: "title".into(),
            base: None,
            canonical: Some("<b>mine</b>".into()),
            remote: Some("theirs".into()),
            detected_at: at,
        };
        let finding = Finding::new("story-missing-benefit", Some("ST-9".into()), "no \"so that\"");
        let cases: Vec<(DashboardView, Vec<&str>)> = vec![
            (
                DashboardView::default(),
                vec![
                    "No summary yet",
                    "No runs yet.",
                    "No open conflicts.",
                    "passes every rule",
                    "backlog-sync — backlog",
                ],
            ),
            (
                DashboardView {
                    backlog: "Contoso & co".into(),
                    runs: vec![run],
                    conflicts: vec![conflict],
                    findings: vec![finding],
                    summary_html: Some("<h3>Week 19</h3>".into()),
                    ..DashboardView::default()
                },
                vec![
                    "backlog-sync — Contoso &amp; co",
                    "<h3>Week 19</h3>",
                    "<td>webhook</td><td>2025-05-01 10:00:00 UTC</td>",
                    "<span class=\"tag success\">success</span>",
                    "&lt;b&gt;mine&lt;/b&gt;",
                    "no &quot;so that&quot;",
                    "<b>1</b> diverged fields",
                ],
            ),
        ];
        for (view, wants) in cases {
            let html = render(&view);
            for want in wants {
                assert!(html.contains(want), "missing `{want}` in {html}");
            }
        }
    }

    #[test]
    fn findings_show_backticked_names_as_code_and_stay_escaped() {
        assert_eq!(
            with_code("epic `EP-3` is closed but `<b>` open"),
            "epic <code>EP-3</code> is closed but <code>&lt;b&gt;</code> open"
        );
        assert_eq!(with_code("a lone ` tick"), "a lone ` tick");
        let finding = Finding::new(
            "epic-closed-with-open-stories",
            Some("EP-3".into()),
            "epic `EP-3` is closed but `ST-17` still open",
        );
        let html = render(&DashboardView { findings: vec![finding], ..DashboardView::default() });
        assert!(html.contains("epic <code>EP-3</code> is closed but <code>ST-17</code> still open"), "{html}");
        let drift = &html[html.find("id=\"drift\"").unwrap()..];
        assert!(!drift.contains('`'), "no literal backticks: {drift}");
    }
}
