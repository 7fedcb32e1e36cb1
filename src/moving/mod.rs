//! Moving a publication in and out: importers from other platforms, the
//! lossless export, a Ghost-format export, backups and copies between
//! databases.

pub mod backup;
pub mod masthead_format;
