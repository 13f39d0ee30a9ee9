"""Stage 5, the figures: a registry, one module per figure for its numbers (``compute``),
one drawing module per figure (``draw``) and the shared style."""
