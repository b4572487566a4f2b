"""kamtools: key account management for dealers and distributors.

Four stages, each a parameterized notebook over functions of this package:
screening → needs analysis → plan development → post-period review.
"""

from __future__ import annotations

__version__ = "0.1.0"
