//! The four built-in processes (Agile, Scrum, CMMI, Basic): their work item types, each type's
//! states (with category, colour and the reason a move into the state records) and extra fields.
//!
//! Inherited processes allow a move between any two states of a type; a new item starts in the
//! first state (the `""` → initial transition is the only one out of nothing).

use serde::{Deserialize, Serialize};

use super::templates::{AGILE, BASIC, CMMI, SCRUM};

/// A project's process template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Process {
    /// Epics, features, user stories, tasks, bugs, issues.
    #[default]
    Agile,
    /// Epics, features, product backlog items, tasks, bugs, impediments.
    Scrum,
    /// Epics, features, requirements, tasks, bugs, change requests, issues, reviews, risks.
    #[serde(alias = "CMMI")]
    Cmmi,
    /// Epics, issues, tasks.
    Basic,
}

impl Process {
    /// Parses a process name as people write it (`agile`, `Scrum`, `CMMI`, `basic`).
    pub fn parse(name: &str) -> Option<Process> {
        match name.trim().to_ascii_lowercase().as_str() {
            "agile" => Some(Process::Agile),
            "scrum" => Some(Process::Scrum),
            "cmmi" => Some(Process::Cmmi),
            "basic" => Some(Process::Basic),
            _ => None,
        }
    }

    /// The process's display name.
    pub fn name(self) -> &'static str {
        match self {
            Process::Agile => "Agile",
            Process::Scrum => "Scrum",
            Process::Cmmi => "CMMI",
            Process::Basic => "Basic",
        }
    }

    /// The work item types of the process, in the order the service lists them.
    pub fn types(self) -> &'static [WorkItemTypeDef] {
        match self {
            Process::Agile => AGILE,
            Process::Scrum => SCRUM,
            Process::Cmmi => CMMI,
            Process::Basic => BASIC,
        }
    }

    /// Finds a type by name, ignoring case (`user story` finds `User Story`).
    pub fn find_type(self, name: &str) -> Option<&'static WorkItemTypeDef> {
        self.types().iter().find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }
}

/// One state of a work item type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateDef {
    /// The state name (`Active`).
    pub name: &'static str,
    /// Its category: `Proposed`, `InProgress`, `Resolved`, `Completed` or `Removed`.
    pub category: &'static str,
    /// Its board colour (hex without `#`).
    pub color: &'static str,
    /// The reason recorded when an item moves into the state.
    pub reason: &'static str,
}

/// One work item type of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkItemTypeDef {
    /// Display name (`User Story`).
    pub name: &'static str,
    /// Reference name (`Microsoft.VSTS.WorkItemTypes.UserStory`).
    pub reference_name: &'static str,
    /// What the type is for.
    pub description: &'static str,
    /// Colour (hex without `#`).
    pub color: &'static str,
    /// Icon id (`icon_book`).
    pub icon: &'static str,
    /// The backlog category reference name.
    pub category: &'static str,
    /// States, the first one being where new items start.
    pub states: &'static [StateDef],
    /// Fields beyond the ones every type has (see `fields::CORE_FIELDS`).
    pub fields: &'static [&'static str],
}

impl WorkItemTypeDef {
    /// The state a new item starts in.
    pub fn initial_state(&self) -> &'static StateDef {
        &self.states[0]
    }

    /// Finds a state by name, ignoring case.
    pub fn find_state(&self, name: &str) -> Option<&'static StateDef> {
        self.states.iter().find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    }

    /// Whether the type carries `field` (a reference name) beyond the core fields.
    pub fn has_extra_field(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f.eq_ignore_ascii_case(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_process_has_its_types_and_initial_states() {
        let cases = [
            (Process::Agile, "User Story", "New", 5),
            (Process::Agile, "Task", "New", 4),
            (Process::Agile, "Bug", "New", 4),
            (Process::Agile, "Issue", "Active", 2),
            (Process::Scrum, "Product Backlog Item", "New", 5),
            (Process::Scrum, "Task", "To Do", 4),
            (Process::Scrum, "Impediment", "Open", 2),
            (Process::Cmmi, "Requirement", "Proposed", 4),
            (Process::Cmmi, "Risk", "Proposed", 4),
            (Process::Basic, "Issue", "To Do", 3),
            (Process::Basic, "Epic", "To Do", 3),
        ];
        for (process, name, initial, count) in cases {
            let t = process.find_type(&name.to_lowercase()).expect(name);
            assert_eq!(t.name, name);
            assert_eq!(t.initial_state().name, initial, "{process:?} {name}");
            assert_eq!(t.states.len(), count, "{process:?} {name}");
        }
        assert!(Process::Scrum.find_type("User Story").is_none());
        assert!(Process::Basic.find_type("Feature").is_none());
    }

    #[test]
    fn estimates_follow_the_process() {
        let points = "Microsoft.VSTS.Scheduling.StoryPoints";
        let effort = "Microsoft.VSTS.Scheduling.Effort";
        let size = "Microsoft.VSTS.Scheduling.Size";
        assert!(Process::Agile.find_type("User Story").unwrap().has_extra_field(points));
        assert!(Process::Scrum.find_type("Product Backlog Item").unwrap().has_extra_field(effort));
        assert!(Process::Cmmi.find_type("Requirement").unwrap().has_extra_field(size));
        assert!(Process::Basic.find_type("Issue").unwrap().has_extra_field(effort));
        assert!(!Process::Scrum.find_type("Product Backlog Item").unwrap().has_extra_field(points));
    }

    #[test]
    fn parses_process_names() {
        assert_eq!(Process::parse("CMMI"), Some(Process::Cmmi));
        assert_eq!(Process::parse(" agile "), Some(Process::Agile));
        assert_eq!(Process::parse("kanban"), None);
        assert_eq!(Process::Scrum.find_type("task").unwrap().find_state("in progress").unwrap().name, "In Progress");
    }
}
