//! The reference model: per item and field, the value the sides last agreed on and the edits
//! people made since; after every run, the properties every run must keep.
//!
//! After a clean run (faults off, not killed) every readable item that is not gone must hold one
//! value per field on every side that carries it, and every edit made since the sides last agreed
//! must be that value, or be replaced by a later edit, or be named by a conflict or a policy
//! decision. With no edit, the value must not change. Under `manual`, a run that leaves a field
//! in conflict leaves the file's value of that field as it was.

use std::collections::{BTreeMap, BTreeSet};

use super::world::{Side, View};

/// A value a person wrote on one side.
#[derive(Debug, Clone)]
pub struct Edit {
    pub seq: usize,
    pub side: Side,
    pub value: String,
    /// What the side held before this edit, and how many runs had ended when it was made.
    from: Option<String>,
    epoch: usize,
}

#[derive(Debug, Default)]
struct FieldState {
    agreed: Option<String>,
    pending: Vec<Edit>,
}

/// The reference model of one sequence.
#[derive(Default)]
pub struct Model {
    fields: BTreeMap<(String, String), FieldState>,
    /// Items removed or deleted somewhere: their fields are no longer compared.
    pub gone: BTreeSet<String>,
    /// Values named by a conflict or a policy decision, per item and field.
    named: BTreeSet<(String, String, String)>,
    /// What each side held at the last read, as the engine sees it.
    pub views: BTreeMap<Side, View>,
    /// What each side held at the last read, as it holds it (a remote's owners included).
    raw: BTreeMap<Side, View>,
    /// Counts the reads that end a run (`merge_view`): edits made with no run in between share it.
    epoch: usize,
    pub violations: Vec<String>,
}

impl Model {
    /// Records the differences between `before` and `after` of one side as people's edits.
    /// `raw` is what the side holds as it holds it: a field a person set to the value the side
    /// already held is no edit, even when the engine's view of it changed meanwhile (a remote
    /// that could not carry an owner shows it once the person is known).
    pub fn record(&mut self, seq: usize, side: Side, after: &View, raw: &View) {
        let before = self.views.get(&side).cloned().unwrap_or_default();
        let raw_before = self.raw.get(&side).cloned().unwrap_or_default();
        // An epic deleted (or restored) on a remote takes its stories' parent with it there (Boards
        // hides the links to an item in the recycle bin): no person edited those stories' epic.
        let remote = side != Side::File;
        let vanished: BTreeSet<&String> = before.keys().filter(|id| remote && !after.contains_key(*id)).collect();
        let appeared: BTreeSet<&String> = after.keys().filter(|id| remote && !before.contains_key(*id)).collect();
        for (id, fields) in after {
            // A retitle of a story whose sentence lived in its title: the sentence read from the
            // title empties, which nobody wrote; the README's rule keeps it (never erased).
            // Before any remote held the item, the sentence lived only in the file's title: nothing
            // but the file can keep it, so the retitle is the file's edit of all four.
            let synced =
                [Side::Github, Side::Boards].iter().any(|s| self.views.get(s).is_some_and(|v| v.contains_key(id)));
            // The same for a description that held the sentence, replaced in the file (finding 48).
            let changed = |f: &str| before.get(id).and_then(|b| b.get(f)) != fields.get(f);
            let retitled = side == Side::File && synced && (changed("title") || changed("description"));
            for (field, value) in fields {
                let old = before.get(id).and_then(|f| f.get(field));
                let derived = ["persona", "activity", "benefit"].contains(&field.as_str()) && value.is_empty();
                if old.is_some() && retitled && derived {
                    // A sentence the file's title held that no run has seen yet (the person wrote
                    // it in the title since the last run) is gone with the title: nothing else
                    // held it, and the person's retitle replaced it.
                    // Only one no run saw: a run that ended since (even one under faults, which
                    // clears no pending edit) may have sent it, and the product keeps it (finding 49).
                    let epoch = self.epoch;
                    if let Some(st) = self.fields.get_mut(&(id.clone(), field.clone())) {
                        st.pending.retain(|e| !(e.side == Side::File && Some(&e.value) == old && e.epoch == epoch));
                    }
                    continue;
                }
                if field == "epic"
                    && ((value.is_empty() && old.is_some_and(|o| vanished.contains(o))) || appeared.contains(value))
                {
                    // Except a move under that epic made here that no run has seen: nothing shows
                    // it any more (GitHub drops a deleted issue's sub-issues, Boards hides the
                    // links to an item in the recycle bin), and the story shows no parent here: the
                    // person's move ends with the epic, as if they had taken it out (finding 52).
                    let key = (id.clone(), field.clone());
                    let moved = self.fields.get(&key).and_then(|st| {
                        st.pending.iter().find(|e| e.side == side && Some(&e.value) == old).map(|e| e.from.clone())
                    });
                    if let Some(from) = moved.filter(|_| value.is_empty()) {
                        self.drop_edits(id, field, side);
                        self.push_edit(id, field, Edit { seq, side, value: value.clone(), from, epoch: 0 });
                    }
                    continue;
                }
                let held = raw_before.get(id).and_then(|f| f.get(field));
                let unchanged = held.is_some() && held == raw.get(id).and_then(|f| f.get(field));
                if old != Some(value) && !unchanged {
                    if field == "state" && value == "removed" {
                        self.gone.insert(id.clone());
                    }
                    self.push_edit(id, field, Edit { seq, side, value: value.clone(), from: held.cloned(), epoch: 0 });
                }
            }
        }
        if side != Side::File {
            // An owner the engine's view leaves out (the file names someone this side cannot
            // carry) that a person set here to someone it knows: that person's edit all the same.
            for (id, fields) in raw {
                if after.get(id).is_some_and(|f| f.contains_key("owner")) {
                    continue;
                }
                // From an assignee that named nobody this side knows (or none) as well (finding 59).
                let was = raw_before.get(id).and_then(|f| f.get("owner"));
                if let Some(now) = fields.get("owner").filter(|o| !o.is_empty())
                    && raw_before.contains_key(id)
                    && was != Some(now)
                {
                    self.push_edit(id, "owner", Edit { seq, side, value: now.clone(), from: was.cloned(), epoch: 0 });
                }
                // An assignee a person set here that names nobody this side knows reads as no
                // owner at all (the mapping leaves it out): a later edit that replaces this side's
                // earlier ones, shown once the person is known (finding 33).
                if was.is_some() && !fields.contains_key("owner") {
                    self.drop_edits(id, "owner", side);
                }
            }
            for id in before.keys().filter(|id| !after.contains_key(*id)) {
                self.gone.insert(id.clone()); // deleted remotely
            }
        }
        self.take_view(side, after, raw);
    }

