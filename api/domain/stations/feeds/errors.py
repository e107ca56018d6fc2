"""Errors of the feed readers: only a feed that cannot be read at all raises; bad objects become rejections."""

from __future__ import annotations


class FeedError(Exception):
    """The whole feed is unreadable (not JSON, no list of locations, not CSV with the expected columns)."""

    def __init__(self, feed: str, problem: str) -> None:
        super().__init__(f"feed {feed!r}: {problem}")
        self.feed = feed
        self.problem = problem
