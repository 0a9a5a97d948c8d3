//! `sibyld`: a Sibyl database node.
//!
//! `sibyld` alone is a single node on 127.0.0.1 with its files in `./data`;
//! flags and `--config FILE` change that (docs/configuration.md). A bad
//! configuration or an unusable port is reported in one line with a hint, and
//! the process exits with status 2. SIGINT or SIGTERM stop it gracefully.

use std::process::ExitCode;

use clap::Parser;
use sibyl_server::config::{Flags, load};
use sibyl_server::shutdown::Shutdown;

/// mimalloc: glibc malloc's arena locks and consolidation were about a fifth
/// of a write's CPU under 64 concurrent requests (perf, docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let flags = Flags::parse();
    if let Err(e) = sibyl_protocol::logging::init() {
        eprintln!("sibyld: {e}");
        return ExitCode::from(2);
    }
    let config = match load(&flags.sources()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!(
                "sibyld: {e}\nhint: see docs/configuration.md for every key, its default and its flag"
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sibyld: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        let shutdown = Shutdown::new();
        let node = tokio::spawn(sibyl_server::node::run(config, shutdown.signal()));
        tokio::pin!(node);
        tokio::select! {
            result = &mut node => return report(result),
            () = wait_for_signal() => tracing::info!("shutting down"),
        }
        shutdown.fire();
        report(node.await)
    })
}

fn report(
    result: Result<Result<(), sibyl_server::node::NodeError>, tokio::task::JoinError>,
) -> ExitCode {
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("sibyld: {e}\nhint: {}", e.hint());
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("sibyld: the node stopped unexpectedly: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
