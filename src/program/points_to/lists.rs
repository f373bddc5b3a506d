//! Growable lists, one per node of the analysis, kept in one arena.
//!
//! The solver keeps three lists per node (objects, copy edges, uses) for millions of nodes;
//! most are short and many are empty. As separate heap vectors, each non-empty list paid a
//! header (length and capacity) and the allocator's own bookkeeping, often more than its
//! elements, plus a `malloc`/`free` at each growth: on the standard library that was a third
//! of the solver's memory and much of its time. Here a list is a block of the arena whose
//! capacity is a power of two decided by its length, so a list costs its elements and one
//! `(start, len)` pair; a block outgrown is put on a free list of its size and reused by the
//! next list that grows to that size.

use std::ops::Index;

/// Where a list's block starts in the arena, and how many elements it holds.
#[derive(Clone, Copy, Default)]
struct Head {
    start: u32,
    len: u32,
}

pub(super) struct Lists<T> {
    heads: Vec<Head>,
    data: Vec<T>,
    /// Per size class (a block of `1 << class` elements): the starts of free blocks.
    free: Vec<Vec<u32>>,
    /// What a new block holds before its elements are written.
    filler: T,
}

/// The smallest block, in elements: most lists that grow at all grow past one element.
const MIN_CLASS: u32 = 1;

impl<T: Copy> Lists<T> {
    /// No lists yet; `filler` is any value of `T` (it fills blocks before they are used).
    pub(super) fn new(filler: T) -> Self {
        Lists {
            heads: Vec::new(),
            data: Vec::new(),
            free: Vec::new(),
            filler,
        }
    }

    /// Adds an empty list; its index is the number of lists before it.
    pub(super) fn add_list(&mut self) {
        self.heads.push(Head::default());
    }

    /// How many lists there are.
    pub(super) fn len(&self) -> usize {
        self.heads.len()
    }

    /// The size class of the block that holds `len` elements (none for an empty list).
    fn class_of(len: u32) -> u32 {
        len.next_power_of_two().trailing_zeros().max(MIN_CLASS)
    }

    pub(super) fn push(&mut self, list: usize, value: T) {
        let Head { start, len } = self.heads[list];
        // A block holds `1 << class_of(len)` elements: full when `len` is that.
        if len == 0 || len == 1 << Self::class_of(len) {
            // Full, or nothing yet: move to a block of the next size.
            let new_class = Self::class_of(len + 1);
            let new_start = self.allocate(new_class);
            if len > 0 {
                let (s, n, d) = (start as usize, len as usize, new_start as usize);
                self.data.copy_within(s..s + n, d);
                self.release(start, Self::class_of(len));
            }
            self.heads[list].start = new_start;
        }
        let head = &mut self.heads[list];
        self.data[(head.start + head.len) as usize] = value;
        head.len += 1;
    }

    fn allocate(&mut self, class: u32) -> u32 {
        if let Some(start) = self.free.get_mut(class as usize).and_then(Vec::pop) {
            return start;
        }
        let start = self.data.len();
        let end = start + (1usize << class);
        assert!(
            u32::try_from(end).is_ok(),
            "the analysis outgrew 2^32 list elements"
        );
        self.data.resize(end, self.filler);
        start as u32
    }

    fn release(&mut self, start: u32, class: u32) {
        if self.free.len() <= class as usize {
            self.free.resize_with(class as usize + 1, Vec::new);
        }
        self.free[class as usize].push(start);
    }

    /// Every list, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[T]> {
        (0..self.heads.len()).map(|i| &self[i])
    }
}

impl<T> Index<usize> for Lists<T> {
    type Output = [T];

    fn index(&self, list: usize) -> &[T] {
        let Head { start, len } = self.heads[list];
        &self.data[start as usize..(start + len) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_grow_independently_and_reuse_outgrown_blocks() {
        let mut lists = Lists::new(0u32);
        for _ in 0..3 {
            lists.add_list();
        }
        // Interleaved pushes: each list moves to bigger blocks as it grows.
        for i in 0..100u32 {
            lists.push(0, i);
            if i % 3 == 0 {
                lists.push(1, 1000 + i);
            }
        }
        assert_eq!(lists.len(), 3);
        assert_eq!(&lists[0], (0..100).collect::<Vec<_>>().as_slice());
        assert_eq!(
            &lists[1],
            (0..100)
                .step_by(3)
                .map(|i| 1000 + i)
                .collect::<Vec<_>>()
                .as_slice()
        );
        assert!(lists[2].is_empty());
        // The blocks list 0 outgrew (2, 4, …, 32 elements; list 1 took its 64) are free,
        // and a new list growing through the same sizes takes them instead of growing the
        // arena.
        let used = lists.data.len();
        for i in 0..32 {
            lists.push(2, i);
        }
        assert_eq!(lists.data.len(), used);
        assert_eq!(&lists[2], (0..32).collect::<Vec<_>>().as_slice());
        assert_eq!(
            lists.iter().map(<[u32]>::len).collect::<Vec<_>>(),
            [100, 34, 32]
        );
        // A list growing past every free block takes new room.
        for i in 0..200 {
            lists.push(2, i);
        }
        assert!(lists.data.len() > used);
        assert_eq!(lists[2].len(), 232);
    }
}
