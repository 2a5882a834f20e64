//! The `backlog-sync` binary: everything happens in `backlog_sync::cli`.

fn main() -> std::process::ExitCode {
    backlog_sync::cli::run()
}
