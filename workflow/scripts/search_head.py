from domrand.runtime import run
from domrand.train.device import torch_device

with run(snakemake) as log:
    from domrand.train.subsets import train_feature_head

    # A search head is a feature head: the same fixed CPU arithmetic (train.device.MATH_THREADS).
    device = torch_device("train_feature_head", snakemake.threads)
    head = snakemake.params.head
    inputs = {"synthetic": list(snakemake.input.train_synthetic)}
    val = {"val": list(snakemake.input.test_val)}
    train_feature_head(inputs, val, snakemake.output[0], head["spec"], head["train"], device=device, log=log)
