"""Names of the world's asset sets, shared by rendering and figures (import-light on purpose)."""

# Generator set name -> world manifest key: synthetic variants and target domains never share one.
MATERIAL_SETS = {"synthetic": "materials", "target": "target_grounds"}
SKY_SETS = {"synthetic": "skies", "target": "target_skies"}
