//! Where log lines go: a buffer the logging threads append to, written out by a thread of its
//! own in batches.
//!
//! tracing-appender's non-blocking writer sends each line over a channel and wakes its thread
//! for every line that finds it idle. Under load that was a thread switch per request: a
//! sixth of a cached catalog page's time, and a point of the uncached one on PostgreSQL. Here
//! only the first line after a write wakes the writer. It then waits a few milliseconds for
//! the lines behind it, so one wake-up and one system call carry a whole batch.
//!
//! Nothing is dropped: when the writer falls a megabyte behind, a logging thread waits for it,
//! as the non-blocking writer's queue did when full.
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer waits for more lines after the first one of a batch: short enough
/// that a person following the log sees nothing late.
pub const WINDOW: Duration = Duration::from_millis(5);
/// What may be waiting to be written before a logging thread waits instead.
const LIMIT: usize = 1 << 20;
/// How long the end of the process waits for the last lines: an output that takes no more
/// (a stalled pipe) must not keep a stopping server from exiting.
const LAST_LINES: Duration = Duration::from_secs(2);

struct State {
    lines: Vec<u8>,
    closed: bool,
    /// The writer has written everything and stopped.
    finished: bool,
}

struct Shared {
    state: Mutex<State>,
    /// The writer waits here for the first line of a batch, or for a full buffer.
    more: Condvar,
    /// Logging threads wait here while the buffer is full.
    written: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while appending left whole lines or a part of one; either
        // way the log goes on.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the subscriber writes its lines to.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Writes out what is still waiting and stops the writer when dropped: keep it until the
/// end of `main`.
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A writer to `out` that gathers lines for `window` after the first of a batch.
pub fn batched(out: impl Write + Send + 'static, window: Duration) -> (LogWriter, FlushGuard) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            lines: Vec::new(),
            closed: false,
            finished: false,
        }),
        more: Condvar::new(),
        written: Condvar::new(),
    });
    let thread = std::thread::Builder::new()
        .name("hunar-log".into())
        .spawn({
            let shared = shared.clone();
            move || write_batches(&shared, out, window)
        })
        .expect("the log writer's thread starts");
    (
        LogWriter {
            shared: shared.clone(),
        },
        FlushGuard {
            shared,
            thread: Some(thread),
        },
    )
}

fn write_batches(shared: &Shared, mut out: impl Write, window: Duration) {
    let mut batch = Vec::new();
    loop {
        let mut state = shared.lock();
        while state.lines.is_empty() && !state.closed {
            state = shared.more.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        if state.lines.is_empty() {
            // Closed, and everything written.
            state.finished = true;
            drop(state);
            shared.written.notify_all();
            return;
        }
        // The lines of the next few milliseconds join this one.
        state = shared
            .more
            .wait_timeout_while(state, window, |s| !s.closed && s.lines.len() < LIMIT)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        std::mem::swap(&mut state.lines, &mut batch);
        drop(state);
        shared.written.notify_all();
        // Nowhere to report a failed write to but the log itself: the line is lost, as it
        // would be with any writer.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        // A burst's buffer is not kept for the quiet that follows.
        batch.shrink_to(LIMIT / 16);
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = &'a LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Write for &LogWriter {
    /// The subscriber writes each line whole, in one call.
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let shared = &self.shared;
        let mut state = shared.lock();
        while state.lines.len() >= LIMIT && !state.closed {
            state = shared
                .written
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        let first = state.lines.is_empty();
        state.lines.extend_from_slice(line);
        let full = state.lines.len() >= LIMIT;
        drop(state);
        if first || full {
            shared.more.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        self.shared.more.notify_one();
        self.shared.written.notify_all();
        let (state, _) = self
            .shared
            .written
            .wait_timeout_while(state, LAST_LINES, |s| !s.finished)
            .unwrap_or_else(|p| p.into_inner());
        let finished = state.finished;
        drop(state);
        if let Some(thread) = self.thread.take().filter(|_| finished) {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each write it is given.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("the sink").push(bytes.to_vec());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_logged_together_reach_the_output_in_one_write() {
        let sink = Sink::default();
        // A window far longer than logging 100 lines takes, so the batch cannot split.
        let (writer, guard) = batched(sink.clone(), Duration::from_secs(10));
        for n in 0..100 {
            (&writer)
                .write_all(format!("line {n}\n").as_bytes())
                .expect("logged");
        }
        // Closing does not wait out the window.
        let started = std::time::Instant::now();
        drop(guard);
        assert!(started.elapsed() < Duration::from_secs(5));
        let writes = sink.0.lock().expect("the sink").clone();
        assert_eq!(writes.len(), 1, "one write for the batch");
        let expected: String = (0..100).map(|n| format!("line {n}\n")).collect();
        assert_eq!(String::from_utf8(writes.concat()).expect("text"), expected);
    }

    /// An output that never returns: a pipe nobody reads.
    struct Stalled;

    impl Write for Stalled {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            std::thread::park();
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_output_does_not_keep_the_process_from_ending() {
        let (writer, guard) = batched(Stalled, Duration::from_millis(1));
        (&writer).write_all(b"a line\n").expect("logged");
        let started = std::time::Instant::now();
        drop(guard);
        assert!(started.elapsed() < LAST_LINES + Duration::from_secs(3));
    }

    #[test]
    fn every_line_of_every_thread_is_written_whole_and_in_its_order() {
        let sink = Sink::default();
        let (writer, guard) = batched(sink.clone(), Duration::from_millis(1));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    // Past the limit, so logging threads also wait for the writer.
                    let pad = "x".repeat(1000);
                    for n in 0..2000 {
                        (&writer)
                            .write_all(format!("{t} {n} {pad}\n").as_bytes())
                            .expect("logged");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("the thread logged");
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().expect("the sink").concat()).expect("text");
        let mut next = [0; 4];
        for line in text.lines() {
            let mut parts = line.split(' ');
            let t: usize = parts.next().and_then(|p| p.parse().ok()).expect("a number");
            let n: usize = parts.next().and_then(|p| p.parse().ok()).expect("a number");
            assert_eq!(n, next[t], "thread {t}'s lines in order, none lost");
            assert_eq!(parts.next().map(str::len), Some(1000), "a whole line");
            next[t] += 1;
        }
        assert_eq!(next, [2000; 4]);
    }
}
