//! [`Permits`]: the bookkeeping of a cap on concurrent requests — at most `limit` in flight,
//! the others waiting in arrival order, each freed permit handed straight to the oldest waiter.
//! Waiters are opaque tickets (the transport's completion slots); this module holds no futures,
//! timers or wake-ups, it only says who goes next. Pure: tested natively.

/// How many requests a client has in flight by default. Enough to keep a provider busy; few
/// enough that 10,000 concurrent waits do not open 10,000 connections at once (every queued
/// poll costs a few bytes instead of a request's whole state, and providers rate-limit).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 32;

/// The largest accepted `maxConcurrentRequests`.
pub const MAX_CONCURRENT_REQUESTS_LIMIT: u32 = 10_000;

/// A counting semaphore's state with a FIFO of waiting tickets. See the module doc.
#[derive(Debug)]
pub struct Permits {
    limit: u32,
    in_flight: u32,
    /// Tickets queued and neither served nor forgotten.
    waiting: u32,
    /// Queued tickets, oldest first from `head` (a `Vec` with a moving head: no `VecDeque`
    /// code in the wasm, and no shift of the whole queue per hand-over). Forgotten tickets stay
    /// until they reach the head, where they are skipped.
    queue: Vec<u32>,
    head: usize,
}

impl Permits {
    /// At most `limit` permits out at once (`limit` is raised to 1).
    pub fn new(limit: u32) -> Permits {
        Permits {
            limit: limit.max(1),
            in_flight: 0,
            waiting: 0,
            queue: Vec::new(),
            head: 0,
        }
    }

    /// The cap.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Permits out now (handed-over ones included).
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Tickets waiting (queued, not served, not forgotten).
    pub fn waiting(&self) -> u32 {
        self.waiting
    }

    /// Takes a permit when one is free and nobody waits for it (no jumping the queue).
    pub fn try_take(&mut self) -> bool {
        if self.in_flight < self.limit && self.waiting() == 0 {
            self.in_flight += 1;
            true
        } else {
            false
        }
    }

    /// Queues `ticket` for the next freed permit.
    pub fn enqueue(&mut self, ticket: u32) {
        self.queue.push(ticket);
        self.waiting += 1;
    }

    /// A queued ticket's waiter gave up without being served. The caller must make sure
    /// `live` (see [`Permits::release`]) is false for it from now on.
    pub fn forget(&mut self) {
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// Gives a permit back. It goes to the oldest queued ticket for which `live` is true (the
    /// ticket is returned: its waiter now holds the permit); tickets that are not live any more
    /// (forgotten, or about to be) are dropped on the way. With no live waiter the permit is
    /// freed and `None` returned.
    pub fn release(&mut self, live: impl Fn(u32) -> bool) -> Option<u32> {
        while let Some(&ticket) = self.queue.get(self.head) {
            self.head += 1;
            if live(ticket) {
                self.waiting = self.waiting.saturating_sub(1);
                self.compact();
                return Some(ticket);
            }
        }
        self.queue.clear();
        self.head = 0;
        self.in_flight = self.in_flight.saturating_sub(1);
        None
    }

    /// Drops the served head of the queue once it is more than half of it.
    fn compact(&mut self) {
        let len = self.queue.len();
        if self.head > 32 && self.head * 2 > len {
            self.queue.copy_within(self.head.., 0);
            self.queue.truncate(len - self.head);
            self.head = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_up_to_the_limit_then_queues_in_order() {
        let mut p = Permits::new(2);
        assert!(p.try_take());
        assert!(p.try_take());
        assert!(!p.try_take());
        p.enqueue(10);
        p.enqueue(11);
        assert_eq!(p.waiting(), 2);
        // A freed permit goes to the oldest waiter, not back to the pool.
        assert_eq!(p.release(|_| true), Some(10));
        assert_eq!(p.in_flight(), 2);
        assert!(!p.try_take(), "11 still waits: no jumping the queue");
        assert_eq!(p.release(|_| true), Some(11));
        assert_eq!(p.release(|_| true), None);
        assert_eq!(p.release(|_| true), None);
        assert_eq!(p.in_flight(), 0);
        assert_eq!(p.waiting(), 0);
        assert!(p.try_take());
    }

    #[test]
    fn dead_tickets_are_skipped_and_forgotten_ones_removed() {
        let mut p = Permits::new(1);
        assert!(p.try_take());
        for t in 1..=4 {
            p.enqueue(t);
        }
        // 2 gave up: forgotten (and no longer live).
        p.forget();
        assert_eq!(p.waiting(), 3);
        // 1 gave up without being forgotten yet (aborted, not yet dropped): skipped.
        let live = |t: u32| t != 1 && t != 2;
        assert_eq!(p.release(live), Some(3));
        assert_eq!(p.waiting(), 2, "1 (until dropped) and 4");
        p.forget(); // 1 is dropped now
        assert_eq!(p.waiting(), 1);
        // 4 gives up too, before the next release: the permit is freed.
        p.forget();
        assert_eq!(p.waiting(), 0);
        assert_eq!(p.release(|t| t == 0), None);
        assert_eq!(p.in_flight(), 0);
        assert!(
            p.try_take(),
            "nobody waits: a new caller takes the freed permit"
        );
    }

    #[test]
    fn a_limit_of_zero_means_one() {
        let mut p = Permits::new(0);
        assert_eq!(p.limit(), 1);
        assert!(p.try_take());
        assert!(!p.try_take());
    }

    #[test]
    fn a_long_queue_keeps_its_order_through_compaction() {
        let mut p = Permits::new(1);
        assert!(p.try_take());
        for t in 0..1000 {
            p.enqueue(t);
        }
        for t in 0..500 {
            assert_eq!(p.release(|_| true), Some(t));
        }
        assert!(p.queue.len() <= 1000 && p.head <= 500);
        for t in 1000..1100 {
            p.enqueue(t);
        }
        p.forget();
        let mut order = Vec::new();
        while let Some(t) = p.release(|t| t != 700) {
            order.push(t);
        }
        let expected: Vec<u32> = (500..1100).filter(|&t| t != 700).collect();
        assert_eq!(order, expected);
        assert_eq!(p.in_flight(), 0);
        assert!(p.queue.is_empty() && p.head == 0);
    }
}
