//! A progress line for long command-line jobs (seeding, reindexing):
//! redrawn in place on a terminal, one line per step in a log.

use std::io::{IsTerminal, Write};

pub struct Progress {
    total: usize,
    verb: &'static str,
    what: &'static str,
    terminal: bool,
}

impl Progress {
    /// "`verb` done/total `what`", e.g. "indexed 500/100000 stories".
    pub fn new(total: usize, verb: &'static str, what: &'static str) -> Progress {
        Progress {
            total,
            verb,
            what,
            terminal: std::io::stdout().is_terminal(),
        }
    }

    pub fn show(&self, done: usize) {
        let end = if self.terminal { "\r" } else { "\n" };
        print!("{} {done}/{} {}{end}", self.verb, self.total, self.what);
        let _ = std::io::stdout().flush();
    }

    pub fn finish(&self) {
        if self.terminal {
            println!();
        }
    }
}
