//! Lint output: a table for people, JSON for programs, GitHub workflow annotations for CI.
