"""Built-in strategies. Every public module here is imported by the registry; a module defines one
strategy class (a subclass of Strategy with a `name`)."""
