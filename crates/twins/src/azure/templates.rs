//! The built-in process templates as data: each process's work item types with their states
//! (category, colour, reason) and the fields each type adds to the core ones.

use super::process::{StateDef, WorkItemTypeDef};

const fn st(name: &'static str, category: &'static str, color: &'static str, reason: &'static str) -> StateDef {
    StateDef { name, category, color, reason }
}

const GREY: &str = "b2b2b2";
const BLUE: &str = "007acc";
const ORANGE: &str = "ff9d00";
const GREEN: &str = "339933";
const WHITE: &str = "ffffff";

const ACCEPTANCE: &str = "Microsoft.VSTS.Common.AcceptanceCriteria";
const VALUE_AREA: &str = "Microsoft.VSTS.Common.ValueArea";
const RISK: &str = "Microsoft.VSTS.Common.Risk";
const SEVERITY: &str = "Microsoft.VSTS.Common.Severity";
const BUSINESS_VALUE: &str = "Microsoft.VSTS.Common.BusinessValue";
const TIME_CRITICALITY: &str = "Microsoft.VSTS.Common.TimeCriticality";
const STORY_POINTS: &str = "Microsoft.VSTS.Scheduling.StoryPoints";
const EFFORT: &str = "Microsoft.VSTS.Scheduling.Effort";
const SIZE: &str = "Microsoft.VSTS.Scheduling.Size";
const REMAINING: &str = "Microsoft.VSTS.Scheduling.RemainingWork";
const ORIGINAL: &str = "Microsoft.VSTS.Scheduling.OriginalEstimate";
const COMPLETED: &str = "Microsoft.VSTS.Scheduling.CompletedWork";
const START: &str = "Microsoft.VSTS.Scheduling.StartDate";
const TARGET: &str = "Microsoft.VSTS.Scheduling.TargetDate";
const ACTIVITY: &str = "Microsoft.VSTS.Common.Activity";
const REPRO: &str = "Microsoft.VSTS.TCM.ReproSteps";
const SYSTEM_INFO: &str = "Microsoft.VSTS.TCM.SystemInfo";
const CLOSED_DATE: &str = "Microsoft.VSTS.Common.ClosedDate";
const RESOLVED_DATE: &str = "Microsoft.VSTS.Common.ResolvedDate";
const ACTIVATED_DATE: &str = "Microsoft.VSTS.Common.ActivatedDate";

const PLANNING: &[&str] = &[
    ACCEPTANCE,
    VALUE_AREA,
    RISK,
    BUSINESS_VALUE,
    TIME_CRITICALITY,
    START,
    TARGET,
    ACTIVATED_DATE,
    RESOLVED_DATE,
    CLOSED_DATE,
];

const AGILE_STATES: &[StateDef] = &[
    st("New", "Proposed", GREY, "New"),
    st("Active", "InProgress", BLUE, "Implementation started"),
    st("Resolved", "Resolved", ORANGE, "Code complete and unit tests pass"),
    st("Closed", "Completed", GREEN, "Acceptance tests pass"),
    st("Removed", "Removed", WHITE, "Removed from the backlog"),
];

