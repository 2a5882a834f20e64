//! Scores the story sentence parser and the story rules on the shared user-story benchmark
//! (`../shared/data/user-stories`, development split; see its README, "Scoring"): missing
//! benefit, missing persona (on drop-role mutants) and atomicity against the labelled references.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use backlog_sync::drift::story::{StoryText, check_duplicates, check_sentence, joined_actions};
use backlog_sync::model::sentence::split;
use serde_json::Value;

use crate::common::shared_dir;

/// Story-level binary classification counts; positive = defect present.
#[derive(Debug, Default, Clone, Copy)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Score {
    fn add(&mut self, predicted: bool, gold: bool) {
        match (predicted, gold) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn merge(&mut self, o: Score) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }
    fn precision(&self) -> Option<f64> {
        (self.tp + self.fp > 0).then(|| self.tp as f64 / (self.tp + self.fp) as f64)
    }
    fn recall(&self) -> Option<f64> {
        (self.tp + self.fn_ > 0).then(|| self.tp as f64 / (self.tp + self.fn_) as f64)
    }
    fn print(&self, rule: &str, scope: &str) {
        let f = |x: Option<f64>| x.map_or("  n/a".to_string(), |x| format!("{x:.3}"));
        println!(
            "{rule:<24} {scope:<22} TP {:>3}  FP {:>3}  FN {:>3}  TN {:>3}  P {}  R {}",
            self.tp,
            self.fp,
            self.fn_,
            self.tn,
            f(self.precision()),
            f(self.recall())
        );
    }
}

/// One row of `gNN-name.labels.tsv`.
struct Row {
    line: usize,
    status: String,
    has_benefit: Option<bool>,
    doccano_id: Option<u64>,
}

/// A Doccano record: its text (with the 6-character `#GNN# ` prefix) as chars, and its spans.
struct Record {
    chars: Vec<char>,
    spans: Vec<(String, usize, usize)>,
}

impl Record {
    fn first(&self, label: &str) -> Option<(usize, usize)> {
        self.spans.iter().filter(|s| s.0 == label).map(|s| (s.1, s.2)).min()
    }
}

struct Backlog {
    name: String,
    dir: PathBuf,
    /// The lines of `gNN-name.txt`, 1-based via `line(n)`.
    lines: Vec<String>,
    rows: Vec<Row>,
    records: HashMap<u64, Record>,
}

impl Backlog {
    fn load(dir: &Path) -> Backlog {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let read = |ext: &str| {
            let path = dir.join(format!("{name}.{ext}"));
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()))
        };
        let lines = read("txt").split('\n').map(str::to_string).collect();
        let rows = read("labels.tsv")
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                Row {
                    line: c[0].parse().expect("a line number"),
                    status: c[1].to_string(),
                    has_benefit: c.get(3).and_then(|v| v.parse::<u8>().ok()).map(|v| v == 1),
                    doccano_id: c.get(6).and_then(|v| v.parse().ok()),
                }
            })
            .collect();
        let records = read("doccano.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("a Doccano JSON line");
                let spans = v["entities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let at = |k: &str| e[k].as_u64().unwrap() as usize;
                        (e["label"].as_str().unwrap().to_string(), at("start_offset"), at("end_offset"))
                    })
                    .collect();
                let chars = v["text"].as_str().unwrap().chars().collect();
                (v["id"].as_u64().unwrap(), Record { chars, spans })
            })
            .collect();
        Backlog { name, dir: dir.to_path_buf(), lines, rows, records }
    }

    fn line(&self, n: usize) -> &str {
        &self.lines[n - 1]
    }

    /// The `annotated` rows (each unique story once; `duplicate_of` rows are left out).
    fn annotated(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.status == "annotated")
    }
}

