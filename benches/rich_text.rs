//! Azure Boards rich text: converting one large description (about 60 KB of Markdown: headings,
//! nested lists, emphasis, code, tables, links; and one 60 KB line of text) to Boards' HTML and back. Run with
//! `cargo bench --bench rich_text` (or `cargo test --bench rich_text` for a debug build, whose
//! figures compare as ratios only); prints the best and median of several rounds per direction.

use std::time::{Duration, Instant};

use backlog_sync::trackers::azure_boards::mapping::html::{html_to_markdown, markdown_to_html};

const ROUNDS: usize = 7;

/// One section of the document; repeated until the document is `size` bytes or more.
fn section(n: usize) -> String {
    format!(
        "## Part {n}\n\nThe team's **onboarding** flow, step {n}: *invite*, ~~wait~~, `confirm` and see \
         [the guide](https://learn.example.com/boards?tab={n}) for snake_case names.\n\n\
         - first point of {n}\n  - nested **bold** point\n  - another with `code`\n- second point\n\n\
         1. open the settings\n2. choose *Members*\n3. press `Invite`\n\n\
         ```rust\nfn step_{n}() -> u32 {{\n    {n}\n}}\n```\n\n\
         | field | required | example |\n|---|:---:|---:|\n| email | yes | `kim@fabrikam.com` |\n| team | no | Night shift |\n\n\
         > A quote from the pilot, round {n}.\n\nLine one of a paragraph\nline two of the same paragraph.\n"
    )
}

fn document(size: usize) -> String {
    let mut doc = String::new();
    let mut n = 0;
    while doc.len() < size {
        if n > 0 {
            doc.push('\n');
        }
        doc.push_str(&section(n));
        n += 1;
    }
    doc.trim_end().to_string()
}

/// One paragraph of `size` bytes or more on a single line (text pasted without line breaks).
fn long_line(size: usize) -> String {
    let mut doc = String::new();
    let mut n = 0;
    while doc.len() < size {
        doc.push_str(&format!("Sentence {n} has **bold**, *emphasis*, `code` and a [link](https://x.example/{n}). "));
        n += 1;
    }
    doc.trim_end().to_string()
}

fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut all: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    all.sort();
    (all[0], all[ROUNDS / 2])
}

fn main() {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cases = [("document", document(6_000)), ("document", document(60_000)), ("one line", long_line(60_000))];
    for (shape, md) in cases {
        let html = markdown_to_html(&md);
        let (best_to, median_to) = time(|| markdown_to_html(&md));
        let (best_back, median_back) = time(|| html_to_markdown(&html));
        println!(
            "rich text, {shape}, {:>6} bytes of Markdown ({} of HTML): Markdown → HTML best {:.1} ms (median {:.1}), HTML → Markdown best {:.1} ms (median {:.1})",
            md.len(),
            html.len(),
            ms(best_to),
            ms(median_to),
            ms(best_back),
            ms(median_back)
        );
    }
}
