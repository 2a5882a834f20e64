//! Engine benchmark: load, merge and plan for synthetic backlogs of 1k, 10k and 100k items, with
//! time and peak heap, beside the time just to read the same files (the floor), and the whole path
//! from files to plan checked against the targets of issue #8.
//! Run: `cargo bench --bench engine` (add `-- 1000 10000` to pick sizes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backlog_sync::backlog::Backlog;
use backlog_sync::backlog::synthetic::{self, Shape};
use backlog_sync::config::{ConflictPolicy, MaxRemovals};
use backlog_sync::mapping::fields::item_fields;
use backlog_sync::model::Kind;
use backlog_sync::reconcile::{
    Action, CanonicalItem, LinkView, Plan, PlanInput, Policies, RemoteItem, TargetInput, plan,
};

/// Counts live heap bytes and the peak since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    // The system allocator grows and shrinks a block in place when it can: count only the change.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f`, returning its result, the time it took and the peak heap above what was live before.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    (out, took, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

fn read_all(root: &std::path::Path) -> usize {
    let mut bytes = 0;
    for sub in ["epics", "stories", "risks"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            bytes += std::fs::read_to_string(e.unwrap().path()).unwrap().len();
        }
    }
    bytes
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The canonical field maps of every loaded item, as the engine builds them.
fn canonical_items(backlog: &Backlog) -> Vec<CanonicalItem> {
    backlog
        .items
        .iter()
        .map(|f| CanonicalItem {
            id: f.item.id.clone(),
            kind: f.item.kind,
            fields: item_fields(&f.item),
            modified: None,
        })
        .collect()
}

/// One target where every item is linked with its fields as base and 1 % changed their title remotely.
fn linked_target(items: &[CanonicalItem]) -> TargetInput {
    let mut target = TargetInput { name: "github".into(), ..TargetInput::default() };
    for (i, item) in items.iter().enumerate() {
        let remote_id = i.to_string();
        target.links.insert(
            item.id.clone(),
            LinkView {
                remote_id: remote_id.clone(),
                base: item.fields.clone(),
                conflicts: BTreeMap::new(),
                file_owner: None,
            },
        );
        if i % 100 == 0 {
            let mut fields = item.fields.clone();
            fields.insert("title".into(), format!("{} (edited)", fields["title"]));
            target.listed.insert(
                remote_id.clone(),
                RemoteItem {
                    remote_id,
                    kind: Some(item.kind),
                    fields,
                    marker: Some(item.id.clone()),
                    updated_at: None,
                },
            );
        }
    }
    target
}

fn plan_input(backlog: &Backlog, items: Vec<CanonicalItem>, target: TargetInput) -> PlanInput {
    PlanInput {
        items,
        unreadable: BTreeSet::new(),
        targets: vec![target],
        policies: Policies::uniform(ConflictPolicy::Manual),
        max_removals: MaxRemovals::Percent(10.0),
        allow_mass_removal: false,
        next_ids: Kind::ALL.into_iter().map(|k| (k, backlog.next_id(k))).collect(),
    }
}

fn check(p: &Plan, n: usize) {
    let updates = p.actions.iter().filter(|a| matches!(a, Action::UpdateCanonical { .. })).count();
    assert_eq!(updates, n.div_ceil(100));
}

/// A measured path against the targets for 100k items: 1 s, 300 MB peak, 3× the read floor.
struct Verdict {
    items: usize,
    path: &'static str,
    time: Duration,
    peak: usize,
    ratio: f64,
}

impl Verdict {
    fn print(&self) {
        let mark = |ok: bool| if ok { "PASS" } else { "MISS" };
        println!(
            "{:>8} | {:<11} | {:>7.0}ms {} | {:>7.1} MB {} | {:>6.2}x {}",
            self.items,
            self.path,
            ms(self.time),
            mark(self.time <= Duration::from_secs(1)),
            mb(self.peak),
            mark(self.peak <= 300 * 1_048_576),
            self.ratio,
            mark(self.ratio <= 3.0)
        );
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { sizes };
    println!("engine: load, merge and plan of a synthetic backlog linked to one target, 1 % changed remotely");
    println!(
        "{:>8} | {:>9} | {:>9} {:>8} {:>8} | {:>9} {:>8} | {:>9} {:>8} | {:>9} {:>8}",
        "items", "read", "load", "peak MB", "kept MB", "fields", "peak MB", "plan", "peak MB", "end2end", "peak MB"
    );
    let mut verdicts = Vec::new();
    for n in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let root = synthetic::write(tmp.path(), Shape::of(n)).unwrap();
        // The floor is the best of three reads: a slow one on a busy machine would flatter every ratio.
        let read = (0..3).map(|_| measure(|| read_all(&root)).1).min().unwrap();
        let before_load = LIVE.load(Ordering::Relaxed);
        let (backlog, load, load_peak) = measure(|| Backlog::load(&root).unwrap());
        let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before_load);
        assert_eq!(backlog.items.len(), Shape::of(n).total());
        let before_fields = LIVE.load(Ordering::Relaxed);
        let (items, fields_time, fields_peak) = measure(|| canonical_items(&backlog));
        let fields_kept = LIVE.load(Ordering::Relaxed).saturating_sub(before_fields);
        let target = linked_target(&items);
        let input = plan_input(&backlog, items, target);
        let (p, plan_time, plan_peak) = measure(|| plan(&input));
        check(&p, n);
        // The remote side and the store's links stay; everything read from the files goes.
        let target = input.targets.into_iter().next().unwrap();
        drop((p, input.items, backlog));
        // What the plan was made from stays alive, as in a sync that goes on to apply it.
        let ((p, input, backlog), e2e, e2e_peak) = measure(|| {
            let backlog = Backlog::load(&root).unwrap();
            let items = canonical_items(&backlog);
            let input = plan_input(&backlog, items, target);
            (plan(&input), input, backlog)
        });
        check(&p, n);
        drop((p, input, backlog));
        println!(
            "{:>8} | {:>7.0}ms | {:>7.0}ms {:>8.1} {:>8.1} | {:>7.0}ms {:>8.1} | {:>7.0}ms {:>8.1} | {:>7.0}ms {:>8.1}",
            n,
            ms(read),
            ms(load),
            mb(load_peak),
            mb(kept),
            ms(fields_time),
            mb(fields_peak),
            ms(plan_time),
            mb(plan_peak),
            ms(e2e),
            mb(e2e_peak)
        );
        let merge_plan = fields_time + plan_time;
        let ratio = |d: Duration| d.as_secs_f64() / read.as_secs_f64();
        verdicts.push(Verdict {
            items: n,
            path: "merge+plan",
            time: merge_plan,
            peak: fields_peak.max(fields_kept + plan_peak),
            ratio: ratio(merge_plan),
        });
        verdicts.push(Verdict { items: n, path: "end-to-end", time: e2e, peak: e2e_peak, ratio: ratio(e2e) });
    }
    println!(
        "read = reading every file, best of 3 (the floor); load = parse and validate, kept = heap the backlog holds;"
    );
    println!("fields = canonical field maps; plan = three-way merge and plan; end2end = load + fields + plan from the");
    println!(
        "files to the plan, with the remote side and links already in memory. Peak MB is heap above the phase's start."
    );
    println!();
    println!("targets (issue #8, for 100k items): at most 1 s, 300 MB peak and 3x the read time");
    println!("{:>8} | {:<11} | {:>14} | {:>15} | {:>13}", "items", "path", "time", "peak", "x read");
    for v in &verdicts {
        v.print();
    }
}
