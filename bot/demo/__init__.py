"""`newsbot demo`: a bundled sample news site, served locally and polled like the real web."""
