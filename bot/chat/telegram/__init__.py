"""The Telegram adapter: updates in as Commands, Replies out as Telegram HTML."""
