//! The HTML summaries in headless Chromium: a screenshot must show the page with its charts — the
//! green "done" bars of epic progress and the red cells of the risk matrix. Skipped without
//! Chromium unless `BACKLOG_SYNC_REQUIRE_BROWSER=1`.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backlog_sync::summary::{Format, Renderer};

use crate::summary_render::sample_summary;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium's path, or `None` (with a one-line reason) when it is not installed.
pub fn chromium() -> Option<PathBuf> {
    let path = PathBuf::from(CHROMIUM);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("BACKLOG_SYNC_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("`{CHROMIUM}` is missing but BACKLOG_SYNC_REQUIRE_BROWSER=1 requires it; apt-get install -y chromium");
    }
    eprintln!("skipped: no Chromium at `{CHROMIUM}` (apt-get install -y chromium)");
    None
}

/// Screenshots `page` at 1280 × 1600 into `png`, killing Chromium if it takes over a minute.
pub fn screenshot(chromium: &Path, page: &Path, png: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,1600")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium took over a minute to screenshot `{}`", page.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Width, height and RGB pixels of a PNG.
fn pixels(png: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(BufReader::new(std::fs::File::open(png).unwrap()));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let rgb = buf[..info.buffer_size()].chunks(step).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, rgb)
}

fn near(p: [u8; 3], want: [u8; 3]) -> bool {
    p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 4)
}

#[test]
fn html_summaries_render_in_chromium_with_their_charts() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let renderer = Renderer::new(None);
    for audience in ["executive", "team"] {
        let page = dir.path().join(format!("{audience}.html"));
        std::fs::write(&page, renderer.render(&sample_summary(audience), Format::Html).unwrap()).unwrap();
        let png = dir.path().join(format!("{audience}.png"));
        screenshot(&chromium, &page, &png);
        let (width, height, rgb) = pixels(&png);
        assert_eq!((width, height), (1280, 1600), "{audience}");
        let colours: HashSet<[u8; 3]> = rgb.iter().copied().collect();
        assert!(colours.len() > 50, "{audience}: a real page, not one colour ({} colours)", colours.len());
        let done_bars = rgb.iter().filter(|p| near(**p, [0x2e, 0x7d, 0x32])).count();
        let red_cells = rgb.iter().filter(|p| near(**p, [0xe5, 0x39, 0x35])).count();
        let header = rgb.iter().filter(|p| near(**p, [0x26, 0x32, 0x38])).count();
        // EP-1..3 have 2 + 2 + 8 points done: about 3 100 px of green bars; three red 80 × 80 cells.
        assert!(done_bars > 2000, "{audience}: epic progress bars are visible ({done_bars} green px)");
        assert!(red_cells > 12000, "{audience}: the risk matrix is visible ({red_cells} red px)");
        assert!(header > 500, "{audience}: text is drawn ({header} px)");
    }
}
