"""domrand: domain-randomized synthetic data study as a workflow."""
