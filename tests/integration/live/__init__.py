"""Live updates across processes: SSE, the Redis channels backend, the outbox sweeper and the worker."""
