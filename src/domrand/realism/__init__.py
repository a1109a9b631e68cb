"""How photo-like a domain is, measured without anything the study trained (imagenet: the
share of images an ImageNet classifier recognises)."""
