//! The model checker's long campaign: `cargo bench --bench model_campaign -- --sequences 10000
//! [--seed N] [--all]` runs that many generated sequences (the fixed set's operation kinds unless
//! `--all`) and prints sequences, operations, runs, kills, violations and time. On a violation it
//! prints the shrunk sequence and exits 1.

#[allow(dead_code, unused_imports)]
#[path = "../tests/model_check/mod.rs"]
mod model_check;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use model_check::ops::Kinds;
use model_check::sequence::{Checks, Figures};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| -> Option<u64> {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
    };
    let sequences = u32::try_from(value("--sequences").unwrap_or(10_000)).unwrap_or(u32::MAX);
    let seed = value("--seed").unwrap_or(2026);
    let all = args.iter().any(|a| a == "--all");
    let (kinds, checks) =
        if all { (Kinds::ALL, Checks::ALL) } else { (model_check::fixed_set_kinds(), model_check::fixed_set_checks()) };
    let figures = Arc::new(Figures::default());
    let started = Instant::now();
    // Report progress every 500 sequences, so a campaign cut short still leaves its throughput.
    let progress = {
        let figures = figures.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(60));
                eprintln!("progress: {} after {:.0} s", figures.line(), started.elapsed().as_secs_f64());
            }
        })
    };
    drop(progress);
    let result =
        model_check::run_set(sequences, seed, kinds, checks, Path::new(env!("CARGO_BIN_EXE_backlog-sync")), &figures);
    let secs = started.elapsed().as_secs_f64();
    println!("model campaign (seed {seed}{}): {} in {secs:.0} s", if all { ", all kinds" } else { "" }, figures.line());
    if let Err(e) = result {
        println!("{e}");
        std::process::exit(1);
    }
}
