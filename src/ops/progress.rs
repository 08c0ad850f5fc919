//! Progress reporting for long operations: a trait the operations call, a terminal
//! implementation (indicatif bars on stderr, hidden when stderr is not a terminal) and a
//! silent one for tests and scripts.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What an operation reports while it runs.
pub trait Progress {
    /// A new item (one henv) of `pages` database pages starts.
    fn start(&mut self, label: &str, pages: u64);
    /// `done` of the item's pages are copied.
    fn advance(&mut self, done: u64, pages: u64);
    /// The item is finished.
    fn finish(&mut self, message: &str);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64, _: u64) {}
    fn finish(&mut self, _: &str) {}
}

/// One bar per henv on stderr when it is a terminal; nothing otherwise.
pub struct TermProgress {
    bar: Option<ProgressBar>,
}

impl TermProgress {
    pub fn new() -> TermProgress {
        TermProgress { bar: None }
    }
}

impl Default for TermProgress {
    fn default() -> Self {
        TermProgress::new()
    }
}

impl Progress for TermProgress {
    fn start(&mut self, label: &str, pages: u64) {
        let bar = ProgressBar::with_draw_target(Some(pages), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:24} [{bar:30}] {pos}/{len} pages {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_owned());
        self.bar = Some(bar);
    }

    fn advance(&mut self, done: u64, pages: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(pages);
            bar.set_position(done);
        }
    }

    fn finish(&mut self, message: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_with_message(message.to_owned());
        }
    }
}
