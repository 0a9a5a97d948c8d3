//! Multi-node clusters for tests through the same library `sibyl-cluster`
//! uses (DESIGN §8): real `sibyld` processes on a free 127.0.X.* block, in a
//! temporary directory, killed and deleted when the [`Cluster`] is dropped.

use anyhow::{Context, Result};
pub use sibyl_tools::cluster::{Cluster, NodeStatus, Topology};

use crate::node::sibyld_binary;

/// A cluster of `topology`, created but not started.
///
/// # Errors
/// `sibyld` cannot be built, or no free addresses.
pub fn create(topology: Topology) -> Result<Cluster> {
    let sibyld = sibyld_binary()?;
    Cluster::for_tests(topology, &sibyld).context("creating a test cluster")
}

/// A cluster of `topology` with every node started and ready.
///
/// # Errors
/// As [`create`], or a node does not become ready in time.
pub fn start(topology: Topology) -> Result<Cluster> {
    let mut cluster = create(topology)?;
    cluster.start_all().context("starting the test cluster")?;
    Ok(cluster)
}

/// The `sibyl-cluster` binary, built if missing.
///
/// # Errors
/// The build fails.
pub fn sibyl_cluster_binary() -> Result<std::path::PathBuf> {
    let binary = crate::python::target_dir()
        .join("debug")
        .join("sibyl-cluster");
    if !binary.exists() {
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "-p", "sibyl-tools", "--bin", "sibyl-cluster"])
                .current_dir(crate::python::workspace_root())
                .status()
                .context("running cargo build for sibyl-cluster")?;
        anyhow::ensure!(status.success(), "building sibyl-cluster failed");
    }
    Ok(binary)
}
