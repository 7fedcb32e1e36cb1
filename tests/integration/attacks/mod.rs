//! What is defended: each test here is an attack that once worked, named
//! after it, tried over real HTTP the way an outsider, a contributor, an
//! author or an integration key would try it (on both databases where the
//! database takes part). Read the names as the list of what Masthead holds
//! against; SECURITY.md says the same in prose, with the limits.

mod accounts;
mod availability;
mod claims;
mod rendering;
mod uploads;

use std::process::{Child, Command, Stdio};

use masthead::model::accounts::Role;
use masthead::services::admin_tokens::AdminKey;
use masthead::services::integrations;

use crate::common::{TestSite, block_on, serving_url, terminate};

/// `masthead serve --demo` as its own process: what a crash would take
/// down is then the server alone, and the test sees it.
pub struct Served {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Served {
    pub fn start() -> Served {
        Served::start_with("", "warn")
    }

    /// With `config` as its masthead.toml.
    pub fn start_with_config(config: &str) -> Served {
        Served::start_with(config, "warn")
    }

    /// Logging every request (what `stop` then returns).
    pub fn start_logging() -> Served {
        Served::start_with("", "info")
    }

    fn start_with(config: &str, log: &str) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let config_file = dir.path().join("masthead.toml");
        std::fs::write(&config_file, config).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_masthead"));
        for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("MASTHEAD_")) {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config_file)
            .env("MASTHEAD_DATA_DIR", dir.path())
            .env("MASTHEAD_LOG", log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("masthead starts");
        let url = serving_url(&mut child);
        Served { child, url, dir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("the child can be waited for")
            .is_none()
    }

    /// What the server printed on standard error (after it stopped).
    pub fn stop(&mut self) -> String {
        if self.alive() {
            terminate(&mut self.child);
        }
        let mut text = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut text);
        }
        text
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("masthead.db").display())
    }

    /// The Admin API key of a new integration acting as `role`.
    pub fn admin_key(&self, role: Role) -> AdminKey {
        let store = block_on(masthead::store::Store::connect(&self.database_url())).unwrap();
        let created = block_on(integrations::create(&store, None, "Attacker", role)).unwrap();
        block_on(store.close());
        AdminKey::parse(&created.admin_key).unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // A failed test still stops its server.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An integration's Admin API key on a test site.
pub fn admin_key(site: &TestSite, name: &str, role: Role) -> AdminKey {
    let created = block_on(integrations::create(&site.store, None, name, role)).unwrap();
    AdminKey::parse(&created.admin_key).unwrap()
}

/// `Authorization: Ghost <token>` for a key, signed now.
pub fn ghost_auth(site_clock_now: i64, key: &AdminKey) -> String {
    format!("Ghost {}", key.sign(site_clock_now))
}