/// The benchmark's backlogs, or `None` (after printing why) when the shared data is absent.
fn backlogs() -> Option<Vec<Backlog>> {
    let Some(shared) = shared_dir() else {
        println!("skipping story data tests: `../shared` is absent (BACKLOG_SYNC_REQUIRE_SHARED=1 makes this fail)");
        return None;
    };
    let root = shared.join("data/user-stories");
    assert!(root.is_dir(), "`{}` is missing from the shared folder", root.display());
    let mut dirs: Vec<PathBuf> =
        fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "`{}` holds no backlogs", root.display());
    Some(dirs.iter().map(|d| Backlog::load(d)).collect())
}

fn has_benefit(text: &str) -> bool {
    split(text).and_then(|p| p.benefit).is_some()
}

fn has_persona(text: &str) -> bool {
    split(text).and_then(|p| p.persona).is_some()
}

/// Whether the rule `rule` reports the story sentence, as `lint` would.
fn reports(text: &str, rule: &str) -> bool {
    check_sentence(&StoryText::from_sentence("s", text)).iter().any(|f| f.rule == rule)
}

fn joins_actions(text: &str) -> bool {
    let by_rule = reports(text, "story-not-atomic");
    debug_assert_eq!(by_rule, split(text).and_then(|p| p.activity).is_some_and(|a| joined_actions(a).is_some()));
    by_rule
}

fn f1(s: &Score) -> f64 {
    2.0 * s.tp as f64 / (2 * s.tp + s.fp + s.fn_) as f64
}

/// README "drop-role": delete up to the end of the first Persona span, then `,` and whitespace,
/// then upper-case the first remaining character.
fn drop_role(record: &Record) -> String {
    let (_, end) = record.first("Persona").expect("every annotated story has a persona");
    let rest: String = record.chars[end..].iter().collect();
    let rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    let mut chars = rest.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// README "drop-benefit": delete from the marker before the first Benefit span (or the span
/// start) to the span end, trim, strip a trailing `,`, end with sentence punctuation.
fn drop_benefit(record: &Record) -> Option<String> {
    let (start, end) = record.first("Benefit")?;
    let before: String = record.chars[6..start].iter().collect();
    let after: String = record.chars[end..].iter().collect();
    let lower = before.trim_end().to_ascii_lowercase();
    let cut = ["so that", "in order to", "because", "so"]
        .iter()
        .find(|m| lower.ends_with(*m) && !lower[..lower.len() - m.len()].ends_with(|c: char| c.is_alphanumeric()))
        .map_or(before.len(), |m| lower.len() - m.len());
    let mut text = format!("{}{}", before[..cut].trim_end().trim_end_matches(','), after.trim());
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    Some(text)
}

#[test]
fn missing_benefit_matches_the_annotation() {
    let Some(backlogs) = backlogs() else { return };
    let mut micro = Score::default();
    for b in &backlogs {
        let mut s = Score::default();
        for r in b.annotated() {
            let gold_missing = !r.has_benefit.expect("annotated rows carry has_benefit");
            s.add(!has_benefit(b.line(r.line)), gold_missing);
        }
        s.print("story-missing-benefit", &b.name);
        micro.merge(s);
        let unannotated: Vec<usize> = b.rows.iter().filter(|r| r.status == "unannotated").map(|r| r.line).collect();
        if !unannotated.is_empty() {
            let shaped = unannotated.iter().filter(|&&n| split(b.line(n)).is_some()).count();
            println!(
                "  {}: {} unannotated rows {unannotated:?}, {shaped} with a story shape",
                b.name,
                unannotated.len()
            );
        }
    }
    micro.print("story-missing-benefit", "micro");
    // The broader reading keeps the figure this rule had before it (P 1.000, R 1.000): no worse.
    assert!(micro.precision().unwrap() >= 1.0 && micro.recall().unwrap() >= 1.0, "{micro:?}");

    // Extra: README "drop-benefit" mutants of stories that have a benefit are all positives.
    let mut mutants = Score::default();
    for b in &backlogs {
        for r in b.annotated().filter(|r| r.has_benefit == Some(true)) {
            if let Some(m) = drop_benefit(&b.records[&r.doccano_id.unwrap()]) {
                mutants.add(!has_benefit(&m), true);
            }
        }
    }
    mutants.print("story-missing-benefit", "drop-benefit mutants");
    assert!(mutants.recall().unwrap() >= 0.98, "{mutants:?}");
}

#[test]
fn missing_persona_is_found_on_drop_role_mutants() {
    let Some(backlogs) = backlogs() else { return };
    let mut micro = Score::default();
    for b in &backlogs {
        let mut s = Score::default();
        for r in b.annotated() {
            s.add(!has_persona(b.line(r.line)), false);
            let mutant = drop_role(&b.records[&r.doccano_id.expect("annotated rows carry a doccano id")]);
            s.add(!has_persona(&mutant), true);
        }
        s.print("story-missing-persona", &b.name);
        micro.merge(s);
    }
    micro.print("story-missing-persona", "micro");
    assert!(micro.precision().unwrap() >= 0.98 && micro.recall().unwrap() >= 0.98, "{micro:?}");
}

/// Line numbers of `atomic.conjunctions` findings in an archived AQUSA output.
fn aqusa_conjunctions(b: &Backlog) -> BTreeSet<usize> {
    let text = fs::read_to_string(b.dir.join("scharf2026.aqusa-output.txt")).unwrap();
    let mut story = None;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Story #") {
            story = rest.split(':').next().and_then(|n| n.parse::<usize>().ok());
        } else if line.trim() == "Defect type: atomic.conjunctions" {
            out.extend(story);
        }
    }
    out
}

