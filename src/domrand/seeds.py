"""Stable seeds and hashes: the one place that turns names into random numbers.

Every derived seed and seeded order in the study comes from here, so that images, splits and
pose choices are the same in every process and on every machine (``hash()`` is salted per
process; these are not).
"""

from __future__ import annotations

import hashlib


def seed_for(*keys) -> int:
    """A stable 63-bit seed from any printable keys (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256("/".join(map(str, keys)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def hash64(text: str) -> int:
    """A stable unsigned 64-bit hash of ``text`` (blake2b)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def unit_hash(key: str, seed: int | str) -> float:
    """A uniform number in [0, 1) fixed by ``(seed, key)`` alone."""
    return hash64(f"{seed}\x1f{key}") / 2**64
