"""domrand.data"""
