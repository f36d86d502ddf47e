"""Replenishment inside a warehouse: pick bins kept between a minimum and a maximum, refilled from reserve.

``rules``: per pick bin and product, a minimum and a maximum (base units) and, optionally, the zone or bin to
refill from. ``stock`` reads what a run needs (the pick bins' stock, what is on its way to them, what reserve
bins can give), ``plan`` decides the refills, and ``proposals`` writes them as a draft ``stock.transfer`` per
warehouse, which a rerun keeps up to date instead of adding another.
"""
