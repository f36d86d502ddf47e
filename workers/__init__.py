"""Background work: arq job functions, the worker's settings, and the in-process runner."""
