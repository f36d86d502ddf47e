"""Storekeeper's handheld app (Kivy) for a warehouse floor with a keyboard-wedge scanner: look up
any code, receive and move stock, and keep working while the server is away.

Run it with ``python -m handheld``. It talks to the server over GraphQL/HTTP only.
"""
