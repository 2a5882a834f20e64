//! Regressions of the data-loss paths of issue 13: each test is named after what it guards and
//! acts as a person would, through the twins' REST APIs and the files.

mod world;

mod identities;
mod inbound;
mod removals;
mod sentence;
mod unreadable;
