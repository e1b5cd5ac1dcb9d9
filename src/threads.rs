//! How the server's threads share the CPU with a database on the same machine.
//!
//! Every catalog page on PostgreSQL is a query and its reply. When the database's backend
//! writes the reply, the kernel wakes the server's thread, and under the default policy the
//! woken thread cuts in on the backend at once, before the backend has finished and gone
//! back to read the next query; a moment later the server waits and the backend runs again.
//! On two cores shared with PostgreSQL that was six context switches a page. Under
//! SCHED_BATCH a woken thread waits for the running one to pause: the backend answers every
//! query it has, the server then takes every reply at once. The uncached catalog mix served
//! 36 % more pages a second with a lower p99 (docs/BENCHMARKS.md, "Catalog reads"); orders were no slower.
use crate::config::ThreadScheduling;

/// Applies `scheduling` to the calling thread. Threads inherit their creator's policy and
/// niceness, so called first thing on the main thread it holds for every thread the server
/// starts (actix's workers, tokio's blocking pool, the log writer).
///
/// Batch is applied only at niceness 0: the call that sets it sets the niceness too, and a
/// server started nicer (`nice`, systemd's `Nice=`) may not lower it again, nor should a
/// server started less nice be moved to 0. Either way nothing changes and the error says so.
pub fn apply(scheduling: ThreadScheduling) -> Result<(), String> {
    match scheduling {
        ThreadScheduling::Normal => Ok(()),
        ThreadScheduling::Batch => batch(),
    }
}

#[cfg(target_os = "linux")]
fn batch() -> Result<(), String> {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    use thread_priority::{Error, ThreadPriority, ThreadPriorityOsValue};
    match own_niceness()? {
        0 => {}
        n => {
            return Err(format!(
                "started at niceness {n}; SCHED_BATCH is applied at 0 only (`chrt --batch 0` applies it at any)"
            ));
        }
    }
    // The default `ThreadPriorityOsValue` is niceness 0, the thread's own (checked above):
    // with the policy set first and the niceness second, neither step can be refused alone.
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Os(ThreadPriorityOsValue::default()),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    )
    .map_err(|e| match e {
        Error::OS(code) => {
            format!(
                "SCHED_BATCH was refused: {}",
                std::io::Error::from_raw_os_error(code)
            )
        }
        other => format!("SCHED_BATCH was refused: {other:?}"),
    })
}

#[cfg(not(target_os = "linux"))]
fn batch() -> Result<(), String> {
    Err("SCHED_BATCH is Linux's; threads keep the system's default".into())
}

/// The calling thread's niceness.
#[cfg(target_os = "linux")]
fn own_niceness() -> Result<i32, String> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat")
        .map_err(|e| format!("the thread's niceness is unknown ({e}); SCHED_BATCH not applied"))?;
    niceness(&stat)
        .ok_or_else(|| "the thread's niceness is unreadable; SCHED_BATCH not applied".into())
}

/// The niceness in a `/proc/…/stat` line: its 19th field. The 2nd, the thread's name in
/// parentheses, may itself hold spaces and parentheses, so fields are counted after the last
/// `)`, where the 3rd begins.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn niceness(stat: &str) -> Option<i32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_niceness_is_the_19th_field_whatever_the_thread_is_called() {
        let line = |name: &str, nice: &str| {
            format!(
                "4242 ({name}) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 {nice} 3 0 900 \
                 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
            )
        };
        assert_eq!(niceness(&line("hunar", "0")), Some(0));
        assert_eq!(niceness(&line("actix-rt|system", "5")), Some(5));
        assert_eq!(niceness(&line("a ) b (c) 7", "-3")), Some(-3));
        assert_eq!(niceness("4242 (hunar) S 1"), None);
        assert_eq!(niceness("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn normal_changes_nothing() {
        use thread_priority::unix::thread_schedule_policy;
        let (before, after) = std::thread::spawn(|| {
            let before = thread_schedule_policy().ok();
            apply(ThreadScheduling::Normal).expect("nothing to refuse");
            (before, thread_schedule_policy().ok())
        })
        .join()
        .expect("the thread ends");
        assert!(before.is_some());
        assert_eq!(before, after);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn batch_holds_for_the_thread_and_every_thread_it_starts_at_niceness_0() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
        };
        const BATCH: ThreadSchedulePolicy =
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
        // On threads of its own, so no other test runs under the policy.
        let (nice, before, applied, own, started) = std::thread::spawn(|| {
            let nice = own_niceness().expect("Linux has /proc");
            let before = thread_schedule_policy().ok();
            let applied = apply(ThreadScheduling::Batch);
            let started = std::thread::spawn(thread_schedule_policy)
                .join()
                .expect("the started thread ends");
            (
                nice,
                before,
                applied,
                thread_schedule_policy().ok(),
                started.ok(),
            )
        })
        .join()
        .expect("the thread ends");
        if nice == 0 {
            applied.expect("an unprivileged thread at niceness 0 may choose batch");
            assert_eq!(own, Some(BATCH));
            assert_eq!(started, Some(BATCH));
        } else {
            // A test run started nicer: refused, and nothing changed.
            let refused = applied.expect_err("batch is applied at niceness 0 only");
            assert!(refused.contains(&format!("niceness {nice}")), "{refused}");
            assert_eq!(own, before);
        }
    }
}
