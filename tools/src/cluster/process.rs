//! Node processes: started detached (own process group, output to the node's
//! log) so the CLI can exit while they run; signalled with the system `kill`
//! command by pid; alive while `/proc/PID` shows a non-zombie `sibyld`.
//!
//! A pid read from the state file may have been reused by another program
//! since: [`is_node`] checks the process's command line names the node's
//! data directory before anything is signalled.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `binary args...` detached, appending its output to `log`.
///
/// # Errors
/// The log cannot be opened or the process cannot be started.
pub fn spawn(binary: &Path, args: &[String], log: &Path) -> std::io::Result<Child> {
    let out = File::options().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    let mut command = Command::new(binary);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .env("SIBYL_LOG", log_filter());
    command.spawn()
}

/// The node's log filter: the caller's, with the node's own start-up line
/// always kept (readiness is read from it).
fn log_filter() -> String {
    let base = std::env::var("SIBYL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    if base.trim().is_empty() {
        "info".to_owned()
    } else {
        format!("{base},sibyl_server::node=info")
    }
}

/// Sends `signal` (`TERM`, `KILL`, `STOP`, `CONT`) to `pid`.
///
/// # Errors
/// A message when `kill` fails (no such process, no permission).
pub fn signal(pid: u32, signal: &str) -> Result<(), String> {
    let output = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running kill: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "kill -{signal} {pid}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// True while `pid` is a live (not zombie) process.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) if Path::new("/proc/self").exists() => false,
        // No procfs: ask the kernel whether the pid exists.
        Err(_) => signal(pid, "0").is_ok(),
    }
}

/// True when `pid` runs with `data_dir` on its command line (so it is the
/// node, not a process that reused its pid); true when that cannot be checked.
pub fn is_node(pid: u32, data_dir: &Path) -> bool {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => {
            let wanted = data_dir.as_os_str().as_encoded_bytes();
            cmdline.split(|b| *b == 0).any(|arg| arg == wanted)
        }
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

/// The last `lines` lines of a log file.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_signalled_and_seen_alive_then_gone() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let marker = dir.path().join("marker-arg");
        let args = vec![
            "-c".to_owned(),
            "while :; do sleep 0.05; done".to_owned(),
            marker.display().to_string(),
        ];
        let mut child = spawn(Path::new("sh"), &args, &log).unwrap();
        let pid = child.id();
        assert!(alive(pid));
        // Right after the fork /proc shows the parent's command line until
        // the exec completes: poll, bounded.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !is_node(pid, &marker) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(is_node(pid, &marker));
        assert!(!is_node(pid, &dir.path().join("other")));
        signal(pid, "STOP").unwrap();
        signal(pid, "CONT").unwrap();
        signal(pid, "KILL").unwrap();
        child.wait().unwrap();
        assert!(!alive(pid));
        assert!(signal(pid, "TERM").is_err());
        std::fs::write(&log, "a\nb\nc\n").unwrap();
        assert_eq!(log_tail(&log, 2), "b\nc");
    }
}