/// Line numbers that Scharf's ground truth labels `non_atomic`.
fn scharf_non_atomic(b: &Backlog) -> BTreeSet<usize> {
    let v: Value =
        serde_json::from_str(&fs::read_to_string(b.dir.join("scharf2026.ground_truth.json")).unwrap()).unwrap();
    let stories = v.as_object().unwrap().values().next().unwrap().as_array().unwrap();
    stories
        .iter()
        .filter(|s| s["defects"]["non_atomic"].as_bool() == Some(true))
        .map(|s| s["id"].as_str().unwrap().rsplit('_').next().unwrap().parse().unwrap())
        .collect()
}

/// Line numbers one Silva annotator labels `atomic.conjunctions`.
fn silva_conjunctions(b: &Backlog, annotator: u8) -> BTreeSet<usize> {
    let text = fs::read_to_string(b.dir.join(format!("silva2025.annotator{annotator}.csv"))).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let id: usize = l.split(',').next()?.parse().ok()?;
            let labels: Vec<&str> = l.rsplitn(9, ',').collect(); // reversed: uniform … no_role, rest
            (labels.get(5)?.trim() == "1").then_some(id)
        })
        .collect()
}

/// Any "and", "or", "&" or "/" in the activity: the naive rule, for context.
fn naive_conjunction(text: &str) -> bool {
    let activity = split(text).and_then(|p| p.activity).unwrap_or("").to_lowercase();
    activity.contains('/')
        || activity.contains('&')
        || activity.split(|c: char| !c.is_alphanumeric()).any(|w| w == "and" || w == "or")
}

