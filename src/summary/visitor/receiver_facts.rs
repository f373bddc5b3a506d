//! What a method's own `self.attr`s certainly hold, at each point of its body, from the
//! literal stores earlier on the same path: `self._closed = True` just before
//! `self._flush()`. A call `self.m()` carries them ([`CallArgs::receiver_attrs`]), and a
//! guard of `m` on one of them (`if not self._closed:`, a
//! [`ParamGuard`](crate::summary::ParamGuard) with an `attr`) is decided by them: the Timer
//! that `_flush` re-arms only while the handler is open is not re-armed by `close()`.
//!
//! Kept simple and on the safe side (a fact dropped only costs a guard not decided):
//! - a store of a literal sets the fact, any other store of the attribute drops it;
//! - a block that may not run (a branch, a loop body, a `try` body, a handler) leaves after
//!   it only the facts it did not store to; a `with` block always runs, so its stores hold
//!   after it;
//! - a loop body starts with no facts (a later turn follows stores of the earlier turns);
//! - calls in between are not followed (`self.reopen()` between the store and the call).

use crate::summary::{CallArgs, Name, Value};

#[derive(Default)]
pub(super) struct ReceiverFacts<'a> {
    /// Attribute and the literal it certainly holds here.
    known: Vec<(&'a str, Value)>,
    /// Every attribute stored so far in the function, in order (a block's stores are the
    /// tail it added).
    stored: Vec<&'a str>,
}

/// Where a block began: what [`ReceiverFacts::leave_block`] restores.
pub(super) struct BlockStart<'a> {
    known: Vec<(&'a str, Value)>,
    stored: usize,
}

impl<'a> ReceiverFacts<'a> {
    /// `self.attr = value`: a literal sets the fact, anything else drops it.
    pub(super) fn store(&mut self, attr: &'a str, value: &Value) {
        self.known.retain(|(a, _)| *a != attr);
        if is_literal(value) {
            self.known.push((attr, value.clone()));
        }
        self.stored.push(attr);
    }

    /// Whether the function stored to `self.attr` before this point: a test of it then is
    /// not a test of what the caller left there.
    pub(super) fn stored_before(&self, attr: &str) -> bool {
        self.stored.contains(&attr)
    }

    /// Entering a block that may not run (or may run more than once, `fresh`: a loop body).
    pub(super) fn enter_block(&mut self, fresh: bool) -> BlockStart<'a> {
        let known = if fresh {
            std::mem::take(&mut self.known)
        } else {
            self.known.clone()
        };
        BlockStart {
            known,
            stored: self.stored.len(),
        }
    }

    /// After such a block: the facts from before it that it did not store to.
    pub(super) fn leave_block(&mut self, start: BlockStart<'a>) {
        let stored_inside = &self.stored[start.stored..];
        let mut known = start.known;
        known.retain(|(a, _)| !stored_inside.contains(a));
        self.known = known;
    }

    /// What a `self.m()` call here passes along ([`CallArgs::receiver_attrs`]).
    pub(super) fn attach(&self, args: &mut CallArgs) {
        args.receiver_attrs = self
            .known
            .iter()
            .map(|(a, v)| (Name::new(a), v.clone()))
            .collect();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

fn is_literal(value: &Value) -> bool {
    matches!(
        value,
        Value::Bool(_) | Value::None | Value::Str(_) | Value::Int(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_that_may_not_run_keeps_only_what_it_did_not_store() {
        let mut facts = ReceiverFacts::default();
        facts.store("closed", &Value::Bool(true));
        facts.store("count", &Value::Bool(false));
        let start = facts.enter_block(false);
        facts.store("closed", &Value::Bool(false));
        assert_eq!(facts.known.len(), 2, "inside the block its store holds");
        facts.leave_block(start);
        assert_eq!(facts.known, vec![("count", Value::Bool(false))]);
        assert!(facts.stored_before("closed"));
    }

    #[test]
    fn a_loop_body_starts_without_facts_and_a_non_literal_store_drops_one() {
        let mut facts = ReceiverFacts::default();
        facts.store("closed", &Value::Bool(true));
        let start = facts.enter_block(true);
        assert!(facts.is_empty());
        facts.leave_block(start);
        assert_eq!(facts.known, vec![("closed", Value::Bool(true))]);
        facts.store("closed", &Value::Unknown);
        assert!(facts.is_empty());
    }
}
