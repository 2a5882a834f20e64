//! Table tests of the summary model over small backlogs written to a temporary folder.