#[test]
fn not_atomic_beats_aqusa_on_the_labelled_references() {
    let Some(backlogs) = backlogs() else { return };
    let (mut ours, mut aqusa, mut naive) = (Score::default(), Score::default(), Score::default());
    for b in backlogs.iter().filter(|b| b.dir.join("scharf2026.ground_truth.json").is_file()) {
        let (gold, baseline) = (scharf_non_atomic(b), aqusa_conjunctions(b));
        let mut s = Score::default();
        for r in b.annotated() {
            let text = b.line(r.line);
            s.add(joins_actions(text), gold.contains(&r.line));
            aqusa.add(baseline.contains(&r.line), gold.contains(&r.line));
            naive.add(naive_conjunction(text), gold.contains(&r.line));
        }
        s.print("story-not-atomic", &format!("{} (Scharf)", b.name));
        ours.merge(s);
    }
    ours.print("story-not-atomic", "micro (Scharf)");
    aqusa.print("AQUSA baseline", "micro (Scharf)");
    println!(
        "F1 on Scharf's non_atomic labels: story-not-atomic {:.3}, AQUSA atomic.conjunctions {:.3}",
        f1(&ours),
        f1(&aqusa)
    );
    assert!(f1(&ours) >= 0.90, "F1 {:.3}: {ours:?}", f1(&ours));
    naive.print("any and/or/slash", "micro (Scharf)");

    let (mut all, mut all_naive) = (ours, naive);
    for b in backlogs.iter().filter(|b| b.dir.join("silva2025.annotator1.csv").is_file()) {
        let (a1, a2) = (silva_conjunctions(b, 1), silva_conjunctions(b, 2));
        for (who, gold) in [("annotator 1", &a1), ("annotator 2", &a2), ("either", &(&a1 | &a2))] {
            let (mut s, mut n) = (Score::default(), Score::default());
            for r in b.annotated() {
                s.add(joins_actions(b.line(r.line)), gold.contains(&r.line));
                n.add(naive_conjunction(b.line(r.line)), gold.contains(&r.line));
            }
            s.print("story-not-atomic", &format!("{} (Silva {who})", &b.name[..3]));
            n.print("any and/or/slash", &format!("{} (Silva {who})", &b.name[..3]));
            if who == "either" {
                all.merge(s);
                all_naive.merge(n);
            }
        }
    }
    all.print("story-not-atomic", "micro (Scharf + Silva)");
    all_naive.print("any and/or/slash", "micro (Scharf + Silva)");
    // Match or beat AQUSA on Scharf's labels: no lower precision, no lower recall.
    assert!(
        ours.precision() >= aqusa.precision() && ours.recall() >= aqusa.recall(),
        "ours {ours:?} vs AQUSA {aqusa:?}"
    );
}

#[test]
fn parsed_persona_agrees_with_the_annotated_span() {
    let Some(backlogs) = backlogs() else { return };
    let (mut same, mut total) = (0, 0);
    for b in &backlogs {
        for r in b.annotated() {
            let record = &b.records[&r.doccano_id.unwrap()];
            let (s, e) = record.first("Persona").unwrap();
            let span: String = record.chars[s..e].iter().collect();
            let ours = split(b.line(r.line)).and_then(|p| p.persona).unwrap_or("");
            total += 1;
            if ours.eq_ignore_ascii_case(span.trim()) {
                same += 1;
            } else {
                println!("  persona differs in {} line {}: ours `{ours}`, annotated `{span}`", b.name, r.line);
            }
        }
    }
    println!("persona agrees with the Doccano span on {same}/{total} stories");
    assert!(same as f64 >= 0.95 * total as f64, "{same}/{total}");
}

/// Pairs of stories from the development split, labelled by us (backlog, line, line, duplicate?):
/// "the same persona and the same activity in other words", not a different object or benefit.
/// The candidates are every pair of one backlog with the same role clause whose activities share
/// half of their content words; the texts are read from `../shared` at test time.
const DUPLICATE_PAIRS: &[(&str, usize, usize, bool)] = &[
    ("g03-loudoun", 10, 24, false),       // completeness review / staff review
    ("g03-loudoun", 13, 14, false),       // apply / remove a hold
    ("g03-loudoun", 35, 39, false),       // assign plans / review plans
    ("g03-loudoun", 45, 46, true),        // the same line twice
    ("g04-recycling", 5, 12, true),       // "have" / "choose" a flexible pick-up time, same benefit
    ("g05-openspending", 2, 7, false),    // the model / the data source
    ("g05-openspending", 9, 11, false),   // Excel / JSON
    ("g05-openspending", 32, 33, false),  // metadata / data
    ("g05-openspending", 34, 36, false),  // population / GDP
    ("g11-nsf", 33, 53, true),            // the same check, one with a benefit
    ("g11-nsf", 66, 68, false),           // visual design / content
    ("g13-planningpoker", 6, 7, false),   // add / edit an item
    ("g13-planningpoker", 18, 19, false), // HTML / CSV transcript
    ("g17-cask", 25, 26, false),          // an existing / a new dataset instance
    ("g17-cask", 49, 50, false),          // update / remove a property
    ("g17-cask", 53, 54, false),          // creation / redeployment fails
    ("g19-alfred", 13, 14, false),        // reacts only to me / listens when I ask
    ("g19-alfred", 19, 77, true),         // pay small amounts, with or without naming ALFRED
    ("g19-alfred", 22, 23, true),         // visual or hearing / visual troubles
    ("g19-alfred", 137, 138, true),       // the same line twice
];

