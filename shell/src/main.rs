//! `sibylsh`: parse the command line and `~/.sibylshrc`, connect, then run
//! `-e` statements, a `-f` file, or the interactive loop. Exit codes follow
//! cqlsh: 2 when a statement failed in batch mode, 1 when connecting failed.

mod repl;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use sibyl_protocol::client::{ConnectOptions, Session};
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::types::Consistency;
use sibyl_shell::cli::{self, Args, ColorMode, Settings};
use sibyl_shell::commands::{PAGE_SIZE_DEFAULT, ServerInfo, Shell};
use sibyl_shell::format::Style;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// The rc file: `--sibylshrc`, else `~/.sibylshrc` (missing is fine).
fn read_rc(args: &Args) -> cli::Ini {
    let path = args.rc_file.clone().or_else(|| {
        std::env::var("HOME")
            .ok()
            .map(|h| format!("{h}/.sibylshrc"))
    });
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| cli::parse_ini(&t))
        .unwrap_or_default()
}

fn run(args: &Args) -> Result<ExitCode, String> {
    if args.debug {
        let _ = sibyl_protocol::logging::init();
    }
    let ini = read_rc(args);
    let env = |k: &str| std::env::var(k).ok();
    let settings = cli::settings(args, &env, &ini).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(session_main(settings))
}

/// Connection options from the settings.
fn connect_options(settings: &Settings) -> Result<ConnectOptions, String> {
    Ok(ConnectOptions {
        protocol_version: settings
            .protocol_version
            .map(ProtocolVersion::from_number)
            .transpose()
            .map_err(|e| format!("invalid protocol version: {e}"))?,
        credentials: settings.credentials.clone(),
        keyspace: settings.keyspace.clone(),
        connect_timeout: settings.connect_timeout,
        request_timeout: settings.request_timeout,
        tls: settings.ssl.clone(),
        ..ConnectOptions::default()
    })
}

async fn session_main(settings: Settings) -> Result<ExitCode, String> {
    let batch_text = match (&settings.execute, &settings.file) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(f)) => {
            Some(std::fs::read_to_string(f).map_err(|e| format!("Can't open '{f}': {e}"))?)
        }
        (None, None) => None,
    };
    let options = connect_options(&settings)?;
    let addr = format!("{}:{}", settings.host, settings.port);
    let session = Session::connect(addr.as_str(), options.clone())
        .await
        .map_err(|e| {
            format!("Connection error: ('Unable to connect to any servers', {{'{addr}': {e}}})")
        })?;
    let tty = std::io::stdout().is_terminal();
    // Statements piped in (no -e/-f): cqlsh's non-tty batch mode.
    let piped = batch_text.is_none() && !std::io::stdin().is_terminal();
    let color = match settings.color {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => tty && std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb"),
    };
    let mut shell = Shell {
        session,
        host: settings.host.clone(),
        port: settings.port,
        consistency: Consistency::One,
        serial_consistency: Consistency::Serial,
        page_size: Some(PAGE_SIZE_DEFAULT),
        expand: false,
        tracing: false,
        timing: false,
        keyspace: settings.keyspace.clone(),
        tty: tty && batch_text.is_none() && !piped,
        style: Style {
            color,
            float_precision: settings.float_precision,
            double_precision: settings.double_precision,
            ..Style::default()
        },
        failed: false,
        server: ServerInfo::default(),
        out: Box::new(std::io::stdout()),
        err: Box::new(std::io::stderr()),
        capture: None,
        source_depth: 0,
        connect_options: options,
        column_roles: std::collections::HashMap::new(),
        cmdword: String::new(),
        input_name: None,
        lineno: 1,
    };
    // cqlsh names -e input `<stdin>` (always line 1), -f input by its path
    // and piped input `<stdin>` (counting lines).
    match (batch_text, &settings.file) {
        (Some(text), Some(path)) if settings.execute.is_none() => {
            Ok(run_batch(&mut shell, path, &text, true).await)
        }
        (Some(text), _) => Ok(run_batch(&mut shell, "<stdin>", &text, false).await),
        (None, _) if piped => {
            let text = std::io::read_to_string(std::io::stdin())
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(run_batch(&mut shell, "<stdin>", &text, true).await)
        }
        (None, _) => {
            repl::run(&mut shell).await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Batch mode: runs the text; exit code 2 when a statement failed.
async fn run_batch(shell: &mut Shell, name: &str, text: &str, count_lines: bool) -> ExitCode {
    shell.run_script(name, text, count_lines).await;
    if shell.failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
