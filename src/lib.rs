//! Masthead: a publishing platform for independent newsrooms.
//!
//! The layers, top to bottom: `web` (HTTP surfaces) → `services` (the
//! newsroom's rules) → `store` (SQL on SQLite or PostgreSQL). `theme` renders
//! view models; `model` is the plain content shared by all.

// The API's resources are written as `json!` literals of Ghost's many fields.
#![recursion_limit = "256"]

pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod demo;
pub mod failure;
pub mod imaging;
pub mod jobs;
pub mod mail;
pub mod memory;
pub mod model;
pub mod moving;
pub mod progress;
pub mod server;
pub mod services;
pub mod storage;
pub mod store;
pub mod theme;
pub mod urls;
pub mod web;
