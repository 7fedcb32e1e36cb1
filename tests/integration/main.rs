//! Masthead's integration suite: one test binary (fast to link on 2 cores).
//!
//! Every site test runs twice, on SQLite and on PostgreSQL, against a server
//! started in-process and spoken to over real HTTP. PostgreSQL tests use
//! 127.0.0.1:5432 with a fresh database each; without a server they are
//! skipped with a notice, unless MASTHEAD_REQUIRE_ALL=1 (set by CI) makes
//! every skip a failure.

mod api;
mod attacks;
mod browser;
mod cli;
mod common;
mod content;
mod corrections;
mod desk;
mod desk_admin;
mod desk_rules;
mod discovery;
mod editor;
mod events;
mod http;
mod jobs;
mod live;
mod media;
mod moving;
mod newsletter;
mod newsroom;
mod objects;
mod ops;
mod pages;
mod permissions;
mod publishing;
mod readership;
mod scaleout;
mod schema;
mod smtp;
mod surfaces;
