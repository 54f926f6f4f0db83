"""The network: layer and activation records, the model builder, losses and optimizers."""
