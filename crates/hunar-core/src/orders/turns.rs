//! One write per painting at a time, within this process.
//!
//! When many buyers rush for one painting, several read it as `available` before the first
//! order commits. Without a turn each of them would price the order, render its emails and
//! send the whole write only to find the painting gone, then read again. With a turn they
//! wait for the writer already under way and learn its outcome: taken (refused at once) or
//! not (read again). The database's conditional UPDATE still decides who gets the painting;
//! this only spares the work of those who cannot, so it is safe with several processes,
//! each keeping its own turns.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// How a finished turn ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The painting was taken, under this Idempotency-Key.
    Reserved { key: String },
    /// Nothing was taken: the writer was refused, failed or gave up. Read again.
    NotReserved,
}

/// Set to the Idempotency-Key that took the painting; closed without a value if nothing was.
type Waiting = watch::Receiver<Option<String>>;

#[derive(Clone, Default)]
pub struct Turns {
    writing: Arc<Mutex<HashMap<String, Waiting>>>,
}

/// What `take` gives: the turn itself, or the outcome of the turn that was under way.
pub enum Turn {
    Mine(Held),
    After(Outcome),
}

impl Turns {
    /// Takes the painting's turn, or waits for the current holder to finish.
    pub async fn take(&self, artwork_id: &str) -> Turn {
        let mut waiting = {
            let mut writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
            match writing.get(artwork_id) {
                Some(waiting) => waiting.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    writing.insert(artwork_id.to_string(), rx);
                    return Turn::Mine(Held {
                        turns: self.clone(),
                        artwork_id: artwork_id.to_string(),
                        tx,
                    });
                }
            }
        };
        // A holder dropped without an outcome (refused, failed, cancelled) took nothing.
        Turn::After(match waiting.wait_for(Option::is_some).await {
            Ok(key) => key
                .clone()
                .map_or(Outcome::NotReserved, |key| Outcome::Reserved { key }),
            Err(_) => Outcome::NotReserved,
        })
    }

    #[cfg(test)]
    fn held(&self) -> usize {
        self.writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A painting's turn; it ends when this is dropped, and the waiters learn how it went.
pub struct Held {
    turns: Turns,
    artwork_id: String,
    tx: watch::Sender<Option<String>>,
}

impl Held {
    pub fn reserved(self, key: &str) {
        self.tx.send_replace(Some(key.to_string()));
    }
}

impl Drop for Held {
    /// Only the holder's own entry can be in the map: a new turn starts only once it is gone.
    fn drop(&mut self) {
        self.turns
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.artwork_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_learn_the_holders_outcome_and_the_turn_is_freed() {
        let turns = Turns::default();
        let Turn::Mine(held) = turns.take("a").await else {
            panic!("the first caller holds the turn");
        };
        // Another painting is not held up.
        assert!(matches!(turns.take("b").await, Turn::Mine(_)));
        let waiter = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take("a").await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "waits while the holder writes");
        held.reserved("key-1");
        let Ok(Turn::After(outcome)) = waiter.await else {
            panic!("the waiter gets the outcome");
        };
        assert_eq!(
            outcome,
            Outcome::Reserved {
                key: "key-1".into()
            }
        );
        assert_eq!(turns.held(), 0);
        assert!(matches!(turns.take("a").await, Turn::Mine(_)));
    }

    #[tokio::test]
    async fn a_holder_dropped_without_outcome_took_nothing() {
        let turns = Turns::default();
        let Turn::Mine(held) = turns.take("a").await else {
            panic!("the first caller holds the turn");
        };
        let waiter = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take("a").await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        let Ok(Turn::After(outcome)) = waiter.await else {
            panic!("the waiter gets the outcome");
        };
        assert_eq!(outcome, Outcome::NotReserved);
        assert_eq!(turns.held(), 0);
    }
}
