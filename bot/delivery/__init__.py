"""Getting digests to chats: when each chat's digest is due, the durable outbox and its worker,
and the pacing that keeps us inside the platforms' flood limits."""