pub(super) const AGILE: &[WorkItemTypeDef] = &[
    WorkItemTypeDef {
        name: "Epic",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Epic",
        description: "Epics help teams effectively manage and groom their product backlog",
        color: "FF7B00",
        icon: "icon_crown",
        category: "Microsoft.EpicCategory",
        states: AGILE_STATES,
        fields: &[
            ACCEPTANCE,
            VALUE_AREA,
            RISK,
            BUSINESS_VALUE,
            TIME_CRITICALITY,
            EFFORT,
            START,
            TARGET,
            ACTIVATED_DATE,
            RESOLVED_DATE,
            CLOSED_DATE,
        ],
    },
    WorkItemTypeDef {
        name: "Feature",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Feature",
        description: "Tracks a feature that will be released with the product",
        color: "773B93",
        icon: "icon_trophy",
        category: "Microsoft.FeatureCategory",
        states: AGILE_STATES,
        fields: &[
            ACCEPTANCE,
            VALUE_AREA,
            RISK,
            BUSINESS_VALUE,
            TIME_CRITICALITY,
            EFFORT,
            START,
            TARGET,
            ACTIVATED_DATE,
            RESOLVED_DATE,
            CLOSED_DATE,
        ],
    },
    WorkItemTypeDef {
        name: "User Story",
        reference_name: "Microsoft.VSTS.WorkItemTypes.UserStory",
        description: "Tracks an activity the user will be able to perform with the product",
        color: "009CCC",
        icon: "icon_book",
        category: "Microsoft.RequirementCategory",
        states: AGILE_STATES,
        fields: &[
            STORY_POINTS,
            ACCEPTANCE,
            VALUE_AREA,
            RISK,
            START,
            TARGET,
            ACTIVATED_DATE,
            RESOLVED_DATE,
            CLOSED_DATE,
        ],
    },
    WorkItemTypeDef {
        name: "Task",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Task",
        description: "Tracks work that needs to be done.",
        color: "F2CB1D",
        icon: "icon_clipboard",
        category: "Microsoft.TaskCategory",
        states: &[
            st("New", "Proposed", GREY, "New"),
            st("Active", "InProgress", BLUE, "Work started"),
            st("Closed", "Completed", GREEN, "Completed"),
            st("Removed", "Removed", WHITE, "Removed from the backlog"),
        ],
        fields: &[REMAINING, ORIGINAL, COMPLETED, ACTIVITY, ACTIVATED_DATE, CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Bug",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Bug",
        description: "Describes a divergence between required and actual behavior, and tracks the work done to correct the defect and verify the correction.",
        color: "CC293D",
        icon: "icon_insect",
        category: "Microsoft.BugCategory",
        states: &[
            st("New", "Proposed", GREY, "New"),
            st("Active", "InProgress", BLUE, "Approved"),
            st("Resolved", "Resolved", ORANGE, "Fixed"),
            st("Closed", "Completed", GREEN, "Verified"),
        ],
        fields: &[
            REPRO,
            SYSTEM_INFO,
            SEVERITY,
            STORY_POINTS,
            ACCEPTANCE,
            VALUE_AREA,
            ACTIVATED_DATE,
            RESOLVED_DATE,
            CLOSED_DATE,
        ],
    },
    WorkItemTypeDef {
        name: "Issue",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Issue",
        description: "Tracks an obstacle to progress.",
        color: "B4009E",
        icon: "icon_traffic_cone",
        category: "Microsoft.HiddenCategory",
        states: &[st("Active", "InProgress", BLUE, "New"), st("Closed", "Completed", GREEN, "Resolved")],
        fields: &["Microsoft.VSTS.Scheduling.DueDate", CLOSED_DATE],
    },
];

const SCRUM_PLANNING_STATES: &[StateDef] = &[
    st("New", "Proposed", GREY, "New"),
    st("In Progress", "InProgress", BLUE, "Implementation started"),
    st("Done", "Completed", GREEN, "Acceptance tests pass"),
    st("Removed", "Removed", WHITE, "Removed from the backlog"),
];

const SCRUM_BACKLOG_STATES: &[StateDef] = &[
    st("New", "Proposed", GREY, "New backlog item"),
    st("Approved", "Proposed", GREY, "Approved by the Product Owner"),
    st("Committed", "InProgress", BLUE, "Commitment made by the team"),
    st("Done", "Completed", GREEN, "Work finished"),
    st("Removed", "Removed", WHITE, "Removed from the backlog"),
];

pub(super) const SCRUM: &[WorkItemTypeDef] = &[
    WorkItemTypeDef {
        name: "Epic",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Epic",
        description: "Epics help teams effectively manage and groom their product backlog",
        color: "FF7B00",
        icon: "icon_crown",
        category: "Microsoft.EpicCategory",
        states: SCRUM_PLANNING_STATES,
        fields: &[ACCEPTANCE, VALUE_AREA, BUSINESS_VALUE, TIME_CRITICALITY, EFFORT, START, TARGET, CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Feature",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Feature",
        description: "Tracks a feature that will be released with the product",
        color: "773B93",
        icon: "icon_trophy",
        category: "Microsoft.FeatureCategory",
        states: SCRUM_PLANNING_STATES,
        fields: &[ACCEPTANCE, VALUE_AREA, BUSINESS_VALUE, TIME_CRITICALITY, EFFORT, START, TARGET, CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Product Backlog Item",
        reference_name: "Microsoft.VSTS.WorkItemTypes.ProductBacklogItem",
        description: "Tracks an activity the user will be able to perform with the product",
        color: "009CCC",
        icon: "icon_list",
        category: "Microsoft.RequirementCategory",
        states: SCRUM_BACKLOG_STATES,
        fields: &[EFFORT, ACCEPTANCE, BUSINESS_VALUE, VALUE_AREA, CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Task",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Task",
        description: "Tracks work that needs to be done.",
        color: "F2CB1D",
        icon: "icon_clipboard",
        category: "Microsoft.TaskCategory",
        states: &[
            st("To Do", "Proposed", GREY, "New task"),
            st("In Progress", "InProgress", BLUE, "Work started"),
            st("Done", "Completed", GREEN, "Work finished"),
            st("Removed", "Removed", WHITE, "Removed from the backlog"),
        ],
        fields: &[REMAINING, ACTIVITY, CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Bug",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Bug",
        description: "Describes a divergence between required and actual behavior, and tracks the work done to correct the defect and verify the correction.",
        color: "CC293D",
        icon: "icon_insect",
        category: "Microsoft.BugCategory",
        states: &[
            st("New", "Proposed", GREY, "New defect reported"),
            st("Approved", "Proposed", GREY, "Approved by the Product Owner"),
            st("Committed", "InProgress", BLUE, "Commitment made by the team"),
            st("Done", "Completed", GREEN, "Work finished"),
            st("Removed", "Removed", WHITE, "Removed from the backlog"),
        ],
        fields: &[EFFORT, REPRO, SYSTEM_INFO, SEVERITY, ACCEPTANCE, VALUE_AREA, CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Impediment",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Impediment",
        description: "Tracks an obstacle to progress.",
        color: "B4009E",
        icon: "icon_traffic_cone",
        category: "Microsoft.HiddenCategory",
        states: &[
            st("Open", "InProgress", BLUE, "New impediment"),
            st("Closed", "Completed", GREEN, "Impediment removed"),
        ],
        fields: &["Microsoft.VSTS.Common.Resolution", CLOSED_DATE],
    },
];

const CMMI_STATES: &[StateDef] = &[
    st("Proposed", "Proposed", GREY, "New"),
    st("Active", "InProgress", BLUE, "Accepted"),
    st("Resolved", "Resolved", ORANGE, "Code complete and unit tests pass"),
    st("Closed", "Completed", GREEN, "Validation tests pass"),
    st("Removed", "Removed", WHITE, "Removed from the backlog"),
];

const CMMI_FOUR: &[StateDef] = &[
    st("Proposed", "Proposed", GREY, "New"),
    st("Active", "InProgress", BLUE, "Accepted"),
    st("Resolved", "Resolved", ORANGE, "Fixed"),
    st("Closed", "Completed", GREEN, "Verified"),
];

pub(super) const CMMI: &[WorkItemTypeDef] = &[
    WorkItemTypeDef {
        name: "Epic",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Epic",
        description: "Epics help teams effectively manage and groom their product backlog",
        color: "FF7B00",
        icon: "icon_crown",
        category: "Microsoft.EpicCategory",
        states: CMMI_STATES,
        fields: PLANNING,
    },
    WorkItemTypeDef {
        name: "Feature",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Feature",
        description: "Tracks a feature that will be released with the product",
        color: "773B93",
        icon: "icon_trophy",
        category: "Microsoft.FeatureCategory",
        states: CMMI_STATES,
        fields: PLANNING,
    },
    WorkItemTypeDef {
        name: "Requirement",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Requirement",
        description: "Captures and tracks what the product needs to do to solve the customer problem.",
        color: "009CCC",
        icon: "icon_book",
        category: "Microsoft.RequirementCategory",
        states: &[
            st("Proposed", "Proposed", GREY, "New"),
            st("Active", "InProgress", BLUE, "Accepted"),
            st("Resolved", "Resolved", ORANGE, "Code complete and unit tests pass"),
            st("Closed", "Completed", GREEN, "Validation tests pass"),
        ],
        fields: &[
            SIZE,
            ACCEPTANCE,
            VALUE_AREA,
            "Microsoft.VSTS.CMMI.RequirementType",
            "Microsoft.VSTS.CMMI.Blocked",
            TARGET,
            ACTIVATED_DATE,
            RESOLVED_DATE,
            CLOSED_DATE,
        ],
    },
    WorkItemTypeDef {
        name: "Task",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Task",
        description: "Tracks work that needs to be done.",
        color: "F2CB1D",
        icon: "icon_clipboard",
        category: "Microsoft.TaskCategory",
        states: &[
            st("Proposed", "Proposed", GREY, "New"),
            st("Active", "InProgress", BLUE, "Accepted"),
            st("Resolved", "Resolved", ORANGE, "Complete and Requires Review/Test"),
            st("Closed", "Completed", GREEN, "Completed"),
        ],
        fields: &[
            REMAINING,
            ORIGINAL,
            COMPLETED,
            "Microsoft.VSTS.CMMI.TaskType",
            "Microsoft.VSTS.Common.Discipline",
            "Microsoft.VSTS.CMMI.Blocked",
            CLOSED_DATE,
        ],
    },
    WorkItemTypeDef {
        name: "Bug",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Bug",
        description: "Describes a divergence between required and actual behavior, and tracks the work done to correct the defect and verify the correction.",
        color: "CC293D",
        icon: "icon_insect",
        category: "Microsoft.BugCategory",
        states: CMMI_FOUR,
        fields: &[REPRO, SYSTEM_INFO, SEVERITY, SIZE, "Microsoft.VSTS.CMMI.Blocked", CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Change Request",
        reference_name: "Microsoft.VSTS.WorkItemTypes.ChangeRequest",
        description: "Tracks a proposed change to the product.",
        color: "4F9D9D",
        icon: "icon_chat_bubble",
        category: "Microsoft.ChangeRequestCategory",
        states: CMMI_FOUR,
        fields: &["Microsoft.VSTS.CMMI.Justification", "Microsoft.VSTS.CMMI.Blocked", CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Issue",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Issue",
        description: "Tracks an obstacle to progress.",
        color: "B4009E",
        icon: "icon_traffic_cone",
        category: "Microsoft.HiddenCategory",
        states: CMMI_FOUR,
        fields: &["Microsoft.VSTS.CMMI.Escalate", "Microsoft.VSTS.Scheduling.DueDate", CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Review",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Review",
        description: "Tracks a meeting that reviews work.",
        color: "60AF49",
        icon: "icon_review",
        category: "Microsoft.ReviewCategory",
        states: &[st("Active", "InProgress", BLUE, "New"), st("Closed", "Completed", GREEN, "Accepted (as is)")],
        fields: &["Microsoft.VSTS.CMMI.Minutes", CLOSED_DATE],
    },
    WorkItemTypeDef {
        name: "Risk",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Risk",
        description: "Tracks a possible event that could jeopardize the project and the plan to mitigate it.",
        color: "5C197B",
        icon: "icon_government",
        category: "Microsoft.RiskCategory",
        states: &[
            st("Proposed", "Proposed", GREY, "New"),
            st("Active", "InProgress", BLUE, "Accepted"),
            st("Resolved", "Resolved", ORANGE, "Mitigated"),
            st("Closed", "Completed", GREEN, "Mitigated"),
        ],
        fields: &[
            "Microsoft.VSTS.CMMI.Probability",
            SEVERITY,
            "Microsoft.VSTS.CMMI.MitigationPlan",
            "Microsoft.VSTS.CMMI.ContingencyPlan",
            "Microsoft.VSTS.CMMI.MitigationTriggers",
            "Microsoft.VSTS.CMMI.Blocked",
            CLOSED_DATE,
        ],
    },
];

const BASIC_STATES: &[StateDef] = &[
    st("To Do", "Proposed", GREY, "Added to backlog"),
    st("Doing", "InProgress", BLUE, "Started"),
    st("Done", "Completed", GREEN, "Completed"),
];

pub(super) const BASIC: &[WorkItemTypeDef] = &[
    WorkItemTypeDef {
        name: "Epic",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Epic",
        description: "Epics help teams effectively manage and groom their product backlog",
        color: "FF7B00",
        icon: "icon_crown",
        category: "Microsoft.EpicCategory",
        states: BASIC_STATES,
        fields: &[EFFORT, START, TARGET],
    },
    WorkItemTypeDef {
        name: "Issue",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Issue",
        description: "Tracks work the team will do, as an issue.",
        color: "339947",
        icon: "icon_clipboard_issue",
        category: "Microsoft.RequirementCategory",
        states: BASIC_STATES,
        fields: &[EFFORT],
    },
    WorkItemTypeDef {
        name: "Task",
        reference_name: "Microsoft.VSTS.WorkItemTypes.Task",
        description: "Tracks work that needs to be done.",
        color: "F2CB1D",
        icon: "icon_clipboard",
        category: "Microsoft.TaskCategory",
        states: BASIC_STATES,
        fields: &[REMAINING, ACTIVITY],
    },
];
