//! The Azure DevOps twin over real HTTP on 127.0.0.1: its answers checked against the WIT and Wiki
//! 7.1 Swagger and the spec's own HTTP examples, and its behaviour (optimistic concurrency, WIQL,
//! limits, state rules, links, comments, wiki ETags, auth, throttling, faults, service hooks,
//! counters).

mod batch;
mod contract;
mod control;
mod examples;
mod examples_wit;
mod hooks;
mod queries;
mod schemas;
mod strict;
mod support;
mod wiki;
mod workitems;
