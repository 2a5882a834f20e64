//! Engine benchmark: load, merge and plan for synthetic backlogs of 1k, 10k and 100k items, with
//! time and peak heap, beside the time just to read the same files (the floor).
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
use backlog_sync::reconcile::{CanonicalItem, LinkView, PlanInput, Policies, RemoteItem, TargetInput, plan};

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

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { sizes };
    println!("engine: load, merge and plan of a synthetic backlog linked to one target, 1 % changed remotely");
    println!(
        "{:>8} | {:>9} | {:>9} {:>8} | {:>9} {:>8} | {:>9} {:>8} | {:>10}",
        "items", "read", "load", "peak MB", "fields", "peak MB", "plan", "peak MB", "plan/read"
    );
    for n in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let root = synthetic::write(tmp.path(), Shape::of(n)).unwrap();
        let (_, read, _) = measure(|| read_all(&root));
        let (backlog, load, load_peak) = measure(|| Backlog::load(&root).unwrap());
        assert_eq!(backlog.items.len(), Shape::of(n).total());
        let (items, fields_time, fields_peak) = measure(|| {
            backlog
                .items
                .iter()
                .map(|f| CanonicalItem {
                    id: f.item.id.clone(),
                    kind: f.item.kind,
                    fields: item_fields(&f.item),
                    modified: None,
                })
                .collect::<Vec<_>>()
        });
        // Every item is linked with its fields as base; 1 % changed their title remotely.
        let mut target = TargetInput { name: "github".into(), ..TargetInput::default() };
        for (i, item) in items.iter().enumerate() {
            let remote_id = i.to_string();
            target.links.insert(
                item.id.clone(),
                LinkView { remote_id: remote_id.clone(), base: item.fields.clone(), conflicts: BTreeMap::new() },
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
        let input = PlanInput {
            items,
            unreadable: BTreeSet::new(),
            targets: vec![target],
            policies: Policies::uniform(ConflictPolicy::Manual),
            max_removals: MaxRemovals::Percent(10.0),
            allow_mass_removal: false,
            next_ids: Kind::ALL.into_iter().map(|k| (k, backlog.next_id(k))).collect(),
        };
        let (p, plan_time, plan_peak) = measure(|| plan(&input));
        assert_eq!(
            p.actions.iter().filter(|a| matches!(a, backlog_sync::reconcile::Action::UpdateCanonical { .. })).count(),
            n.div_ceil(100)
        );
        let merge_plan = fields_time + plan_time;
        println!(
            "{:>8} | {:>7.0}ms | {:>7.0}ms {:>8.1} | {:>7.0}ms {:>8.1} | {:>7.0}ms {:>8.1} | {:>9.2}x",
            n,
            read.as_secs_f64() * 1e3,
            load.as_secs_f64() * 1e3,
            mb(load_peak),
            fields_time.as_secs_f64() * 1e3,
            mb(fields_peak),
            plan_time.as_secs_f64() * 1e3,
            mb(plan_peak),
            merge_plan.as_secs_f64() / read.as_secs_f64()
        );
    }
    println!("read = reading every file (the floor); load = parse and validate; fields = canonical field maps;");
    println!(
        "plan = three-way merge and plan; plan/read = (fields + plan) / read. Peak MB is heap above the phase's start."
    );
}
