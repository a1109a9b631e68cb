"""domrand.render"""
