"""Intrusive doubly linked lists for the policies' queues.

An ``OrderedDict`` costs a hash lookup per operation, and compiled code calls its
methods by name. A policy that keeps one node per key (found by one dict lookup per
request) can instead move, push and unlink that node with a few pointer writes, which
mypyc compiles to struct field stores.
"""

from __future__ import annotations

from collections.abc import Iterator


class Link:
    """A place in one ``DList``; policies subclass it to carry their per-key state.

    A link in no list points at itself.
    """

    prev: Link
    next: Link

    def __init__(self) -> None:
        self.prev = self
        self.next = self

    def linked(self) -> bool:
        """Whether the link is in a list."""
        return self.next is not self


class DList:
    """A circular list with a sentinel: oldest (front) to newest (back), O(1) each way."""

    def __init__(self) -> None:
        self.head = Link()
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size != 0

    def push(self, link: Link) -> None:
        """Append an unlinked ``link`` at the back (the newest)."""
        head = self.head
        last = head.prev
        link.prev = last
        link.next = head
        last.next = link
        head.prev = link
        self.size += 1

    def unlink(self, link: Link) -> None:
        """Take ``link`` (in this list) out."""
        before = link.prev
        after = link.next
        before.next = after
        after.prev = before
        link.prev = link
        link.next = link
        self.size -= 1

    def move_to_back(self, link: Link) -> None:
        """Move ``link`` (in this list) to the back."""
        head = self.head
        if head.prev is link:
            return
        before = link.prev
        after = link.next
        before.next = after
        after.prev = before
        last = head.prev
        link.prev = last
        link.next = head
        last.next = link
        head.prev = link

    def front(self) -> Link:
        """The oldest link; the sentinel itself when the list is empty."""
        return self.head.next

    def pop_front(self) -> Link:
        """Take out and return the oldest link (the list must not be empty)."""
        link = self.head.next
        self.unlink(link)
        return link

    def oldest_first(self) -> Iterator[Link]:
        head = self.head
        link = head.next
        while link is not head:
            following = link.next  # the caller may unlink ``link``
            yield link
            link = following

    def newest_first(self) -> Iterator[Link]:
        head = self.head
        link = head.prev
        while link is not head:
            preceding = link.prev
            yield link
            link = preceding

    def clear(self) -> None:
        """Forget every link (each left pointing wherever it pointed)."""
        self.head.prev = self.head
        self.head.next = self.head
        self.size = 0
