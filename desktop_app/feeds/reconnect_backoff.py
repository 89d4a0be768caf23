"""Exponential backoff with jitter, shared by the SSI REST client and the SSI stream.

Jitter (a random 50-100 % of the ceiling) keeps many clients that failed together from
retrying in lockstep against a service that is just coming back.
"""

from __future__ import annotations

import random


def jittered_backoff(attempt: int, base_s: float, max_s: float) -> float:
    """Seconds to wait before retry ``attempt`` (0 for the first retry): ``base_s * 2**attempt``
    capped at ``max_s``, then scaled by a random factor in [0.5, 1.0]."""
    ceiling = min(max_s, base_s * 2 ** attempt)
    return ceiling * random.uniform(0.5, 1.0)
