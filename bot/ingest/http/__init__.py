"""The one HTTP client: fetch, SSRF guard and transport, decoding, budgets, backoff, URLs."""
