"""Background work (dramatiq actors) arrives with the workers issue."""
