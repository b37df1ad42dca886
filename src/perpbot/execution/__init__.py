"""Order and position management: client ids, the order state machine, positions as a fold of fills, the ledger."""
