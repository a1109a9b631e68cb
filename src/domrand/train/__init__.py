"""domrand.train"""
