//! The newsroom's rules, as plain Rust over the store: what a valid story is,
//! how slugs are chosen and kept, what may be published.

pub mod accounts;
pub mod activity;
pub mod admin_tokens;
pub mod diff;
pub mod editing;
pub mod front_page;
pub mod ghost;
pub mod integrations;
pub mod live;
pub mod lookups;
pub mod media;
pub mod pages;
pub mod permissions;
pub mod publishing;
pub mod readership;
pub mod related;
pub mod search;
pub mod sending;
pub mod settings;
pub mod subscriptions;
pub mod taxonomy;
pub mod throttles;
pub mod webhook_events;
pub mod webhooks;
