"""The document kernel: every business document (stock in/out, orders, receipts, invoices) on one model."""
