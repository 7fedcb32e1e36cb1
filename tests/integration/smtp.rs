//! A real SMTP server in its own process for the mail tests:
//! `tests/smtp/relay.py` on aiosmtpd (Debian's python3-aiosmtpd, or from
//! PyPI) writing what it accepts into a maildir, read back and parsed with
//! an independent parser; it can answer 4xx or 5xx on purpose.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::skip_or_fail;

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// The Python that has aiosmtpd: Debian's first (pyenv shims may hide it).
fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How the relay should misbehave.
#[derive(Default)]
pub struct Misbehaviour {
    /// "451 try again later" for the first this many recipients.
    pub tempfail: usize,
    /// "550 no such user" for these addresses.
    pub reject: Vec<String>,
}

impl SmtpSink {
    /// None (after a notice) when aiosmtpd is not installed.
    pub fn start() -> Option<SmtpSink> {
        SmtpSink::start_with(Misbehaviour::default())
    }

    pub fn start_with(misbehaviour: Misbehaviour) -> Option<SmtpSink> {
        SmtpSink::start_on(free_port(), misbehaviour)
    }

    /// On a given port (a relay that comes back where it was).
    pub fn start_on(port: u16, misbehaviour: Misbehaviour) -> Option<SmtpSink> {
        let Some(python) = python() else {
            skip_or_fail(
                "SMTP tests",
                "aiosmtpd is not installed (apt-get install python3-aiosmtpd, or pip install aiosmtpd)",
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/relay.py");
        let mut command = Command::new(python);
        command
            .arg(script)
            .args(["--port", &port.to_string()])
            .arg("--maildir")
            .arg(dir.path().join("box"))
            .args(["--tempfail", &misbehaviour.tempfail.to_string()]);
        for address in &misbehaviour.reject {
            command.args(["--reject", address]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(SmtpSink { child, port, dir })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("box").join("new")
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        read_all(&self.maildir())
    }

    /// Waits until at least `n` messages arrived (or fails after `within`).
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{} message(s) arrived, {n} expected",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn read_all(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
