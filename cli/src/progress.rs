//! Progress on long work (`indicatif`), on standard error only, and only
//! when standard error is a terminal and `--quiet` is off: piped or
//! redirected output, logs and CI never see a spinner or an escape code.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Should progress be drawn at all?
pub fn enabled() -> bool {
    std::io::stderr().is_terminal() && !crate::output::quiet()
}

/// A spinner with a message (`tollgate audit: reading the dependency
/// graph`), or a counted bar once a total is known; cleared when dropped.
pub struct Progress {
    bar: ProgressBar,
    prefix: String,
}

impl Progress {
    pub fn new(prefix: &str) -> Progress {
        let bar = if enabled() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix}: {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        bar.set_prefix(prefix.to_string());
        Progress {
            bar,
            prefix: prefix.to_string(),
        }
    }

    /// What is being done now.
    pub fn step(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    /// `done` of `total` (objects, bundles, binaries).
    pub fn count(&self, what: &str, done: u64, total: u64) {
        if self.bar.length() != Some(total) {
            self.bar.set_length(total);
            self.bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix}: {wide_msg} {pos}/{len}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            self.bar.set_prefix(self.prefix.clone());
        }
        self.bar.set_message(what.to_string());
        self.bar.set_position(done);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
