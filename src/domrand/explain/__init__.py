"""domrand.explain"""
