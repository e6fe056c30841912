"""The Slack adapter: Bolt events in as Commands, Replies out as Block Kit."""
