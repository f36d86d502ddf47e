"""Storekeeper's domain: models, services, configuration and the ASGI app factory."""
