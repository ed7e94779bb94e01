"""Demo tooling, apart from the product: ``make run``'s quick start, its ``--demo`` traffic, and
the simulated carrier that pushes tracking events to the hub's webhook as a real carrier would
(``daiban-hub carrier simulate``)."""
