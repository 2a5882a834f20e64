//! Synthetic backlogs of any size for benchmarks, load tests and fault campaigns: realistic item
//! files (front matter, story sentences, acceptance criteria) written with the real writer's format.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// How many items of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub epics: usize,
    pub stories: usize,
    pub risks: usize,
}

impl Shape {
    /// `total` items: one epic in 20, one risk in 10, the rest stories.
    pub fn of(total: usize) -> Shape {
        let epics = (total / 20).max(1);
        let risks = total / 10;
        Shape { epics, stories: total.saturating_sub(epics + risks), risks }
    }

    pub fn total(&self) -> usize {
        self.epics + self.stories + self.risks
    }
}

/// Writes a backlog of `shape` into `dir/backlog` and returns that folder.
pub fn write(dir: &Path, shape: Shape) -> io::Result<PathBuf> {
    let root = dir.join("backlog");
    for sub in ["epics", "stories", "risks"] {
        fs::create_dir_all(root.join(sub))?;
    }
    fs::write(
        root.join("backlog.toml"),
        "name = \"Synthetic\"\n\n[[personas]]\nname = \"planner\"\naliases = [\"scheduler\"]\n",
    )?;
    for e in 1..=shape.epics {
        fs::write(
            root.join(format!("epics/EP-{e}.md")),
            format!(
                "---\nid: EP-{e}\ntitle: Epic number {e}\nstate: active\npriority: {}\n---\nWhat epic {e} delivers.\n",
                e % 3 + 1
            ),
        )?;
    }
    for s in 1..=shape.stories {
        let epic = (s - 1) % shape.epics.max(1) + 1;
        let state = ["new", "active", "resolved", "closed"][s % 4];
        fs::write(
            root.join(format!("stories/ST-{s}.md")),
            format!(
                "---\nid: ST-{s}\ntitle: Story number {s}\nepic: EP-{epic}\npersona: planner\nactivity: plan shift {s} for the night team\n\
                 benefit: the team knows when to work\nstate: {state}\npriority: {}\npoints: {}\ntags: [shifts, team-{}]\n---\n\
                 Details of story {s}, with *emphasis* and a [link](https://example.com/{s}).\n\n## Acceptance criteria\n\
                 - [ ] shift {s} is planned\n- [x] the team is told\n",
                s % 4 + 1,
                s % 8 + 1,
                s % 5
            ),
        )?;
    }
    for r in 1..=shape.risks {
        let level = ["low", "medium", "high", "critical"];
        fs::write(
            root.join(format!("risks/RK-{r}.md")),
            format!(
                "---\nid: RK-{r}\ntitle: Risk number {r}\nlikelihood: {}\nseverity: {}\nmitigation: watch it closely\n\
                 owner: alice@contoso.com\nreview_by: 2027-06-30\nstate: active\n---\nWhy risk {r} matters.\n",
                level[r % 4],
                level[(r / 4) % 4]
            ),
        )?;
    }
    Ok(root)
}
