//! sibylsh, the cqlsh-compatible CQL shell, as a library (the binary is a thin
//! `main.rs`). Map: [`splitter`] cuts input into statements; [`format`] prints
//! values, tables and errors exactly as cqlsh 6.2.2; [`cli`] parses arguments
//! and `~/.sibylshrc`; [`commands`] runs shell commands and CQL statements.

pub mod cli;
pub mod commands;
pub mod complete;
pub mod copy;
mod copy_run;
mod exec;
pub mod format;
pub mod splitter;
mod trace;
