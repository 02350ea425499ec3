"""Container registries: ACR (`acr`, prod), the in-cluster registry (`in_cluster`, dev) and an external registry's
pull secret (`pull_secret`, dev). Import the submodules: `acr` imports Azure, dev never does."""