    /// Records one person's edit of a field on a side. An edit that puts back what the side held
    /// before its first pending edit of that field, with no run in between, undoes them: nothing
    /// is left that a sync could see or keep (finding 33).
    fn push_edit(&mut self, id: &str, field: &str, mut edit: Edit) {
        edit.epoch = self.epoch;
        let st = self.fields.entry((id.to_string(), field.to_string())).or_default();
        let mine: Vec<&Edit> = st.pending.iter().filter(|e| e.side == edit.side).collect();
        let undone = mine.first().is_some_and(|first| first.from.as_ref() == Some(&edit.value))
            && mine.iter().all(|e| e.epoch == edit.epoch);
        if undone {
            st.pending.retain(|e| e.side != edit.side);
        } else {
            st.pending.push(edit);
        }
    }

    /// Forgets a side's pending edits of a field (replaced by an edit the side cannot show).
    fn drop_edits(&mut self, id: &str, field: &str, side: Side) {
        if let Some(st) = self.fields.get_mut(&(id.to_string(), field.to_string())) {
            st.pending.retain(|e| e.side != side);
        }
    }

    /// Takes the read of a side that ends a run.
    pub fn merge_view(&mut self, side: Side, after: &View, raw: &View) {
        self.epoch += 1;
        self.take_view(side, after, raw);
    }

    /// Takes a new read of a side; a file view keeps the last values of files it could not read.
    fn take_view(&mut self, side: Side, after: &View, raw: &View) {
        for (views, after) in [(&mut self.views, after), (&mut self.raw, raw)] {
            if side == Side::File {
                let v = views.entry(side).or_default();
                for (id, f) in after {
                    v.insert(id.clone(), f.clone());
                }
            } else {
                views.insert(side, after.clone());
            }
        }
    }

    /// What each remote side held at the last read, as it holds it (every owner included).
    pub fn raw_remotes(&self) -> BTreeMap<Side, View> {
        self.raw.iter().filter(|(s, _)| **s != Side::File).map(|(s, v)| (*s, v.clone())).collect()
    }

    /// An owner a remote held all along (before this run) where the file named someone that remote
    /// could not carry (the engine's view left it out, so the sides looked agreed), taken by a
    /// policy decision a conflict names: after the state was lost there is no base, and the
    /// README's rule "No base, no guess" settles every difference by the policy (finding 32).
    fn standing(&self, id: &str, field: &str, value: &str) -> bool {
        field == "owner"
            && self.named.contains(&(id.to_string(), field.to_string(), value.to_string()))
            && self
                .raw
                .iter()
                .filter(|(s, _)| **s != Side::File)
                .any(|(_, raw)| raw.get(id).and_then(|f| f.get(field)).is_some_and(|v| v == value))
    }

    pub fn name(&mut self, id: &str, field: &str, value: &str) {
        self.named.insert((id.to_string(), field.to_string(), value.to_string()));
    }

    pub fn violation(&mut self, what: String) {
        self.violations.push(what);
    }

