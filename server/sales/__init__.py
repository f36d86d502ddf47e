"""Selling: sales orders from the counter, the API and marketplaces, their reservations, and their fulfillment."""
