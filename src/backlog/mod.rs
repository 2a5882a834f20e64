//! The backlog folder: read, validate and write canonical items.