    /// The properties of a clean run. `sides` is what each side holds now; `open` the open manual
    /// conflicts (item, field); `file_before` the file view before the run; `manual` the policy.
    pub fn check_clean(
        &mut self,
        sides: &BTreeMap<Side, View>,
        unreadable: &BTreeSet<String>,
        open: &BTreeSet<(String, String)>,
        file_before: &View,
        manual: bool,
    ) {
        let files = sides.get(&Side::File).cloned().unwrap_or_default();
        for (id, fields) in &files {
            if self.gone.contains(id) || unreadable.contains(id) || fields.get("state").is_some_and(|s| s == "removed")
            {
                continue;
            }
            for remote in [Side::Github, Side::Boards] {
                if !sides.get(&remote).is_some_and(|v| v.contains_key(id)) {
                    self.violation(format!("{id}: no remote item on {remote:?} after a clean run"));
                }
            }
            for (field, value) in fields {
                if field == "epic" && (unreadable.contains(value) || self.gone.contains(value)) {
                    continue; // an unreadable or deleted epic has nothing to link to remotely
                }
                let mut values = vec![(Side::File, value.clone())];
                for remote in [Side::Github, Side::Boards] {
                    if let Some(v) = sides.get(&remote).and_then(|v| v.get(id)).and_then(|f| f.get(field)) {
                        values.push((remote, v.clone()));
                    }
                }
                let key = (id.clone(), field.clone());
                let agree = values.iter().all(|(_, v)| v == value);
                if !agree {
                    if open.contains(&key) {
                        let was = file_before.get(id).and_then(|f| f.get(field));
                        if manual && was.is_some_and(|w| w != value) {
                            self.violation(format!(
                                "{id}.{field}: under manual the file took {value:?} (was {was:?}) while the field is in conflict"
                            ));
                        }
                        continue;
                    }
                    self.violation(format!("{id}.{field}: sides disagree after a clean run: {values:?}"));
                    continue;
                }
                let st = self.fields.entry(key.clone()).or_default();
                let pending = std::mem::take(&mut st.pending);
                let agreed = st.agreed.replace(value.clone());
                if pending.is_empty() {
                    if let Some(a) = agreed
                        && &a != value
                        && !self.standing(id, field, value)
                    {
                        self.violation(format!("{id}.{field}: changed from {a:?} to {value:?} with no edit"));
                    }
                    continue;
                }
                let mut later_ok = false;
                for e in pending.iter().rev() {
                    let ok = &e.value == value
                        || self.named.contains(&(id.clone(), field.clone(), e.value.clone()))
                        || later_ok;
                    if !ok {
                        self.violation(format!(
                            "{id}.{field}: the edit {:?} made on {:?} (op {}) is lost: every side holds {value:?} and no conflict names it",
                            e.value, e.side, e.seq
                        ));
                    }
                    later_ok |= ok;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: &str) -> View {
        let mut f = backlog_sync::mapping::FieldMap::default();
        f.insert("state".into(), state.into());
        View::from([("ST-2".to_string(), f)])
    }

    /// A model whose three sides agreed on ST-2's state "new" after a clean run.
    fn agreed_on_new() -> Model {
        let mut m = Model::default();
        m.record(0, Side::File, &view("new"), &view("new"));
        let sides =
            BTreeMap::from([(Side::File, view("new")), (Side::Github, view("new")), (Side::Boards, view("new"))]);
        m.check_clean(&sides, &BTreeSet::new(), &BTreeSet::new(), &view("new"), false);
        run_ends(&mut m, "new", "new", "new");
        m
    }

    /// The reads that end a run (any run: clean, under faults, or killed halfway).
    fn run_ends(m: &mut Model, file: &str, github: &str, boards: &str) {
        for (side, v) in [(Side::File, view(file)), (Side::Github, view(github)), (Side::Boards, view(boards))] {
            m.merge_view(side, &v, &v);
        }
    }

    fn all_active(m: &mut Model) -> Vec<String> {
        let sides = BTreeMap::from([
            (Side::File, view("active")),
            (Side::Github, view("active")),
            (Side::Boards, view("active")),
        ]);
        m.check_clean(&sides, &BTreeSet::new(), &BTreeSet::new(), &view("active"), false);
        std::mem::take(&mut m.violations)
    }

    #[test]
    fn a_side_set_back_to_what_it_held_before_any_run_leaves_no_edit_to_keep() {
        let mut m = agreed_on_new();
        m.record(1, Side::Github, &view("closed"), &view("closed"));
        m.record(2, Side::File, &view("active"), &view("active"));
        m.record(3, Side::Github, &view("new"), &view("new"));
        assert_eq!(all_active(&mut m), Vec::<String>::new());
    }

    #[test]
    fn a_side_set_back_after_a_run_that_may_have_read_it_is_an_edit_to_keep() {
        // The run between may be killed halfway or meet faults (no clean check): it may have
        // read "closed", so GitHub's "new" is an edit of its own.
        let mut m = agreed_on_new();
        m.record(1, Side::Github, &view("closed"), &view("closed"));
        run_ends(&mut m, "new", "closed", "new");
        m.record(2, Side::File, &view("active"), &view("active"));
        m.record(3, Side::Github, &view("new"), &view("new"));
        let violations = all_active(&mut m);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(violations[0].contains(r#"the edit "new" made on Github (op 3) is lost"#), "{violations:?}");
    }
}
