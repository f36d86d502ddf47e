"""Valuation: a cost on every move, fixed when it is booked.

**Buckets.** Stock is valued per product and bucket: a warehouse (all its locations) or the transit
location (a bucket of its own). Supplier, customer, inventory loss, scrap and assembly are outside:
a move from them brings value in, a move to them takes value out (to a customer, scrap or loss
that value is the cost of goods, fixed on the move and never recomputed). A move inside one bucket
carries the cost but changes no value; between buckets, value leaves at the source's cost and
enters the target with exactly that value.

**Cost of what comes in from outside**, in this order: the exact value given (``Entry.value``: a kit
from the assembly location is worth what its components took out, and its components coming back
share the kit's value to the last digit, see ``server.inventory.assembly``), the unit cost given (``Entry.unit_cost``),
else the bucket's average while it holds stock, else the product's last cost (the last average any
of its buckets kept), else 0. What leaves the transit bucket leaves at the unit cost its entry gives
(a transfer passes the cost of its ship move), else at the transit average. What goes outside leaves
at the unit cost its entry gives when it gives one (a return to the supplier: the cost of the receipt
it returns; under FIFO, layers at that cost first), else at the bucket's cost.

**Methods**, per product: moving average per bucket (the default), or FIFO layers (consumed oldest
first). The method changes only while the product has no stock anywhere.

Stock booked before valuation existed carries no cost: a bucket starts empty when first touched,
and what leaves beyond what it holds leaves at no value.
"""
