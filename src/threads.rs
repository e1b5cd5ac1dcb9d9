//! How the server's threads share the CPU with a database on the same machine.
//!
//! Every catalog page on PostgreSQL is a query and its reply. When the database's backend
//! writes the reply, the kernel wakes the server's thread, and under the default policy the
//! woken thread cuts in on the backend at once, before the backend has finished and gone
//! back to read the next query; a moment later the server waits and the backend runs again.
//! On two cores shared with PostgreSQL that was six context switches a page. Under
//! SCHED_BATCH a woken thread waits for the running one to pause: the backend answers every
//! query it has, the server then takes every reply at once. The catalog mix served 45 % more
//! pages a second with a lower p99 (README, "Catalog reads"); orders were no slower.
use crate::config::ThreadScheduling;

/// Applies `scheduling` to the calling thread. Threads inherit their creator's policy, so
/// called first thing on the main thread it holds for every thread the server starts
/// (actix's workers, tokio's blocking pool, the log writer). SCHED_BATCH needs no privilege.
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
    use thread_priority::{ThreadPriority, ThreadPriorityOsValue};
    // Normal policies take a niceness here: the default, 0.
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Os(ThreadPriorityOsValue::default()),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    )
    .map_err(|e| format!("SCHED_BATCH was refused: {e:?}"))
}

#[cfg(not(target_os = "linux"))]
fn batch() -> Result<(), String> {
    Err("SCHED_BATCH is Linux's; threads keep the system's default".into())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
    };

    const BATCH: ThreadSchedulePolicy =
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);

    #[test]
    fn batch_holds_for_the_thread_and_every_thread_it_starts() {
        // On threads of its own, so no other test runs under the policy.
        let (own, started) = std::thread::spawn(|| {
            assert_ne!(thread_schedule_policy().ok(), Some(BATCH));
            apply(ThreadScheduling::Batch).expect("an unprivileged thread may choose batch");
            let started = std::thread::spawn(thread_schedule_policy)
                .join()
                .expect("the started thread ends");
            (thread_schedule_policy(), started)
        })
        .join()
        .expect("the thread ends");
        assert_eq!(own.ok(), Some(BATCH));
        assert_eq!(started.ok(), Some(BATCH));
    }

    #[test]
    fn normal_leaves_the_thread_as_it_was() {
        let policy = std::thread::spawn(|| {
            apply(ThreadScheduling::Normal).expect("nothing to refuse");
            thread_schedule_policy()
        })
        .join()
        .expect("the thread ends");
        assert_eq!(
            policy.ok(),
            Some(ThreadSchedulePolicy::Normal(
                NormalThreadSchedulePolicy::Other
            ))
        );
    }
}
