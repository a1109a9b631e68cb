"""domrand.assets"""
