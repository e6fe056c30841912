"""Security tests: SSRF and other ways a chat user could turn newsbot against its network."""
