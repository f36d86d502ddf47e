"""The handheld's flows as plain classes: no Kivy import, tested without a window."""
