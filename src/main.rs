//! The `pipecut` command-line tool. Every failure is one line on stderr and a
//! non-zero exit status; see `pipecut --help`.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // A bug must still end as one readable line, never a Rust panic dump.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in pipecut (please report it): {msg}{at}");
    }));
    match std::panic::catch_unwind(cli::run) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {}", e.one_line());
            ExitCode::from(e.exit_code())
        }
        Err(_) => ExitCode::from(70),
    }
}
