"""Stories: the clusterer, its bookkeeping, vectors and syndication."""
