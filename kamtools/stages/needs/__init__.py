"""Stage 2, needs analysis: what each key account needs, what it earns, and who serves it.

- :mod:`.settings`: :class:`NeedsSettings` (the ``needs:`` section of ``client.yml``).
- :mod:`.indicators`: the scorecard of strength, capability and hard indicators.
- :mod:`.profit`: account profit from sales to contribution, cost to serve by component.
- :mod:`.reorder`: reorder-cycle risk by each account's own rhythm.
- :mod:`.support`: weakest indicators mapped to support offerings, each with why.
- :mod:`.team`: the service team per account and each account manager's load.
- :mod:`.store`: the workshop's assessment history (append-only, safe against crashes).
"""
