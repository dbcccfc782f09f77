"""Prognostics: remaining useful life from degradation states, the RUL contract, prognostic metrics."""

__all__: list[str] = []
