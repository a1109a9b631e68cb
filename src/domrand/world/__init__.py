"""domrand.world"""
