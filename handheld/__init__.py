"""Storekeeper's handheld app (Kivy): sign in, scan a barcode, see what it is and where its stock is.

Run it with ``python -m handheld``. It talks to the server over GraphQL/HTTP only.
"""
