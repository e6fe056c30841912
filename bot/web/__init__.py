"""The operator's web pages inside `newsbot run`: status, /metrics, /healthz."""
