"""One replication of the pipeline as a SimPy model: its resources and levers, the
money desks and the named random streams. No I/O and no printing."""
