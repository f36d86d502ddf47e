"""Purchasing: purchase orders, their receipts and what each order line has come to."""
