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

type Waiting = watch::Receiver<Option<Outcome>>;

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
        // A holder dropped without an outcome (an error, a cancelled request) took nothing.
        let outcome = match waiting.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or(Outcome::NotReserved),
            Err(_) => Outcome::NotReserved,
        };
        Turn::After(outcome)
    }

    #[cfg(test)]
    fn held(&self) -> usize {
        self.writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A painting's turn; it ends when this is dropped, telling the waiters how it went.
pub struct Held {
    turns: Turns,
    artwork_id: String,
    tx: watch::Sender<Option<Outcome>>,
}

impl Held {
    pub fn reserved(self, key: &str) {
        self.tx
            .send_replace(Some(Outcome::Reserved { key: key.into() }));
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut writing = self
            .turns
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if writing
            .get(&self.artwork_id)
            .is_some_and(|rx| rx.same_channel(&self.tx.subscribe()))
        {
            writing.remove(&self.artwork_id);
        }
        drop(writing);
        self.tx.send_if_modified(|outcome| {
            if outcome.is_none() {
                *outcome = Some(Outcome::NotReserved);
                true
            } else {
                false
            }
        });
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
