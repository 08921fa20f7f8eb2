"""promptcache's Textual inspector: live cache panels and a component browser."""
