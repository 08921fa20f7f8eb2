"""One widget per module; the app wires them together."""
