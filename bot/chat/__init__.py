"""Chat: commands parsed once, answered once as a neutral Reply, rendered by each adapter."""