#[test]
fn duplicate_story_on_labelled_pairs() {
    let Some(backlogs) = backlogs() else { return };
    let mut s = Score::default();
    for &(name, a, b, gold) in DUPLICATE_PAIRS {
        let bl = backlogs.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("no backlog {name}"));
        let pair = [StoryText::from_sentence("a", bl.line(a)), StoryText::from_sentence("b", bl.line(b))];
        let found = !check_duplicates(&pair).is_empty();
        if found != gold {
            println!("  duplicate-story {} on {name} {a}/{b} (labelled {gold})", if found { "FP" } else { "FN" });
        }
        s.add(found, gold);
    }
    s.print("duplicate-story", &format!("{} labelled pairs", DUPLICATE_PAIRS.len()));
    // Over whole backlogs: how many findings, for context (exact copies included).
    for b in &backlogs {
        let stories: Vec<StoryText> =
            b.annotated().map(|r| StoryText::from_sentence(format!("{}", r.line), b.line(r.line))).collect();
        let n = check_duplicates(&stories).len();
        if n > 0 {
            println!("  duplicate-story on all of {}: {n} finding(s)", b.name);
        }
    }
    assert!(s.precision().unwrap_or(0.0) >= 0.8 && s.recall().unwrap_or(0.0) >= 0.5, "{s:?}");
}

/// Our labels for `story-not-implementation-free` over every story of three development backlogs
/// (157 sentences): the lines whose activity names a technology, product, framework, language,
/// data store or UI widget instead of the need. Every other line of these backlogs is labelled
/// "implementation-free". Judgement calls: data formats a user brings or takes away (Excel, JSON,
/// CSV, HTML files) and an API for an API user are the need, not a design choice; browsers a site
/// must support, Unicode and "database indexes" are technology.
const IMPLEMENTATION_LABELS: &[(&str, &[usize])] = &[
    ("g04-recycling", &[1, 29, 34]),                 // click; the database; bootstrap
    ("g05-openspending", &[24, 39, 46]),             // frontend Javascript; the database; Python
    ("g13-planningpoker", &[3, 11, 43, 45, 46, 49]), // text field; the "estimate" field; XHTML/CSS; database indexes; browsers; Unicode
];

#[test]
fn implementation_free_on_labelled_sentences() {
    let Some(backlogs) = backlogs() else { return };
    let (mut micro, mut total) = (Score::default(), 0);
    for &(name, positives) in IMPLEMENTATION_LABELS {
        let b = backlogs.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("no backlog {name}"));
        let mut s = Score::default();
        for r in b.annotated() {
            let (found, gold) = (reports(b.line(r.line), "story-not-implementation-free"), positives.contains(&r.line));
            if found != gold {
                println!(
                    "  story-not-implementation-free {} on {name} line {}",
                    if found { "FP" } else { "FN" },
                    r.line
                );
            }
            s.add(found, gold);
            total += 1;
        }
        s.print("story-not-impl-free", name);
        micro.merge(s);
    }
    micro.print("story-not-impl-free", &format!("micro ({total} labelled)"));
    assert!(total >= 150, "{total} labelled sentences");
    assert!(micro.precision().unwrap() >= 0.9 && micro.recall().unwrap() >= 0.8, "{micro:?}");
}
