//! Hand-built inline SVG for the HTML summary: epic progress as stacked bars and the risk matrix
//! (likelihood × severity). Small, dependency-free and deterministic (integer coordinates).

use std::fmt::Write;

use super::model::{EpicProgress, RiskLine};
use crate::model::Level;

const DONE: &str = "#2e7d32";
const ACTIVE: &str = "#1e88e5";
const TODO: &str = "#cfd8dc";

/// Escapes text for SVG/HTML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// Stacked bars, one per epic: points done, in progress and still to do, as shares of the epic's
/// points (stories when it has no points), with the percentage done at the end.
pub fn epic_progress(epics: &[EpicProgress]) -> String {
    let (label_w, bar_w, row_h, top) = (230, 280, 34, 30);
    let width = label_w + bar_w + 70;
    let height = top + row_h * epics.len().max(1) as i64 + 30;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart epic-progress" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="13"><title>Epic progress</title>"#
    );
    let _ = write!(s, r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##);
    let _ = write!(s, r##"<text x="0" y="18" font-weight="600" fill="#263238">Epic progress (points)</text>"##);
    if epics.is_empty() {
        let _ = write!(s, r##"<text x="0" y="{}" fill="#546e7a">No epics yet.</text>"##, top + 20);
    }
    for (i, e) in epics.iter().enumerate() {
        let y = top + row_h * i as i64;
        let p = &e.progress;
        let (done, active, total) = if p.points_total > 0.0 {
            (p.points_done, p.points_active, p.points_total)
        } else {
            let c = &p.stories;
            (f64::from(p.stories_done), f64::from(c.active), f64::from(p.stories_total))
        };
        let scale = |v: f64| if total > 0.0 { (v / total * bar_w as f64).round() as i64 } else { 0 };
        let (done_w, active_w) = (scale(done), scale(active));
        let label = escape(&shorten(&format!("{} {}", e.id, e.title), 30));
        let _ = write!(s, r##"<text x="0" y="{}" fill="#263238">{label}</text>"##, y + 18);
        if total <= 0.0 {
            // Nothing to measure: an empty outline, not a bar that reads as full.
            let _ = write!(
                s,
                r##"<rect x="{label_w}" y="{}" width="{bar_w}" height="20" rx="3" fill="#ffffff" stroke="{TODO}" stroke-dasharray="4 3"><title>no stories yet</title></rect><text x="{}" y="{}" fill="#546e7a">no stories</text>"##,
                y + 4,
                label_w + bar_w + 8,
                y + 19
            );
            continue;
        }
        let _ = write!(
            s,
            r#"<rect x="{label_w}" y="{}" width="{bar_w}" height="20" rx="3" fill="{TODO}"><title>{} of {} to do</title></rect>"#,
            y + 4,
            num(total - done - active),
            num(total)
        );
        if active_w > 0 {
            let _ = write!(
                s,
                r#"<rect x="{}" y="{}" width="{active_w}" height="20" fill="{ACTIVE}"><title>{} in progress</title></rect>"#,
                label_w + done_w,
                y + 4,
                num(active)
            );
        }
        if done_w > 0 {
            let _ = write!(
                s,
                r#"<rect x="{label_w}" y="{}" width="{done_w}" height="20" fill="{DONE}"><title>{} done</title></rect>"#,
                y + 4,
                num(done)
            );
        }
        let _ = write!(s, r##"<text x="{}" y="{}" fill="#263238">{}%</text>"##, label_w + bar_w + 8, y + 19, p.percent);
    }
    let legend_y = top + row_h * epics.len().max(1) as i64 + 14;
    for (i, (color, name)) in [(DONE, "done"), (ACTIVE, "in progress"), (TODO, "to do")].iter().enumerate() {
        let x = label_w + 100 * i as i64;
        let _ = write!(s, r#"<rect x="{x}" y="{}" width="12" height="12" fill="{color}"/>"#, legend_y - 10);
        let _ = write!(s, r##"<text x="{}" y="{legend_y}" fill="#455a64">{name}</text>"##, x + 18);
    }
    s.push_str("</svg>");
    s
}

/// A number without a needless `.0`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{}", v as i64) } else { format!("{v:.1}") }
}

fn cell_color(exposure: u32) -> &'static str {
    match exposure {
        12.. => "#e53935",
        8..=11 => "#fb8c00",
        4..=7 => "#fdd835",
        _ => "#9ccc65",
    }
}

/// A 4 × 4 grid: severity left to right, likelihood bottom to top, each cell coloured by its
/// exposure and listing the open risks in it.
pub fn risk_matrix(risks: &[RiskLine]) -> String {
    let (left, top, cell) = (90, 30, 80);
    let (width, height) = (left + cell * 4 + 10, top + cell * 4 + 50);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart risk-matrix" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12"><title>Risk matrix: likelihood by severity</title>"#
    );
    let _ = write!(s, r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##);
    let _ = write!(
        s,
        r##"<text x="0" y="18" font-weight="600" font-size="13" fill="#263238">Risks: likelihood × severity</text>"##
    );
    for (li, likelihood) in Level::ALL.iter().enumerate() {
        let y = top + cell * (3 - li as i64);
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#455a64">{likelihood}</text>"##,
            left - 8,
            y + cell / 2 + 4
        );
        for (si, severity) in Level::ALL.iter().enumerate() {
            let x = left + cell * si as i64;
            let exposure = likelihood.weight() * severity.weight();
            let _ = write!(
                s,
                r##"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{}" stroke="#ffffff" stroke-width="2"/>"##,
                cell_color(exposure)
            );
            let here: Vec<&RiskLine> = risks
                .iter()
                .filter(|r| {
                    r.likelihood.as_deref() == Some(likelihood.as_str())
                        && r.severity.as_deref() == Some(severity.as_str())
                })
                .collect();
            for (k, r) in here.iter().take(4).enumerate() {
                let _ = write!(
                    s,
                    r##"<text x="{}" y="{}" text-anchor="middle" font-weight="600" fill="#212121"><title>{}</title>{}</text>"##,
                    x + cell / 2,
                    y + 24 + 18 * k as i64,
                    escape(&r.title),
                    escape(&r.id)
                );
            }
            if here.len() > 4 {
                let _ = write!(
                    s,
                    r##"<text x="{}" y="{}" text-anchor="middle" fill="#212121">+{} more</text>"##,
                    x + cell / 2,
                    y + cell - 6,
                    here.len() - 4
                );
            }
        }
    }
    for (si, severity) in Level::ALL.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#455a64">{severity}</text>"##,
            left + cell * si as i64 + cell / 2,
            top + cell * 4 + 18
        );
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#263238">severity →</text>"##,
        left + cell * 2,
        top + cell * 4 + 40
    );
    let _ = write!(
        s,
        r##"<text x="14" y="{}" text-anchor="middle" fill="#263238" transform="rotate(-90 14 {})">likelihood →</text>"##,
        top + cell * 2,
        top + cell * 2
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;
    use crate::summary::model::Progress;

    fn risk(id: &str, l: &str, s: &str) -> RiskLine {
        RiskLine {
            id: id.into(),
            title: format!("<{id}> & co"),
            state: State::Active,
            likelihood: Some(l.into()),
            severity: Some(s.into()),
            exposure: None,
            mitigation: None,
            owner: None,
            review_by: None,
            days_overdue: 0,
        }
    }

    #[test]
    fn the_matrix_places_risks_in_their_cell_and_escapes_titles() {
        let svg = risk_matrix(&[risk("RK-2", "high", "high"), risk("RK-1", "low", "critical")]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // high × high: third column (x = 90 + 160), second row from the top (y = 30 + 80).
        assert!(svg.contains(r##"<text x="290" y="134" text-anchor="middle" font-weight="600" fill="#212121"><title>&lt;RK-2&gt; &amp; co</title>RK-2</text>"##), "{svg}");
        assert!(svg.contains(r#"<text x="370" y="294""#), "low × critical sits bottom right: {svg}");
        assert_eq!(svg.matches("<rect x=").count(), 16);
    }

    #[test]
    fn bars_split_done_active_and_to_do() {
        let mut progress =
            Progress { points_done: 5.0, points_active: 3.0, points_total: 20.0, percent: 25, ..Progress::default() };
        progress.stories_total = 4;
        let epic = EpicProgress {
            id: "EP-1".into(),
            title: "Invitations".into(),
            state: State::Active,
            owner: None,
            progress,
        };
        let svg = epic_progress(&[epic]);
        assert!(svg.contains(r##"width="70" height="20" fill="#2e7d32""##), "5 of 20 points of 280 px: {svg}");
        assert!(svg.contains(r##"<rect x="300" y="34" width="42" height="20" fill="#1e88e5""##), "{svg}");
        assert!(svg.contains(">25%</text>"));
        assert_eq!(epic_progress(&[]), epic_progress(&[]), "deterministic");
        assert!(epic_progress(&[]).contains("No epics yet."));
    }

    #[test]
    fn an_epic_with_nothing_to_measure_shows_an_empty_outline_not_a_full_bar() {
        let epic = |progress| EpicProgress {
            id: "EP-4".into(),
            title: "Usage insights".into(),
            state: State::New,
            owner: None,
            progress,
        };
        let svg = epic_progress(&[epic(Progress::default())]);
        assert!(!svg.contains(&format!("fill=\"{TODO}\"><title>")), "no filled to-do bar: {svg}");
        assert!(svg.contains("stroke-dasharray") && svg.contains(">no stories</text>"), "{svg}");
        assert!(!svg.contains(">0%</text>"), "{svg}");
        let mut none_done = Progress { points_total: 8.0, ..Progress::default() };
        none_done.stories_total = 2;
        let svg = epic_progress(&[epic(none_done)]);
        assert!(
            svg.contains("<title>8 of 8 to do</title>") && !svg.contains(&format!("fill=\"{DONE}\"><title>")),
            "{svg}"
        );
        assert!(svg.contains(">0%</text>"), "{svg}");
    }
}
