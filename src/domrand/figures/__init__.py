"""domrand.figures"""
