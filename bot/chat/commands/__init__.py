"""The chat commands, one module per command family; ``registry`` lists them for the core."""
