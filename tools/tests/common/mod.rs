//! Test helpers: an in-process echo server on 127.0.0.1:0 and child
//! processes that are always killed.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use sibyl_tools::echo;

/// Starts an echo server on its own runtime thread; returns its address.
pub fn echo_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (listener, addr) = echo::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
            tx.send(addr).unwrap();
            let _ = echo::serve(listener).await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

/// Kills the child when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a command to completion within `limit`, killing it otherwise.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let start = Instant::now();
    loop {
        if let Some(_status) = guard.0.try_wait().unwrap() {
            break;
        }
        assert!(
            start.elapsed() < limit,
            "command did not finish within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let child = std::mem::replace(&mut guard.0, Command::new("true").spawn().unwrap());
    child.wait_with_output().unwrap()
}
